"""Envelopes and receipts (protocol v1, docs/exchange-protocol.md): pure functions, no
database, so that a partner's implementation can be checked against them.

An envelope is a JSON object. Its header says who sends what to whom under which handling
code; `payload` is the content sealed to the recipient's X25519 key (libsodium sealed box);
`sig` is the sender's Ed25519 signature over the canonical bytes of everything else. The
sealed content repeats the envelope id, sender and recipient, so that a payload lifted into
another envelope (re-signed by another peer) is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from nacl.exceptions import BadSignatureError, CryptoError
from nacl.public import PublicKey, SealedBox
from nacl.signing import VerifyKey

from hoptac import ulid
from hoptac.exchange.keys import NodeKeys, b64

VERSION = 1
# Kinds an agreement may allow. `status` (read and acknowledged notes) and `permission`
# (a provider's leave to disseminate) travel wherever `message` may.
KINDS = ("message", "notice", "request", "hit", "status", "permission")
FOLLOWS_MESSAGE = ("status", "permission")
HANDLING = ("H0", "H1", "H2", "H3")
RELIABILITY = ("A", "B", "C", "X")
ACCURACY = (1, 2, 3, 4)
MAX_PAYLOAD = 1024 * 1024  # sealed payload bytes (before base64)
FUTURE_SKEW = timedelta(minutes=5)  # a created_at further ahead than this is refused
MAX_AGE = timedelta(days=7)  # ... and one older than this (a sender retries for at most that)

_ENVELOPE_CONTEXT = b"hoptac/v1/envelope\x00"
_RECEIPT_CONTEXT = b"hoptac/v1/receipt\x00"
_REFUSAL_CONTEXT = b"hoptac/v1/refusal\x00"
# Refusals the sender may cure (the partner pins our keys, its clock or agreement is fixed,
# the envelope is sealed again to its new key): the envelope stays in the outbox and is
# tried again. Every other refusal is final for that envelope.
RETRYABLE = frozenset(
    {
        "unknown_sender",
        "clock",
        "kind_not_allowed",
        "wrong_node",
        "bad_signature",
        "bad_payload",
        "busy",  # too many early steps of a request wait already: later, they will not
    }
)
_FIELDS = (
    "v",
    "id",
    "from",
    "to",
    "kind",
    "created_at",
    "handling",
    "handling_note",
    "reliability",
    "accuracy",
    "payload",
    "sig",
)


class Rejected(Exception):
    """An envelope the receiver refuses; `code` is stable, `reason` is for people."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


def canonical(obj: dict[str, Any]) -> bytes:
    """RFC 8785 (JCS) bytes for objects of strings, integers and null: sorted keys, no
    whitespace, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def timestamp(at: datetime) -> str:
    """UTC, milliseconds, `Z`: 2026-11-26T04:05:06.789Z."""
    at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def parse_timestamp(text: str) -> datetime:
    try:
        if not _TIMESTAMP.match(text):
            raise ValueError(text)
        at = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    except (TypeError, ValueError):
        raise Rejected(
            "malformed", f"created_at {text!r} is not like 2026-11-26T04:05:06.789Z"
        ) from None
    return at.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Envelope:
    id: str
    sender: str
    recipient: str
    kind: str
    created_at: str
    handling: str
    handling_note: str | None
    reliability: str
    accuracy: int
    payload: bytes
    sig: bytes = b""

    def unsigned(self) -> dict[str, Any]:
        return {
            "v": VERSION,
            "id": self.id,
            "from": self.sender,
            "to": self.recipient,
            "kind": self.kind,
            "created_at": self.created_at,
            "handling": self.handling,
            "handling_note": self.handling_note,
            "reliability": self.reliability,
            "accuracy": self.accuracy,
            "payload": b64(self.payload),
        }

    def signed_bytes(self) -> bytes:
        return _ENVELOPE_CONTEXT + canonical(self.unsigned())

    def to_json(self) -> dict[str, Any]:
        return {**self.unsigned(), "sig": b64(self.sig)}

    def wire(self) -> bytes:
        """The envelope as stored and sent: canonical JSON with its signature."""
        return canonical(self.to_json())

    def digest(self) -> str:
        """SHA-256 of the wire bytes: what a receipt acknowledges."""
        return hashlib.sha256(self.wire()).hexdigest()

    @classmethod
    def from_json(cls, obj: Any) -> Envelope:
        """Parse, checking shape and vocabularies (not the signature)."""
        if not isinstance(obj, dict):
            raise Rejected("malformed", "an envelope must be a JSON object")
        if "v" in obj and (type(obj["v"]) is not int or obj["v"] != VERSION):
            raise Rejected("version", f"protocol version {obj['v']!r} is not supported (1)")
        missing = [f for f in _FIELDS if f not in obj]
        extra = sorted(set(obj) - set(_FIELDS))
        if missing or extra:
            raise Rejected(
                "malformed",
                "; ".join(
                    [f"missing {', '.join(missing)}"] * bool(missing)
                    + [f"unknown {', '.join(extra)}"] * bool(extra)
                ),
            )
        strings = ("id", "from", "to", "kind", "created_at", "handling", "reliability")
        for f in (*strings, "payload", "sig"):
            if not isinstance(obj[f], str):
                raise Rejected("malformed", f"{f} must be a string")
        if not ulid.is_valid(obj["id"]):
            raise Rejected("malformed", f"id {obj['id']!r} is not a ULID")
        if obj["kind"] not in KINDS:
            raise Rejected("kind_unknown", f"kind {obj['kind']!r} is not one of {', '.join(KINDS)}")
        if obj["handling"] not in HANDLING:
            raise Rejected("malformed", f"handling must be one of {', '.join(HANDLING)}")
        note = obj["handling_note"]
        if note is not None and not isinstance(note, str):
            raise Rejected("malformed", "handling_note must be a string or null")
        if obj["handling"] == "H3" and not note:
            raise Rejected("malformed", "H3 needs its restrictions in handling_note")
        if obj["reliability"] not in RELIABILITY:
            raise Rejected("malformed", f"reliability must be one of {', '.join(RELIABILITY)}")
        if type(obj["accuracy"]) is not int or obj["accuracy"] not in ACCURACY:
            raise Rejected("malformed", "accuracy must be 1, 2, 3 or 4")
        parse_timestamp(obj["created_at"])
        if len(obj["payload"]) > (MAX_PAYLOAD + 2) // 3 * 4:
            raise Rejected("too_large", f"payload over {MAX_PAYLOAD:,} bytes")
        try:
            payload = base64.b64decode(obj["payload"], validate=True)
            sig = base64.b64decode(obj["sig"], validate=True)
        except (binascii.Error, ValueError):
            raise Rejected("malformed", "payload and sig must be base64") from None
        return cls(
            id=obj["id"],
            sender=obj["from"],
            recipient=obj["to"],
            kind=obj["kind"],
            created_at=obj["created_at"],
            handling=obj["handling"],
            handling_note=note,
            reliability=obj["reliability"],
            accuracy=obj["accuracy"],
            payload=payload,
            sig=sig,
        )


def seal(
    keys: NodeKeys,
    *,
    sender: str,
    recipient: str,
    recipient_key: bytes,
    kind: str,
    body: dict[str, Any],
    handling: str = "H0",
    handling_note: str | None = None,
    reliability: str = "B",
    accuracy: int = 2,
    envelope_id: str | None = None,
    created_at: datetime | None = None,
) -> Envelope:
    """A signed envelope carrying `body` sealed to `recipient_key` (X25519 public)."""
    envelope_id = envelope_id or ulid.new()
    payload = _seal_inner(recipient_key, envelope_id, sender, recipient, body)
    if len(payload) > MAX_PAYLOAD:
        raise Rejected("too_large", f"payload of {len(payload):,} bytes is over {MAX_PAYLOAD:,}")
    env = Envelope(
        id=envelope_id,
        sender=sender,
        recipient=recipient,
        kind=kind,
        created_at=timestamp(created_at or datetime.now(UTC)),
        handling=handling,
        handling_note=handling_note,
        reliability=reliability,
        accuracy=accuracy,
        payload=payload,
    )
    return replace(env, sig=keys.signing.sign(env.signed_bytes()).signature)


def verify(env: Envelope, signing_key: bytes) -> None:
    try:
        VerifyKey(signing_key).verify(env.signed_bytes(), env.sig)
    except (BadSignatureError, ValueError):
        raise Rejected(
            "bad_signature", "the signature does not match the sender's pinned key"
        ) from None


def check_time(env: Envelope, now: datetime) -> None:
    at = parse_timestamp(env.created_at)
    if at > now + FUTURE_SKEW:
        raise Rejected("clock", f"created_at {env.created_at} is ahead of this node's clock")
    if at < now - MAX_AGE:
        raise Rejected("expired", f"created_at {env.created_at} is older than {MAX_AGE.days} days")


def open_sealed(sealed: bytes, keys: NodeKeys) -> dict[str, Any]:
    """The inner object of a sealed payload (id, from, to, body)."""
    try:
        inner = json.loads(SealedBox(keys.encryption).decrypt(sealed))
    except (CryptoError, ValueError):
        raise Rejected("bad_payload", "the payload cannot be opened with this node's key") from None
    if not isinstance(inner, dict) or not isinstance(inner.get("body"), dict):
        raise Rejected("bad_payload", "the payload is not an object with a body")
    return inner


def open_body(env: Envelope, keys: NodeKeys) -> dict[str, Any]:
    """The sealed body, after checking that it was sealed for this very envelope."""
    inner = open_sealed(env.payload, keys)
    if (inner.get("id"), inner.get("from"), inner.get("to")) != (env.id, env.sender, env.recipient):
        raise Rejected("bad_payload", "the sealed payload belongs to another envelope")
    body: dict[str, Any] = inner["body"]
    return body


def seal_local(
    keys: NodeKeys, env_id: str, sender: str, recipient: str, body: dict[str, Any]
) -> bytes:
    """The node's own copy of a body it sends: sealed to its own key, as received ones are."""
    return _seal_inner(keys.encryption_public, env_id, sender, recipient, body)


def _seal_inner(
    public_key: bytes, env_id: str, sender: str, recipient: str, body: dict[str, Any]
) -> bytes:
    inner = canonical({"id": env_id, "from": sender, "to": recipient, "body": body})
    return SealedBox(PublicKey(public_key)).encrypt(inner)


def sign_object(keys: NodeKeys, context: bytes, body: dict[str, Any]) -> dict[str, Any]:
    """`body` with `sig`: the Ed25519 signature over `context` + its canonical bytes (the
    way receipts, refusals and cards are signed)."""
    return {**body, "sig": b64(keys.signing.sign(context + canonical(body)).signature)}


def _verify_object(
    obj: Any,
    context: bytes,
    expected: dict[str, Any],
    what: str,
    signing_key: bytes,
    strings: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The signed body of `obj` if it is `what` for exactly `expected` (and `strings` are
    strings), signed by `signing_key`; Rejected otherwise."""
    if not isinstance(obj, dict) or not isinstance(obj.get("sig"), str):
        raise Rejected("malformed", f"a {what} must be an object with a signature")
    body = {k: v for k, v in obj.items() if k != "sig"}
    if any(body.get(k) != v for k, v in expected.items()) or not all(
        isinstance(body.get(k), str) for k in strings
    ):
        raise Rejected("malformed", f"the {what} is for another envelope")
    try:
        sig = base64.b64decode(obj["sig"], validate=True)
        VerifyKey(signing_key).verify(context + canonical(body), sig)
    except (BadSignatureError, binascii.Error, ValueError):
        raise Rejected("bad_signature", f"the {what}'s signature does not match") from None
    return body


def receipt(keys: NodeKeys, env: Envelope, node_id: str, received_at: datetime) -> dict[str, Any]:
    """The receiver's signed acknowledgement that it stored `env`."""
    body = {
        "v": VERSION,
        "envelope": env.id,
        "digest": env.digest(),
        "from": node_id,
        "to": env.sender,
        "received_at": timestamp(received_at),
    }
    return sign_object(keys, _RECEIPT_CONTEXT, body)


def verify_receipt(
    obj: Any, envelope_id: str, digest: str, sender: str, recipient: str, signing_key: bytes
) -> None:
    """Raise Rejected unless `obj` is `recipient`'s signed receipt for exactly the envelope
    `envelope_id` whose wire bytes hash to `digest`, sent by `sender`."""
    expected = {"envelope": envelope_id, "digest": digest, "from": recipient, "to": sender}
    _verify_object(obj, _RECEIPT_CONTEXT, expected, "receipt", signing_key)


def refusal(
    keys: NodeKeys, node_id: str, sender: str | None, claimed: str | None, code: str, reason: str
) -> dict[str, Any]:
    """The receiver's signed refusal of one envelope (so that nobody on the path can make
    the sender drop a message by answering in the receiver's name)."""
    body = {
        "v": VERSION,
        "id": claimed,
        "code": code,
        "reason": reason,
        "from": node_id,
        "to": sender,
    }
    return sign_object(keys, _REFUSAL_CONTEXT, body)


def verify_refusal(
    obj: Any, envelope_id: str, sender: str, recipient: str, signing_key: bytes
) -> str:
    """The code of `recipient`'s signed refusal of `envelope_id`; Rejected if not genuine."""
    expected = {"id": envelope_id, "from": recipient, "to": sender}
    body = _verify_object(obj, _REFUSAL_CONTEXT, expected, "refusal", signing_key, ("code",))
    return str(body["code"])
