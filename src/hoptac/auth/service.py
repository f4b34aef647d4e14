"""Users, login, browser sessions and API bearer tokens.

Secrets (session cookies, bearer tokens) are random 256-bit strings; only their SHA-256
is stored, so a copy of the database does not let anyone log in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hoptac.auth import audit, passwords
from hoptac.auth.audit import Action
from hoptac.auth.principal import Principal
from hoptac.db.models import Agency, ApiToken, User, UserSession, utcnow
from hoptac.errors import Conflict, InvalidInput, Unauthenticated
from hoptac.names import fold
from hoptac.settings import Settings
from hoptac.types import Role


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def principal_of(user: User) -> Principal:
    return Principal(user.id, user.username, user.agency_id, Role(user.role))


def find_agency(session: Session, ident: str) -> Agency:
    """An agency by id, ref or any of its names (diacritics and case ignored), for the CLI."""
    if ident.isdigit():
        matches = list(session.scalars(sa.select(Agency).where(Agency.id == int(ident))))
    else:
        wanted = fold(ident)
        matches = [
            a
            for a in session.scalars(sa.select(Agency))
            if a.ref == ident or wanted in {fold(n) for n in _names(a)}
        ]
    if len(matches) != 1:
        raise InvalidInput(f"no single agency matches '{ident}' (use its id or ref)")
    return matches[0]


def _names(a: Agency) -> list[str]:
    return [n for n in (a.name_vi, a.name_en, a.name_zh, a.name_ko, *a.abbreviations) if n]


def create_user(
    session: Session, *, username: str, password: str, role: Role, agency_id: int
) -> User:
    username = username.strip()
    if (
        not username
        or len(username) > 80
        or not username.replace(".", "").replace("-", "").replace("_", "").isalnum()
    ):
        raise InvalidInput("a username is 1–80 letters, digits, '.', '-' or '_'")
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user '{username}' already exists")
    user = User(
        username=username,
        password_hash=passwords.hash_password(password),
        role=role,
        agency_id=agency_id,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        Action.USER_CREATED,
        username=username,
        object_type="user",
        object_id=user.id,
        agency_id=agency_id,
    )
    return user


def set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = passwords.hash_password(password)


def authenticate(session: Session, username: str, password: str, client: str | None) -> User:
    """Check a password. Failures are audited by the caller in its own transaction."""
    user = session.scalars(sa.select(User).where(User.username == username)).first()
    ok = passwords.verify(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        raise Unauthenticated("wrong username or password")
    audit.record(session, Action.LOGIN, principal=principal_of(user), client=client)
    return user


def record_failed_login(session: Session, username: str, client: str | None) -> None:
    """The attempt, under the agency of the account it named (if any): its admins see it."""
    agency = session.scalar(sa.select(User.agency_id).where(User.username == username))
    audit.record(
        session,
        Action.LOGIN_FAILED,
        username=username[:80],
        outcome="denied",
        client=client,
        agency_id=agency,
    )


@dataclass(frozen=True)
class SessionInfo:
    principal: Principal
    csrf_token: str


def start_session(session: Session, user: User) -> tuple[str, str]:
    """Create a browser session; returns (cookie token, CSRF token)."""
    raw = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(UserSession(token_hash=_digest(raw), csrf_token=csrf, user_id=user.id))
    return raw, csrf


def resolve_session(session: Session, raw: str, settings: Settings) -> SessionInfo:
    row = session.scalars(
        sa.select(UserSession).where(UserSession.token_hash == _digest(raw))
    ).first()
    now = utcnow()
    if (
        row is None
        or row.revoked_at is not None
        or not row.user.is_active
        or now - row.last_seen_at > timedelta(seconds=settings.session_idle_seconds)
        or now - row.created_at > timedelta(seconds=settings.session_max_seconds)
    ):
        raise Unauthenticated("your session has ended; please log in again")
    row.last_seen_at = now
    return SessionInfo(principal_of(row.user), row.csrf_token)


def end_session(session: Session, raw: str) -> None:
    session.execute(
        sa.update(UserSession)
        .where(UserSession.token_hash == _digest(raw))
        .values(revoked_at=utcnow())
    )


def issue_token(session: Session, user: User, settings: Settings) -> tuple[str, datetime]:
    raw = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(seconds=settings.token_lifetime_seconds)
    session.add(ApiToken(token_hash=_digest(raw), user_id=user.id, expires_at=expires))
    audit.record(session, Action.TOKEN_ISSUED, principal=principal_of(user))
    return raw, expires


def resolve_token(session: Session, raw: str) -> Principal:
    row = session.scalars(sa.select(ApiToken).where(ApiToken.token_hash == _digest(raw))).first()
    if row is None or row.revoked_at is not None or row.expires_at < utcnow():
        raise Unauthenticated("the bearer token is unknown, expired or revoked")
    if not row.user.is_active:
        raise Unauthenticated("this account is disabled")
    return principal_of(row.user)
