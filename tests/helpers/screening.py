"""Screening in tests: a notices file and a register file (each with rows the import
refuses), and a register, its upload and a screening run set up through the service or
through the pages."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hoptac.auth.principal import Principal
from hoptac.db.models import User
from hoptac.registry import service as svc
from hoptac.screening import service
from hoptac.types import Role
from tests.conftest import csrf, login

NOTICE_HEADER = (
    "notice_id,name,alt_names,birth_date,sex,nationality,document_number,issuing_agency,charges"
)
REGISTER_HEADER = "record_id,name,birth_date,sex,nationality,document_number,source,seen_at"
# Five notices: two import, three are refused (no name; sex X; a document number too long).
NOTICES = f"""{NOTICE_HEADER}
N1,王健,Wang Jian,1985-03-07,M,CN,E12345678,Beijing PSB,fraud
N2,,Li Qiang,1980,M,CN,,Beijing PSB,fraud
N3,박근혜,,1952-02-02,F,KR,,KNPA,
N4,Trần Văn Hùng,,1990,X,VN,,,
N5,Nguyễn Thị Lan,,,F,VN,{"9" * 130},,
"""
# Six register records: four import, two are refused (no name; source 'prison').
REGISTER = f"""{REGISTER_HEADER}
R1,Vương Kiện,1985-07-03,M,CN,,hotel,2024-06-01T22:10
R2,Park Geun-hye,1952-02-02,F,KR,,resident,
R3,Lý Cường,1985-03-07,M,CN,,arrival,
R4,,1990,M,VN,,hotel,
R5,Kim Min-su,1970,M,KR,,prison,
R6,Jian Wang,1985,M,CN,,hotel,
"""


def principal(session: Session, username: str) -> Principal:
    """The principal of the user `username` (who must exist)."""
    user = session.scalars(sa.select(User).where(User.username == username)).one()
    return Principal(user.id, user.username, user.agency_id, Role(user.role))


def add_register(session: Session, p: Principal, name: str = "Lưu trú Q1", **more: Any) -> int:
    """A hotel register of `p`'s agency made through the service and committed; its id."""
    data = svc.validate(service.REGISTERS.schema_in, {"name": name, "kind": "hotel", **more})
    created = svc.create_record(session, p, service.REGISTERS, data)
    session.commit()
    return created.id


def new_register(client: TestClient, name: str = "Lưu trú Quận 1", sharing: str = "agency") -> int:
    """A hotel register made through the pages' form by the signed-in user; its id."""
    r = client.post(
        "/registers/new",
        data={"csrf_token": csrf(client), "name": name, "kind": "hotel", "sharing": sharing},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return int(r.headers["location"].split("/")[2].split("?")[0])


def upload(client: TestClient, path: str, name: str, body: bytes, **data: str) -> Any:
    """POST `body` as the file `name` to the upload form at `path`; the answer."""
    return client.post(
        path,
        data={"csrf_token": csrf(client), **data},
        files={"file": (name, body, "text/csv")},
    )


def screen(client: TestClient, app: Any, register_id: int) -> int:
    """A screening run of the register started from its page, waited for; the job's id."""
    r = client.post(
        "/screening/jobs",
        data={
            "csrf_token": csrf(client),
            "register_id": str(register_id),
            "threshold": "0,5",
            "engine": "python",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    app.state.jobs.wait(timeout=60)
    return int(r.headers["location"].rsplit("/", 1)[1])


def screening_world(client: TestClient, app: Any) -> dict[str, int]:
    """Signed in as hcmc_officer: REGISTER and NOTICES uploaded through the pages and a
    screening run; the ids of the register, the job and its first hit."""
    login(client, "hcmc_officer")
    register_id = new_register(client)
    upload(client, f"/registers/{register_id}/import", "r.csv", REGISTER.encode())
    upload(client, "/notices/import", "n.csv", NOTICES.encode())
    job = screen(client, app, register_id)
    html = client.get(f"/screening/hits?job={job}").text
    hits = [int(h) for h in re.findall(r'href="/screening/hits/(\d+)"', html)]
    return {"register": register_id, "job": job, "hit": hits[0]}
