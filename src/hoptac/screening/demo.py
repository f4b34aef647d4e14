"""Demo data for the screening pages: synthetic notices and a hotel-stay register (see
demo/screening/README.md), imported as the demo user through the same services as an
upload, once."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hoptac import demofiles
from hoptac.auth.principal import Principal
from hoptac.db.models import Register
from hoptac.registry import service as svc
from hoptac.screening import service
from hoptac.screening.schemas import RegisterIn
from hoptac.types import RegisterKind

REGISTER_NAME = "Lưu trú khách sạn (dữ liệu mẫu)"


def folder() -> Path:
    """`demo/screening/` of the source checkout (the package is installed editable)."""
    return demofiles.SCREENING


def load(session: Session, principal: Principal, where: Path | None = None) -> bool:
    """Import the demo register and notices unless the agency has the register already.
    Returns whether they were loaded now."""
    where = where or folder()
    taken = sa.select(Register.id).where(
        Register.owner_agency_id == principal.agency_id, Register.name == REGISTER_NAME
    )
    if session.scalar(taken) is not None or not where.is_dir():
        return False
    register = svc.create_record(
        session,
        principal,
        service.REGISTERS,
        RegisterIn(name=REGISTER_NAME, kind=RegisterKind.HOTEL),
    )
    session.commit()
    with (where / "hotel-stays.csv").open(encoding="utf-8") as records:
        service.import_records(session, principal, register.id, records)
    with (where / "notices.csv").open(encoding="utf-8") as notices:
        service.import_notices(session, principal, notices)
    return True
