"""Time-based one-time passwords (RFC 6238, 30-second steps, 6 digits, SHA-1: what every
authenticator app reads from a QR code) and one-time recovery codes.

Admins and officers must have a second factor (`required`): a password alone gives them
no session and no token. A code is accepted one step either side of now (clock drift), and
each step only once per account: a code seen on a shoulder or in a log cannot be replayed.
Recovery codes are stored as SHA-256 digests and each works once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

import pyotp
import segno
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hoptac.db.models import RecoveryCode, User, utcnow
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


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The enrolment QR code as an inline SVG (no script, no external request)."""
    return str(segno.make(uri, error="m").svg_inline(scale=5, dark="#111", light="#fff"))


def _step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step `code` was made for, within DRIFT_STEPS of `now`, or None."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
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


def check_code(session: Session, user: User, code: str) -> bool:
    """A TOTP code of an enrolled `user`, not used before: its step is spent by an UPDATE
    that only a later step passes, so two requests cannot both spend one code."""
    if user.totp_secret is None or user.totp_enabled_at is None:
        return False
    step = matching_step(user.totp_secret, code, utcnow_aware())
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


def enrol(user: User, code: str) -> bool:
    """Turn the second factor on once the user proves the app shows the codes of the
    pending secret (`user.totp_secret`, set at the password step)."""
    if user.totp_secret is None:
        return False
    step = matching_step(user.totp_secret, code, utcnow_aware())
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
