"""An agency's admin manages the agency's own accounts: unlock, disable, enable, a new
role, a one-time password, a new second factor (a lost phone). Each step goes through the
account rules of `auth.service` (sessions end, audited with before and after, the admin
named); another agency's account is 404 like a missing one, and no admin changes the own
account here (no lock-out by a slip)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hoptac.auth import passwords, service
from hoptac.auth.principal import Principal
from hoptac.db.models import User
from hoptac.errors import Forbidden, InvalidInput, NotFound
from hoptac.types import Role


class Step(StrEnum):
    UNLOCK = "unlock"
    DISABLE = "disable"
    ENABLE = "enable"
    ROLE = "role"
    RESET_PASSWORD = "reset-password"
    RESET_SECOND_FACTOR = "reset-second-factor"


@dataclass(frozen=True)
class Done:
    step: Step
    user: User
    one_time_password: str | None = None  # shown once to the admin, never stored


def _require_admin(principal: Principal) -> None:
    if principal.role is not Role.ADMIN:
        raise Forbidden("Only an administrator manages accounts.")


def users_of(session: Session, principal: Principal) -> list[User]:
    """The accounts of the admin's agency, by username."""
    _require_admin(principal)
    stmt = sa.select(User).where(User.agency_id == principal.agency_id).order_by(User.username)
    return list(session.scalars(stmt))


def managed(session: Session, principal: Principal, user_id: int) -> User:
    """An account of the admin's agency; another agency's reads as missing."""
    _require_admin(principal)
    user = session.get(User, user_id)
    if user is None or user.agency_id != principal.agency_id:
        raise NotFound(
            f"user {user_id} does not exist",
            object_type="user",
            object_id=user_id,
            hidden_from=user.agency_id if user is not None else None,
        )
    return user


def apply(
    session: Session,
    principal: Principal,
    user_id: int,
    step: str,
    client: str | None,
    role: str | None = None,
) -> Done:
    """One step on an account of the admin's agency (the caller commits)."""
    user = managed(session, principal, user_id)
    try:
        chosen = Step(step)
    except ValueError:
        raise InvalidInput(f"unknown step {step!r}") from None
    if user.id == principal.user_id:
        raise InvalidInput("you cannot change your own account here")
    if chosen is Step.UNLOCK:
        service.unlock_user(session, user, principal, client)
    elif chosen is Step.DISABLE:
        if not user.is_active:
            raise InvalidInput(f"user '{user.username}' is already disabled")
        service.disable_user(session, user, principal, client, "disabled by an administrator")
    elif chosen is Step.ENABLE:
        service.enable_user(session, user, principal, client)
    elif chosen is Step.ROLE:
        try:
            new_role = Role(role or "")
        except ValueError:
            raise InvalidInput(f"unknown role {role!r}") from None
        if new_role is user.role:
            raise InvalidInput(f"user '{user.username}' is already {new_role.value}")
        service.set_role(session, user, new_role, principal, client)
    elif chosen is Step.RESET_PASSWORD:
        secret = passwords.one_time()
        service.set_password(session, user, secret, principal, client, one_time=True)
        return Done(chosen, user, secret)
    else:
        service.reset_second_factor(session, user, principal, client)
    return Done(chosen, user)
