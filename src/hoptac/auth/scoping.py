"""The one place that decides which records a caller may read.

Every query of a scoped table goes through `scoped()`. The rule: the caller's own agency's
records, records shared with every agency on the node, and records shared with the
caller's agency by name (sharing "partners", one `RecordShare` row per named agency).
"""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hoptac.auth.principal import Principal
from hoptac.db.models import RecordShare
from hoptac.errors import NotFound
from hoptac.types import Sharing

S = TypeVar("S", bound=sa.Select[Any])
T = TypeVar("T")


def visible(model: Any, principal: Principal) -> sa.ColumnElement[bool]:
    """The SQL condition under which `principal` may read rows of `model`."""
    named = (
        sa.select(RecordShare.id)
        .where(
            RecordShare.record_type == model.__tablename__,
            RecordShare.record_id == model.id,
            RecordShare.agency_id == principal.agency_id,
        )
        .exists()
    )
    return sa.or_(
        model.sharing == Sharing.ALL,
        model.owner_agency_id == principal.agency_id,
        sa.and_(model.sharing == Sharing.PARTNERS, named),
    )


def scoped(stmt: S, model: Any, principal: Principal) -> S:
    return stmt.where(visible(model, principal))


def get_visible(session: Session, model: type[T], record_id: int, principal: Principal) -> T:
    """Fetch one record or raise NotFound, whether it is missing or outside the scope."""
    stmt = scoped(sa.select(model).where(model.id == record_id), model, principal)  # type: ignore[attr-defined]
    obj = session.scalars(stmt).first()
    if obj is None:
        raise not_found(session, model, record_id)
    return obj


def not_found(
    session: Session,
    model: Any,
    record_id: int,
    name: str = "",
    owner_of: sa.Select[Any] | None = None,
) -> NotFound:
    """The error for a record the caller may not read: the same words whether it is missing
    or hidden. For a hidden one it names the owning agency (`owner_of`: the query of it,
    for a record owned through another), whose admins' audit log records the attempt
    (someone probing another agency's records shows there, not to the prober)."""
    if owner_of is None:
        owner_of = sa.select(model.owner_agency_id).where(model.id == record_id)
    owner = session.execute(owner_of).first()
    name = name or model.__name__.lower()
    return NotFound(
        f"{name} {record_id} does not exist",
        object_type=name,
        object_id=record_id,
        hidden_from=owner[0] if owner is not None else None,
    )


def can_edit(obj: Any, principal: Principal) -> bool:
    """Only the owning agency's officers and admins change a record, and never a copy
    received from a partner node (its issuer changes it)."""
    return (
        principal.can_write
        and obj.owner_agency_id == principal.agency_id
        and getattr(obj, "origin_peer_id", None) is None
    )


def is_visible(obj: Any, principal: Principal | None) -> bool:
    """The Python twin of `visible()`, for related rows already loaded (a shared record may
    point at records its reader must not see). `None` is the node itself: it sees all."""
    if principal is None:
        return True
    return bool(
        obj.sharing == Sharing.ALL
        or obj.owner_agency_id == principal.agency_id
        or (obj.sharing == Sharing.PARTNERS and principal.agency_id in obj.shared_with)
    )


def shown(obj: T | None, principal: Principal | None) -> T | None:
    """`obj` when the caller may see it, else None."""
    return obj if obj is not None and is_visible(obj, principal) else None
