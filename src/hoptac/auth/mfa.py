"""Time-based one-time passwords (RFC 6238, 30-second steps, 6 digits, SHA-1: what every
authenticator app reads from a QR code) and one-time recovery codes.

Admins and officers must have a second factor (`required`): a password alone gives them
no session and no token. A code is accepted one step either side of now (clock drift), and
each step only once per account: a code seen on a shoulder or in a log cannot be replayed.
Recovery codes are stored as SHA-256 digests and each works once.

The TOTP secret is a password the node must read back, so it cannot be hashed: it is
sealed (XSalsa20-Poly1305, `nacl.secret.SecretBox`) with a 32-byte key held outside the
database, `HOME/keys/totp.key` (CJIS SC-28, SC-12): a copy of the database alone gives
nobody the codes. The account's id is sealed with the secret, so a sealed value copied
onto another account does not open. A secret stored in the clear before migration 0008
is accepted once more and sealed at that first use (`secret_of`).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import UTC, datetime

import pyotp
import segno
import sqlalchemy as sa
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox
from sqlalchemy.orm import Session

from hoptac.db.models import RecoveryCode, User, utcnow
from hoptac.errors import InvalidInput, Unavailable
from hoptac.exchange.keys import b64, unb64  # a leaf module: base64 with clear errors
from hoptac.keyfiles import owner_only, write_private
from hoptac.settings import Settings
from hoptac.types import Role

ISSUER = "hoptac"
STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODES = 10


def required(user: User) -> bool:
    """Whether `user` must pass a second factor: admins and officers always; anyone who
    enrolled one."""
    return Role(user.role) in (Role.ADMIN, Role.OFFICER) or user.totp_enabled_at is not None


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


KEY_FILE = "totp.key"
SEALED = "sb1:"  # the prefix of a sealed secret; a legacy clear one is base32, no colon


def totp_key(settings: Settings, create: bool = True) -> bytes:
    """The node's TOTP sealing key, `HOME/keys/totp.key`: 32 random bytes (base64),
    written owner-only at first need (`create`: at an enrolment, never to open a secret
    already sealed — a new key would open none of them); a file or directory others may
    read is refused."""
    directory = settings.keys_dir
    path = directory / KEY_FILE
    missing = not path.exists()
    if missing and not create:
        raise Unavailable(
            "this node's TOTP key file (keys/totp.key) is missing while secrets sealed with "
            "it are stored: the node's operator must restore it from the backup"
        )
    if missing:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    owner_only(directory)
    if missing:
        # Written whole under a private name, then linked into place: a reader never sees
        # half a key, and of two processes starting at once the first link wins.
        draft = directory / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        write_private(draft, (b64(secrets.token_bytes(SecretBox.KEY_SIZE)) + "\n").encode())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process wrote it first: read theirs
        finally:
            draft.unlink()
    owner_only(path)
    return unb64(path.read_text().strip(), str(path), SecretBox.KEY_SIZE)


def seal_secret(user_id: int, secret: str, key: bytes) -> str:
    """`secret` sealed for the account `user_id` (a random nonce each time)."""
    sealed = SecretBox(key).encrypt(f"{user_id}:{secret}".encode())
    return SEALED + b64(bytes(sealed))


def set_secret(session: Session, user: User, secret: str, settings: Settings) -> None:
    """Store a (pending) TOTP secret, sealed. The user row must have its id. The key file
    is made for the node's first secret only: once secrets are sealed, a missing key is
    the operator's to restore (a new one would open none of them)."""
    first = session.scalar(sa.select(User.id).where(User.totp_secret.startswith(SEALED))) is None
    user.totp_secret = seal_secret(user.id, secret, totp_key(settings, create=first))


def secret_of(user: User, settings: Settings) -> str | None:
    """The clear TOTP secret of `user`, or None. A legacy clear value (stored before
    migration 0008) is sealed now, in the caller's transaction."""
    stored = user.totp_secret
    if stored is None:
        return None
    sealed = stored.startswith(SEALED)
    key = totp_key(settings, create=not sealed)
    if not sealed:
        user.totp_secret = seal_secret(user.id, stored, key)
        return stored
    try:
        opened = SecretBox(key).decrypt(unb64(stored[len(SEALED) :], "a sealed TOTP secret"))
    except CryptoError:
        raise InvalidInput(
            f"a TOTP secret does not open with {settings.keys_dir / KEY_FILE}: "
            "is it this node's key file?"
        ) from None
    owner, _, secret = opened.decode().partition(":")
    if owner != str(user.id):
        raise InvalidInput("a TOTP secret sealed for another account was found on this one")
    return secret


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The enrolment QR code as an inline SVG (no script, no external request)."""
    return str(segno.make(uri, error="m").svg_inline(scale=5, dark="#111", light="#fff"))


def seal_clear_secrets(session: Session, settings: Settings) -> int:
    """Seal every TOTP secret still stored in the clear (from before migration 0008) now,
    rather than at each account's next sign-in; how many were sealed."""
    legacy = session.scalars(
        sa.select(User).where(User.totp_secret.is_not(None), ~User.totp_secret.startswith(SEALED))
    ).all()
    for user in legacy:
        secret_of(user, settings)
    return len(legacy)


def _step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step `code` was made for, within DRIFT_STEPS of `now`, or None."""
    code = code.strip().replace(" ", "")
    if not (code.isascii() and code.isdecimal() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    here = _step(now)
    for step in range(here - DRIFT_STEPS, here + DRIFT_STEPS + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def utcnow_aware() -> datetime:
    """Now, as an aware datetime (a TOTP step counts from the Unix epoch)."""
    return utcnow().replace(tzinfo=UTC)


def check_code(session: Session, user: User, code: str, settings: Settings) -> bool:
    """A TOTP code of an enrolled `user`, not used before: its step is spent by an UPDATE
    that only a later step passes, so two requests cannot both spend one code."""
    secret = secret_of(user, settings)
    if secret is None or user.totp_enabled_at is None:
        return False
    step = matching_step(secret, code, utcnow_aware())
    if step is None:
        return False
    spent = session.execute(
        sa.update(User)
        .where(
            User.id == user.id,
            sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if not getattr(spent, "rowcount", 0):
        return False
    user.totp_last_step = step
    return True


def enrol(user: User, code: str, settings: Settings) -> bool:
    """Turn the second factor on once the user proves the app shows the codes of the
    pending secret (`user.totp_secret`, set at the password step)."""
    secret = secret_of(user, settings)
    if secret is None:
        return False
    step = matching_step(secret, code, utcnow_aware())
    if step is None:
        return False
    user.totp_enabled_at, user.totp_last_step = utcnow(), step
    return True


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().replace("-", "").lower().encode()).hexdigest()


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """Ten fresh one-time codes (the old ones stop working), shown to the user once."""
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_digest(c)) for c in codes)
    return codes


def use_recovery_code(session: Session, user: User, code: str) -> bool:
    """Spend one recovery code (an UPDATE that only an unused code passes)."""
    spent = session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _digest(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    return bool(getattr(spent, "rowcount", 0))
