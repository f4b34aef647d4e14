"""Load the demo data curated from the seed articles (`demo/seeds.yaml`).

Every record goes through the same service path as the API (validation, reference
checks, audit), and every quote is checked to be a verbatim passage of its article.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session

from hoptac import demofiles
from hoptac.auth import audit
from hoptac.auth import service as auth_service
from hoptac.auth.audit import Action
from hoptac.auth.principal import Principal
from hoptac.db.models import Agency, Source, User
from hoptac.errors import InvalidInput
from hoptac.registry import schemas as s
from hoptac.registry import service as svc
from hoptac.types import Role, Sharing

DEMO_USER = "demo"
LOADER = "demo-loader"  # whom the demo's audit rows name: the node itself, loading
DEMO_PASSWORD = "hoptac-demo-2024"


def default_path() -> Path:
    """`demo/seeds.yaml` of the source checkout (the package is installed editable)."""
    return demofiles.SEEDS


def _collapse(text: str) -> str:
    return " ".join(text.split())


class _Loader:
    def __init__(self, session: Session, doc: dict[str, Any], base: Path) -> None:
        self.session = session
        self.doc = doc
        self.base = base
        self.ids: dict[tuple[str, str], int] = {}
        self.texts: dict[str, str] = {}
        self.principal: Principal | None = None

    def id(self, kind: str, ref: str | None) -> int | None:
        if ref is None:
            return None
        try:
            return self.ids[(kind, ref)]
        except KeyError:
            raise InvalidInput(f"demo data: unknown {kind} ref '{ref}'") from None

    def check_quote(self, what: str, item: dict[str, Any]) -> None:
        quote, src = item.get("quote"), item.get("source")
        if quote and src and _collapse(quote) not in self.texts[src]:
            raise InvalidInput(f"demo data: the quote of {what} is not in source '{src}'")

    def create(self, res: svc.Resource[Any], kind: str, item: dict[str, Any]) -> int:
        assert self.principal is not None
        data = svc.validate(res.schema_in, item)
        obj = svc.create_record(self.session, self.principal, res, data)
        self.ids[(kind, item["ref"])] = obj.id
        return int(obj.id)

    def common(self, item: dict[str, Any]) -> dict[str, Any]:
        """Provenance fields of a YAML item, after checking its quote against its source."""
        self.check_quote(f"'{item['ref']}'", item)
        return {
            "ref": item["ref"],
            "sharing": Sharing.ALL,
            "source_id": self.id("source", item.get("source")),
            "quote": item.get("quote"),
        }

    def run(self) -> Agency:
        agencies = {a["ref"]: a for a in self.doc["agencies"]}
        owner_ref = self.doc["owner"]
        owner = self._bootstrap_owner(agencies[owner_ref])
        self.principal = Principal.node(owner.id, LOADER)
        for src in self.doc["sources"]:
            text = (self.base / src["file"]).read_text(encoding="utf-8")
            self.texts[src["ref"]] = _collapse(text)
            item = {k: v for k, v in src.items() if k not in ("file",)}
            self.create(svc.SOURCES, "source", {**item, "text": text, "sharing": Sharing.ALL})
        for ref in _parents_first(agencies):
            item = agencies[ref]
            fields = {
                k: v for k, v in item.items() if k not in ("ref", "source", "quote", "parent")
            }
            data = {
                **self.common(item),
                **fields,
                "parent_id": self.id("agency", item.get("parent")),
            }
            if ref == owner_ref:
                # Bootstrapped without a source; complete it through the normal update path.
                data.pop("ref")
                svc.update_record(self.session, self.principal, svc.AGENCIES, owner.id, data)
            else:
                self.create(svc.AGENCIES, "agency", data)
        for item in self.doc.get("people", []):
            self.create(
                svc.PEOPLE,
                "person",
                {
                    **self.common(item),
                    **{k: item.get(k) for k in ("full_name", "rank", "position")},
                    "agency_id": self.id("agency", item.get("agency")),
                },
            )
        for item in self.doc.get("agreements", []):
            self.create(
                svc.AGREEMENTS,
                "agreement",
                {
                    **self.common(item),
                    **{k: item.get(k) for k in ("kind", "title", "signed", "text_excerpt")},
                    "topics": item.get("topics") or [],
                    "party_ids": [self.id("agency", r) for r in item["parties"]],
                },
            )
        for item in self.doc.get("engagements", []):
            participants = []
            for part in item.get("participants") or []:
                self.check_quote(
                    f"a participant of '{item['ref']}'", {**part, "source": item.get("source")}
                )
                participants.append(
                    {
                        "person_id": self.id("person", part["person"]),
                        "role": part.get("role", "member"),
                        "quote": part.get("quote"),
                    }
                )
            self.create(
                svc.ENGAGEMENTS,
                "engagement",
                {
                    **self.common(item),
                    **{
                        k: item.get(k)
                        for k in ("kind", "title", "start", "end", "location", "summary")
                    },
                    "places": item.get("places") or [],
                    "topics": item.get("topics") or [],
                    "host_ids": [self.id("agency", r) for r in item.get("hosts") or []],
                    "visitor_ids": [self.id("agency", r) for r in item.get("visitors") or []],
                    "agreement_id": self.id("agreement", item.get("agreement")),
                    "participants": participants,
                },
            )
        for item in self.doc.get("commitments", []):
            self.create(
                svc.COMMITMENTS,
                "commitment",
                {
                    **self.common(item),
                    **{k: item.get(k) for k in ("description", "due", "evidence")},
                    "status": item.get("status", "open"),
                    "owed_by_id": self.id("agency", item["owed_by"]),
                    "owed_to_id": self.id("agency", item.get("owed_to")),
                    "agreement_id": self.id("agreement", item.get("agreement")),
                    "engagement_id": self.id("engagement", item.get("engagement")),
                },
            )
        return owner

    def _bootstrap_owner(self, item: dict[str, Any]) -> Agency:
        """The owning agency must exist before anything can be owned by it."""
        data = svc.validate(
            s.AgencyIn, {k: v for k, v in item.items() if k not in ("source", "quote", "parent")}
        )
        owner = svc.create_own_agency(self.session, data, LOADER)
        self.ids[("agency", item["ref"])] = owner.id
        return owner


def _parents_first(agencies: dict[str, dict[str, Any]]) -> list[str]:
    order: list[str] = []
    placing: set[str] = set()

    def place(ref: str) -> None:
        if ref in order:
            return
        if ref in placing:
            raise InvalidInput(f"demo data: agency '{ref}' is its own ancestor")
        placing.add(ref)
        parent = agencies[ref].get("parent")
        if parent:
            if parent not in agencies:
                raise InvalidInput(f"demo data: unknown agency ref '{parent}'")
            place(parent)
        order.append(ref)

    for ref in agencies:
        place(ref)
    return order


def is_loaded(session: Session) -> bool:
    return session.scalar(sa.select(Source.id).where(Source.ref == "seed-000")) is not None


def load(session: Session, path: Path | None = None) -> tuple[bool, str]:
    """Load the demo data and the demo user once. Returns (loaded now?, demo username)."""
    path = path or default_path()
    if is_loaded(session):
        return False, DEMO_USER
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    owner = _Loader(session, doc, path.parent).run()
    if session.scalar(sa.select(User.id).where(User.username == DEMO_USER)) is None:
        auth_service.create_user(
            session,
            username=DEMO_USER,
            password=DEMO_PASSWORD,
            role=Role.OFFICER,
            agency_id=owner.id,
        )
    audit.record(session, Action.DEMO_LOADED, username="demo-loader", detail={"file": path.name})
    return True, DEMO_USER
