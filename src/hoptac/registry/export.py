"""Export the node's registry records as one JSON document or one CSV file per type.

This is the node operator's export (the CLI runs with database access, so it is not
scoped to an agency); exports through the app are scoped like every other read.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, get_type_hints

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hoptac.auth import audit
from hoptac.auth.audit import Action
from hoptac.registry import service as svc


def _records(session: Session) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for name, res in svc.RESOURCES.items():
        rows = session.scalars(sa.select(res.model).order_by(res.model.id).options(*res.load))
        out[name] = [res.to_out(r, None).model_dump(mode="json") for r in rows]
    audit.record(
        session, Action.EXPORTED, username="cli", detail={k: len(v) for k, v in out.items()}
    )
    return out


def to_json(session: Session) -> str:
    return json.dumps({"hoptac_export": 1, **_records(session)}, ensure_ascii=False, indent=2)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def to_csv(session: Session, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in _records(session).items():
        path = directory / f"{name}.csv"
        out_type = get_type_hints(svc.RESOURCES[name].to_out)["return"]
        fields = list(out_type.model_fields)
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(fields)
            for row in rows:
                writer.writerow([_cell(row[k]) for k in fields])
        written.append(path)
    return written
