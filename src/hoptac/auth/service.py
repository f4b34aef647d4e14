"""Users, login, browser sessions and API bearer tokens.

Secrets (session cookies, bearer tokens) are random 256-bit strings; only their SHA-256
is stored, so a copy of the database does not let anyone log in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hoptac.auth import audit, mfa, passwords
from hoptac.auth.audit import Action
from hoptac.auth.principal import Principal
from hoptac.db.models import Agency, ApiToken, RecoveryCode, User, UserSession, utcnow
from hoptac.errors import Conflict, InvalidInput, Unauthenticated
from hoptac.names import fold
from hoptac.settings import Settings
from hoptac.types import Role, whole_number


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def principal_of(user: User) -> Principal:
    return Principal(user.id, user.username, user.agency_id, Role(user.role))


def find_agency(session: Session, ident: str) -> Agency:
    """An agency by id, ref or any of its names (diacritics and case ignored), for the CLI."""
    number = whole_number(ident)
    if number is not None:
        matches = list(session.scalars(sa.select(Agency).where(Agency.id == number)))
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
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    agency_id: int,
    must_change_password: bool = False,
) -> User:
    """A new account; `must_change_password` for a one-time password its user must
    replace at the first login (`change_own_password`) before anything else opens."""
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
        password_hash=passwords.hash_password(password, username),
        role=role,
        agency_id=agency_id,
        must_change_password=must_change_password,
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
        detail={"must_change_password": True} if must_change_password else None,
    )
    return user


LOCK_AFTER = 5  # failed logins within LOCK_WINDOW lock an account until an admin unlocks it
LOCK_WINDOW = timedelta(minutes=15)
INACTIVE_AFTER = timedelta(days=90)  # an account unused this long is disabled


class LoginRefused(Unauthenticated):
    """A refused sign-in; `reason` (unknown, password, locked, disabled, inactive) is for
    the audit row, never for the answer: every refusal reads the same to the caller."""

    def __init__(self, reason: str) -> None:
        # the caller records it (`record_failed_login`), with the reason
        super().__init__("wrong username or password", audited=True)
        self.reason = reason


def _idle_since(user: User) -> datetime:
    return user.last_login_at or user.created_at


def authenticate(session: Session, username: str, password: str) -> User:
    """Check a password; raise LoginRefused, whose bookkeeping (`record_failed_login`)
    the caller commits in a transaction of its own."""
    user = session.scalars(sa.select(User).where(User.username == username)).first()
    ok = passwords.verify(user.password_hash if user else None, password)
    if user is None:
        raise LoginRefused("unknown")
    if not user.is_active:
        raise LoginRefused("disabled")
    if user.locked_at is not None:
        raise LoginRefused("locked")  # even with the right password, until an admin unlocks
    if not ok:
        raise LoginRefused("password")
    if utcnow() - _idle_since(user) > INACTIVE_AFTER:
        raise LoginRefused("inactive")
    return user


def second_factor(session: Session, user: User, code: str, settings: Settings) -> str:
    """Check the one-time code (or a recovery code) of a user whose password was right:
    "totp" or "recovery", which was used; LoginRefused otherwise. A first code confirms a
    pending enrolment."""
    if user.locked_at is not None or not user.is_active:
        raise LoginRefused("locked" if user.is_active else "disabled")
    if user.totp_enabled_at is None:
        if mfa.enrol(user, code, settings):
            return "totp"
        raise LoginRefused("code")
    if mfa.check_code(session, user, code, settings):
        return "totp"
    if mfa.use_recovery_code(session, user, code):
        return "recovery"
    raise LoginRefused("code")


def complete_login(session: Session, user: User, client: str | None, factors: str) -> None:
    """Every factor passed: the login is recorded (one row per logon) and the failure
    count starts again."""
    user.last_login_at = utcnow()
    user.failed_logins, user.failed_since = 0, None
    audit.record(
        session,
        Action.LOGIN,
        principal=principal_of(user),
        client=client,
        detail={"factors": factors},
    )


def record_failed_login(
    session: Session, username: str, client: str | None, reason: str = "password"
) -> None:
    """The refused attempt, audited under the agency of the account it named (its admins
    see it); a wrong password counts towards the lock, an unused account is disabled.
    Whatever the attempt had written is rolled back first, and the refusal is committed
    on its own: it stays on record though the request fails."""
    session.rollback()
    user = session.scalars(sa.select(User).where(User.username == username)).first()
    now = utcnow()
    if user is not None and reason in ("password", "code"):
        # One UPDATE: concurrent failures each count (no read-modify-write to lose).
        fresh = sa.or_(User.failed_since.is_(None), User.failed_since < now - LOCK_WINDOW)
        session.execute(
            sa.update(User)
            .where(User.id == user.id)
            .values(
                failed_logins=sa.case((fresh, 1), else_=User.failed_logins + 1),
                failed_since=sa.case((fresh, now), else_=User.failed_since),
            )
        )
        session.refresh(user)
    audit.record(
        session,
        Action.LOGIN_FAILED,
        username=username,
        outcome="denied",
        client=client,
        agency_id=user.agency_id if user else None,
        detail={"reason": reason, **({"failures": user.failed_logins} if user else {})},
    )
    if user is not None and user.failed_logins >= LOCK_AFTER and user.locked_at is None:
        user.locked_at = now
        revoke_all(session, user)  # a locked account keeps no session either
        _account_changed(session, user, Action.ACCOUNT_LOCKED, None, client, "failed logins")
    if user is not None and reason == "inactive":
        disable_user(session, user, None, client, f"unused {INACTIVE_AFTER.days} days", INACTIVE)
    session.commit()


def _account_changed(
    session: Session,
    user: User,
    action: Action,
    actor: Principal | None,
    client: str | None,
    why: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    detail: dict[str, Any] = {"user": user.username, "why": why}
    if before is not None:
        detail |= {"before": before, "after": after}
    audit.record(
        session,
        action,
        principal=actor,
        username=None if actor else "(node)",
        object_type="user",
        object_id=user.id,
        client=client,
        agency_id=user.agency_id,
        detail=detail,
    )


def revoke_all(session: Session, user: User) -> None:
    """End every session and token of `user` at once."""
    now = utcnow()
    for model in (UserSession, ApiToken):
        session.execute(
            sa.update(model)
            .where(model.user_id == user.id, model.revoked_at.is_(None))
            .values(revoked_at=now)
        )


BY_ADMIN = "admin"  # disabled deliberately: `user enable` alone lifts it
INACTIVE = "inactive"  # unused INACTIVE_AFTER: `user unlock` lifts it too


def disable_user(
    session: Session,
    user: User,
    actor: Principal | None,
    client: str | None,
    why: str,
    reason: str = BY_ADMIN,
) -> None:
    """Disable an account (`reason`: BY_ADMIN or INACTIVE, kept with it): its sessions
    and tokens stop working at once."""
    before = {"active": user.is_active, "disabled": user.disabled_reason}
    user.is_active, user.disabled_reason = False, reason
    revoke_all(session, user)
    _account_changed(
        session,
        user,
        Action.ACCOUNT_DISABLED,
        actor,
        client,
        why,
        before,
        {"active": False, "disabled": reason},
    )


def disable_inactive(session: Session) -> list[str]:
    """Disable every active account unused for INACTIVE_AFTER (a daily job)."""
    cutoff = utcnow() - INACTIVE_AFTER
    stale = session.scalars(
        sa.select(User).where(
            User.is_active,
            sa.func.coalesce(User.last_login_at, User.created_at) < cutoff,
        )
    ).all()
    for user in stale:
        disable_user(session, user, None, None, f"unused {INACTIVE_AFTER.days} days", INACTIVE)
    return [u.username for u in stale]


def _state(user: User) -> dict[str, Any]:
    return {
        "locked": user.locked_at is not None,
        "active": user.is_active,
        "disabled": user.disabled_reason,
    }


def unlock_user(session: Session, user: User, actor: Principal | None, client: str | None) -> bool:
    """An admin lifts a lock and, for an unused account, its disabling (it may sign in
    again from now). An account an admin disabled stays disabled (`enable_user`). Whether
    the account may sign in now."""
    before = _state(user)
    user.locked_at, user.failed_logins, user.failed_since = None, 0, None
    if user.is_active or user.disabled_reason == INACTIVE:
        user.is_active, user.disabled_reason, user.last_login_at = True, None, utcnow()
    _account_changed(
        session, user, Action.ACCOUNT_UNLOCKED, actor, client, "unlocked", before, _state(user)
    )
    return user.is_active


def reset_second_factor(
    session: Session, user: User, actor: Principal | None, client: str | None
) -> None:
    """A lost phone: the TOTP secret and the recovery codes go, every session and token
    ends; the user enrols a new authenticator at the next sign-in (password first)."""
    before = {"second_factor": user.totp_enabled_at is not None}
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = None, None, None
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    revoke_all(session, user)
    _account_changed(
        session, user, Action.SECOND_FACTOR_RESET, actor, client, "new second step", before,
        {"second_factor": False},
    )  # fmt: skip


def enable_user(session: Session, user: User, actor: Principal | None, client: str | None) -> None:
    """An admin enables a disabled account again, whatever disabled it (a lock stays:
    `unlock_user`); its 90 days of inactivity count from now."""
    if user.is_active:
        raise InvalidInput(f"user '{user.username}' is not disabled")
    before = _state(user)
    user.is_active, user.disabled_reason, user.last_login_at = True, None, utcnow()
    _account_changed(
        session, user, Action.ACCOUNT_ENABLED, actor, client, "enabled", before, _state(user)
    )


def set_password(
    session: Session,
    user: User,
    password: str,
    actor: Principal | None = None,
    client: str | None = None,
    *,
    one_time: bool = False,
) -> None:
    """A new password: every session and token of the account ends (sign in again). A
    `one_time` password must be changed by its user at the next login."""
    before = {"must_change_password": user.must_change_password}
    user.password_hash = passwords.hash_password(password, user.username)
    user.must_change_password = one_time
    revoke_all(session, user)
    _account_changed(
        session, user, Action.PASSWORD_CHANGED, actor, client, "new password", before,
        {"must_change_password": one_time},
    )  # fmt: skip


def change_own_password(
    session: Session, user: User, current: str, new: str, repeated: str, client: str | None
) -> None:
    """The user replaces their password (the one-time one at the first login): the
    current one again, then a new one, typed twice, that passes the password rules and is
    not the current one. A wrong current password is a failed login (LoginRefused)."""
    if not passwords.verify(user.password_hash, current):
        raise LoginRefused("password")
    if new != repeated:
        raise InvalidInput("the two new passwords differ")
    if passwords.verify(user.password_hash, new):
        raise InvalidInput("the new password must differ from the one it replaces")
    set_password(session, user, new, principal_of(user), client)


def set_role(
    session: Session, user: User, role: Role, actor: Principal | None, client: str | None
) -> None:
    """A new role: every session and token of the account ends (sign in again)."""
    before = {"role": str(user.role)}
    user.role = role
    revoke_all(session, user)
    _account_changed(
        session, user, Action.ROLE_CHANGED, actor, client, "new role", before, {"role": str(role)}
    )


PASSWORD_PENDING = "password change pending"  # the refusal's reason: a token asked for too soon
NOTICE_NOT_ACKNOWLEDGED = "notice not acknowledged"  # a login without the use notice ticked


@dataclass(frozen=True)
class SessionInfo:
    principal: Principal
    csrf_token: str


CODE_STAGE_SECONDS = 5 * 60  # how long a password stays good for the second step
# A "password" session (every factor passed, the one-time password still to change)
# opens the change-password page only, for this long.
PASSWORD_STAGE_SECONDS = 15 * 60
_STAGE_SECONDS = {"code": CODE_STAGE_SECONDS, "password": PASSWORD_STAGE_SECONDS}


def start_session(session: Session, user: User, stage: str = "full") -> tuple[str, str]:
    """Create a browser session, always with a new id; returns (cookie token, CSRF token).
    A "code" session only opens the second step's page, a "password" one only the page
    that changes a one-time password."""
    raw = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = utcnow()  # the clock its timeouts are read with (`_session_row`)
    session.add(
        UserSession(
            token_hash=_digest(raw),
            csrf_token=csrf,
            user_id=user.id,
            stage=stage,
            created_at=now,
            last_seen_at=now,
        )
    )
    return raw, csrf


def _session_row(session: Session, raw: str, settings: Settings, stage: str) -> UserSession:
    row = session.scalars(
        sa.select(UserSession).where(UserSession.token_hash == _digest(raw))
    ).first()
    now = utcnow()
    lifetime = settings.session_max_seconds if stage == "full" else _STAGE_SECONDS[stage]
    if (
        row is None
        or row.stage != stage
        or row.revoked_at is not None
        or not row.user.is_active
        or (stage == "full" and row.user.must_change_password)
        or now - row.last_seen_at > timedelta(seconds=settings.session_idle_seconds)
        or now - row.created_at > timedelta(seconds=lifetime)
    ):
        raise Unauthenticated("your session has ended; please log in again")
    row.last_seen_at = now
    return row


def resolve_session(session: Session, raw: str, settings: Settings) -> SessionInfo:
    row = _session_row(session, raw, settings, "full")
    return SessionInfo(principal_of(row.user), row.csrf_token)


def code_stage(session: Session, raw: str, settings: Settings) -> tuple[User, str]:
    """(user, CSRF token) of a session waiting for its second step."""
    row = _session_row(session, raw, settings, "code")
    return row.user, row.csrf_token


def password_stage(session: Session, raw: str, settings: Settings) -> tuple[User, str]:
    """(user, CSRF token) of a session whose one-time password is still to change."""
    row = _session_row(session, raw, settings, "password")
    return row.user, row.csrf_token


def end_session(session: Session, raw: str) -> None:
    session.execute(
        sa.update(UserSession)
        .where(UserSession.token_hash == _digest(raw))
        .values(revoked_at=utcnow())
    )


def account(session: Session, principal: Principal) -> User:
    """The caller's own account (its page)."""
    user = session.get(User, principal.user_id)
    if user is None:
        raise Unauthenticated("your session has ended; please log in again")
    return user


def log_out(
    session: Session,
    principal: Principal,
    client: str | None,
    *,
    session_token: str | None = None,
    api_token: str | None = None,
    everywhere: bool = False,
) -> None:
    """End this browser session or API token, or (`everywhere`) every session and token of
    the account: a lost laptop, a token left in a script. Audited."""
    if everywhere:
        user = session.get(User, principal.user_id)
        if user is not None:
            revoke_all(session, user)
    if session_token:
        end_session(session, session_token)
    if api_token:
        session.execute(
            sa.update(ApiToken)
            .where(ApiToken.token_hash == _digest(api_token), ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    what = "everywhere" if everywhere else "token" if api_token else "session"
    audit.record(session, Action.LOGOUT, principal=principal, client=client, detail={"ended": what})


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
    if row.user.must_change_password:
        raise Unauthenticated("change the one-time password at a web login first")
    return principal_of(row.user)
