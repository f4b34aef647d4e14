"""A node's key pair: Ed25519 to sign, X25519 to receive encrypted payloads (libsodium
through PyNaCl). The private keys are files readable by their owner only; a key file that
the group or others may read is refused, as is a key directory they may enter."""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from nacl.public import PrivateKey
from nacl.signing import SigningKey

from hoptac.errors import InvalidInput
from hoptac.keyfiles import owner_only, write_private

CARD_CONTEXT = b"hoptac/v1/card\x00"  # the fingerprint's and the card signature's prefix
SIGNING_FILE = "signing.key"
ENCRYPTION_FILE = "encryption.key"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str, what: str, length: int | None = None) -> bytes:
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise InvalidInput(f"{what} is not base64") from None
    if length is not None and len(data) != length:
        raise InvalidInput(f"{what} must be {length} bytes, not {len(data)}")
    return data


def fingerprint(signing_public: bytes, encryption_public: bytes) -> str:
    """SHA-256 of both public keys, as 16 groups of four hex digits: read aloud over the
    phone to the partner, who reads theirs back (`hoptac peer card`)."""
    digest = hashlib.sha256(CARD_CONTEXT + signing_public + encryption_public).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, 64, 4)).upper()


@dataclass(frozen=True)
class NodeKeys:
    signing: SigningKey
    encryption: PrivateKey

    @classmethod
    def generate(cls) -> NodeKeys:
        return cls(SigningKey.generate(), PrivateKey.generate())

    @property
    def signing_public(self) -> bytes:
        return bytes(self.signing.verify_key)

    @property
    def encryption_public(self) -> bytes:
        return bytes(self.encryption.public_key)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.signing_public, self.encryption_public)

    def save(self, directory: Path) -> None:
        """Write both private keys, owner-only; refuses to overwrite existing keys."""
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
        for name, secret in (
            (SIGNING_FILE, bytes(self.signing)),
            (ENCRYPTION_FILE, bytes(self.encryption)),
        ):
            write_private(directory / name, (b64(secret) + "\n").encode())

    @classmethod
    def load(cls, directory: Path) -> NodeKeys:
        """Read the keys, refusing files or a directory others may read."""
        if not directory.is_dir():
            raise InvalidInput(f"no node keys in {directory}: run `hoptac init` first")
        owner_only(directory, 0o077)
        secrets = []
        for name in (SIGNING_FILE, ENCRYPTION_FILE):
            path = directory / name
            if not path.is_file():
                raise InvalidInput(f"missing key file {path}")
            owner_only(path, 0o077)
            secrets.append(unb64(path.read_text().strip(), str(path), 32))
        return cls(SigningKey(secrets[0]), PrivateKey(secrets[1]))
