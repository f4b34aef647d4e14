"""Create/edit forms, declared once per resource and rendered by one template macro.

A form's submitted values are turned into the resource's input dict and validated by the
same schema as the API; errors come back per field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, get_args, get_origin

import sqlalchemy as sa
from pydantic_core import PydanticUndefined
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from hoptac.auth.principal import Principal
from hoptac.auth.scoping import scoped
from hoptac.registry import service as svc
from hoptac.types import (
    RANKS,
    AgencyLevel,
    AgreementKind,
    EngagementKind,
    NoticeKind,
    NoticeStatus,
    PartialDate,
    ParticipantRole,
    RegisterKind,
    Sharing,
    Topic,
)
from hoptac.web.i18n import Label, rank_text, translator
from hoptac.web.resources import RESOURCES

Choices = list[tuple[str, str | Label]]
PARTICIPANT_ROWS = 3  # blank rows offered below the existing participants


def _enum(enum: Any) -> Callable[[Session, Principal], Choices]:
    return lambda _s, _p: [(m.value, m.value) for m in enum]


def _records(
    res: svc.Resource[Any], label: Callable[[Any], str | Label]
) -> Callable[[Session, Principal], Choices]:
    """Choices for a reference field: the records the caller may see, in list order."""

    def load(session: Session, principal: Principal) -> Choices:
        stmt = scoped(sa.select(res.model), res.model, principal).order_by(*res.order_by)
        return [(str(r.id), label(r)) for r in session.scalars(stmt)]

    return load


def _agency_label(a: Any) -> Label:
    """'Sở Cảnh sát TP Busan (KR)' / 'Busan Metropolitan Police Agency (KR)'; international
    bodies say so in words, not 'ZZ'."""
    vi, en = a.name_vi, a.name_en or a.name_vi
    if a.country == "ZZ":
        return Label(f"{vi} ({translator('vi')('International')})", f"{en} (International)")
    return Label(f"{vi} ({a.country})", f"{en} ({a.country})")


def _person_label(p: Any) -> Label:
    """A person with the rank in the reader's language: 'Thiếu tướng Mai Hoàng' /
    'Major General Mai Hoàng'."""
    return Label(
        " ".join(x for x in (p.rank, p.full_name) if x),
        " ".join(x for x in (rank_text(p.rank, "en"), p.full_name) if x),
    )


_AGENCIES = _records(svc.AGENCIES, _agency_label)
_SOURCES = _records(svc.SOURCES, lambda s: s.title)
_AGREEMENTS = _records(svc.AGREEMENTS, lambda a: a.title)
_ENGAGEMENTS = _records(svc.ENGAGEMENTS, lambda e: e.title)
_PEOPLE = _records(svc.PEOPLE, _person_label)


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    widget: str = "text"  # text|textarea|date|select|multiselect|checkboxes|lines|participants
    required: bool = False
    help: str | None = None
    choices: Callable[[Session, Principal], Choices] | None = None
    translate_choices: bool = False  # choice labels are enum values to translate
    maxlength: int | None = None


COMMON = [
    FormField("sharing", "Sharing", "select", True, choices=_enum(Sharing), translate_choices=True),
    FormField(
        "shared_with",
        "Shared with (partner agencies)",
        "multiselect",
        help="With sharing: the owning agency and the partners named",
        choices=_AGENCIES,
    ),
    FormField("source_id", "Source", "select", choices=_SOURCES),
    FormField("quote", "Quote from the source", "textarea", maxlength=4000),
]
DATE_HELP = "Format: YYYY, YYYY-MM, YYYY-MM-DD or DD/MM/YYYY"
NAME_HELP = "As the notice writes it, in any script: 王健, Wang Jian, Vương Kiện"

SPECS: dict[str, list[FormField]] = {
    "agencies": [
        FormField("name_vi", "Name (Vietnamese)", required=True, maxlength=300),
        FormField("name_en", "Name (English)", maxlength=300),
        FormField("name_zh", "Name (Chinese)", maxlength=300),
        FormField("name_ko", "Name (Korean)", maxlength=300),
        FormField("abbreviations", "Abbreviations and other names", "lines", help="one per line"),
        FormField("country", "Country", required=True, maxlength=2, help="ISO: VN, CN, KR, LA, KH"),
        FormField(
            "level", "Level", "select", True, choices=_enum(AgencyLevel), translate_choices=True
        ),
        FormField("parent_id", "Parent agency", "select", choices=_AGENCIES),
        *COMMON,
    ],
    "people": [
        FormField("full_name", "Full name", required=True, maxlength=300),
        FormField(
            "rank", "Rank", "select", choices=lambda _s, _p: [(r, Label(r, en)) for r, en in RANKS]
        ),
        FormField("position", "Position", maxlength=500),
        FormField("agency_id", "Agency", "select", choices=_AGENCIES),
        *COMMON,
    ],
    "agreements": [
        FormField(
            "kind", "Kind", "select", True, choices=_enum(AgreementKind), translate_choices=True
        ),
        FormField("title", "Title", required=True, maxlength=500),
        FormField(
            "party_ids",
            "Parties",
            "multiselect",
            True,
            choices=_AGENCIES,
        ),
        FormField("signed", "Signed", "date", help=DATE_HELP),
        FormField("topics", "Topics", "checkboxes", choices=_enum(Topic), translate_choices=True),
        FormField("text_excerpt", "Text excerpt", "textarea"),
        *COMMON,
    ],
    "engagements": [
        FormField(
            "kind", "Kind", "select", True, choices=_enum(EngagementKind), translate_choices=True
        ),
        FormField("title", "Title", required=True, maxlength=500),
        FormField("start", "Start", "date", help=DATE_HELP),
        FormField("end", "End", "date", help=DATE_HELP),
        FormField(
            "host_ids",
            "Hosts",
            "multiselect",
            choices=_AGENCIES,
            help="Choose at least one host or visitor.",
        ),
        FormField(
            "visitor_ids",
            "Visitors",
            "multiselect",
            choices=_AGENCIES,
            help="Choose at least one host or visitor.",
        ),
        FormField("location", "Location", maxlength=300),
        FormField("places", "Places visited", "lines", help="one per line"),
        FormField("topics", "Topics", "checkboxes", choices=_enum(Topic), translate_choices=True),
        FormField("summary", "Summary", "textarea"),
        FormField("agreement_id", "Related agreement", "select", choices=_AGREEMENTS),
        FormField("participants", "Participants", "participants", choices=_PEOPLE),
        *COMMON,
    ],
    "commitments": [
        FormField("description", "Description", "textarea", True),
        FormField("owed_by_id", "Owed by", "select", True, choices=_AGENCIES),
        FormField("owed_to_id", "Owed to", "select", choices=_AGENCIES),
        FormField("agreement_id", "Related agreement", "select", choices=_AGREEMENTS),
        FormField("engagement_id", "Related engagement", "select", choices=_ENGAGEMENTS),
        FormField("due", "Due", "date", help=DATE_HELP),
        FormField(
            "status",
            "Status",
            "select",
            True,
            choices=lambda _s, _p: [(v, v) for v in ("open", "done", "dropped")],
            translate_choices=True,
        ),
        FormField("evidence", "Evidence", "textarea"),
        *COMMON,
    ],
    "notices": [
        FormField("ref", "Notice number", required=True, maxlength=120),
        FormField(
            "kind", "Kind", "select", True, choices=_enum(NoticeKind), translate_choices=True
        ),
        FormField("name", "Full name", required=True, maxlength=200, help=NAME_HELP),
        FormField("alt_names", "Other names and spellings", "lines", help="one per line"),
        FormField("birth", "Date of birth", "date", help=DATE_HELP),
        FormField(
            "sex",
            "Sex",
            "select",
            choices=lambda _s, _p: [("M", "male"), ("F", "female")],
            translate_choices=True,
        ),
        FormField("nationality", "Nationality", maxlength=2, help="ISO: VN, CN, KR, LA, KH"),
        FormField("document_number", "Document number", maxlength=120),
        FormField("issuing_agency", "Issuing agency", maxlength=300),
        FormField("charges", "Charges", "textarea"),
        FormField(
            "status", "Status", "select", True, choices=_enum(NoticeStatus), translate_choices=True
        ),
        *COMMON,
    ],
    "registers": [
        FormField("name", "Name", required=True, maxlength=500),
        FormField(
            "kind", "Kind", "select", True, choices=_enum(RegisterKind), translate_choices=True
        ),
        *COMMON,
    ],
}

ROLES: Choices = [(r.value, r.value) for r in ParticipantRole]


@dataclass
class FormState:
    """What the form template needs: fields, their choices, current values, errors."""

    resource: str
    fields: list[FormField]
    values: dict[str, Any]
    choices: dict[str, Choices]
    errors: dict[str, list[str]] = field(default_factory=dict)
    general_errors: list[str] = field(default_factory=list)


def schema_max_length(resource: str, name: str) -> int | None:
    """The most characters the resource's input schema accepts in field `name`: of the text
    itself, or of a list of lines (its items' limit times their number, plus line breaks)."""
    info = RESOURCE_OF[resource].schema_in.model_fields.get(name)
    if info is None:
        return None

    def limit(annotation: Any, metadata: list[Any]) -> int | None:
        found = [m.max_length for m in metadata if getattr(m, "max_length", None) is not None]
        if get_origin(annotation) is Annotated:
            inner, *more = get_args(annotation)
            sub = limit(inner, more)
        else:  # str | None: the limit of its parts
            parts = [limit(arg, []) for arg in get_args(annotation) if get_origin(arg) is not list]
            sub = min((x for x in parts if x is not None), default=None)
        return min([*found, sub]) if sub is not None else min(found, default=None)

    if get_origin(info.annotation) is list:  # lines: the items' limit times their number
        items = limit(list, info.metadata)
        item = limit(get_args(info.annotation)[0], [])
        return item * items + items if item and items else None
    return limit(info.annotation, info.metadata)


def _with_limits(resource: str, fields: list[FormField]) -> list[FormField]:
    """Every text field carries the schema's limit as `maxlength` (browser and server agree)."""
    out = []
    for f in fields:
        if f.widget in ("text", "textarea", "lines", "date"):
            limit = schema_max_length(resource, f.name) or f.maxlength
            if f.widget == "date":
                limit = 10  # 2024-06-30 or 30/06/2024
            f = replace(f, maxlength=limit)
        out.append(f)
    return out


def build(
    resource: str, session: Session, principal: Principal, values: dict[str, Any]
) -> FormState:
    fields = FIELDS[resource]
    choices = {f.name: f.choices(session, principal) for f in fields if f.choices}
    return FormState(resource, fields, display_values(values), choices)


def display_values(values: dict[str, Any]) -> dict[str, Any]:
    """Stored values as the form shows them (dates as text, ids as strings)."""
    out: dict[str, Any] = {}
    for k, v in values.items():
        if isinstance(v, PartialDate):
            out[k] = v.iso()
        elif isinstance(v, list):
            out[k] = [x if isinstance(x, dict) else str(x) for x in v]
        elif v is None:
            out[k] = ""
        else:
            out[k] = str(v.value) if hasattr(v, "value") else str(v)
    return out


def defaults(resource: str) -> dict[str, Any]:
    """The input schema's non-empty defaults (e.g. status 'open', sharing)."""
    schema = RESOURCE_OF[resource].schema_in
    return {
        name: info.default
        for name, info in schema.model_fields.items()
        if info.default not in (None, PydanticUndefined) and not info.default_factory
    }


def _blank(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def parse(resource: str, form: FormData) -> tuple[dict[str, Any], dict[str, Any]]:
    """(input dict for the schema, raw values to redisplay if invalid)."""
    data: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    for f in SPECS[resource]:
        if f.widget in ("multiselect", "checkboxes"):
            values = [v for v in form.getlist(f.name) if isinstance(v, str) and v]
            raw[f.name] = values
            data[f.name] = values
        elif f.widget == "lines":
            text = form.get(f.name)
            raw[f.name] = text if isinstance(text, str) else ""
            data[f.name] = [ln.strip() for ln in raw[f.name].splitlines() if ln.strip()]
        elif f.widget == "participants":
            rows = []
            for i in range(200):
                person = _blank(form.get(f"participants.{i}.person_id"))
                if person is None and f"participants.{i}.role" not in form:
                    break
                if person is not None:
                    rows.append(
                        {
                            "person_id": person,
                            "role": _blank(form.get(f"participants.{i}.role")) or "member",
                            "quote": _blank(form.get(f"participants.{i}.quote")),
                        }
                    )
            raw[f.name] = rows
            data[f.name] = rows
        else:
            value = form.get(f.name)
            raw[f.name] = value if isinstance(value, str) else ""
            data[f.name] = _blank(value)
    # Optional fields left blank are simply absent; required ones fail validation.
    return {k: v for k, v in data.items() if v is not None}, raw


def split_errors(state: FormState, errors: list[tuple[str, str]]) -> None:
    names = {f.name for f in state.fields}
    for field_name, message in errors:
        head = field_name.split(".")[0]
        if head in names:
            state.errors.setdefault(head, []).append(message)
        else:  # the record as a whole ("body"), or a field the form does not show
            state.general_errors.append(message if head == "body" else f"{field_name}: {message}")


def reference_choices(resource: str) -> list[str]:
    return [f.name for f in SPECS[resource] if f.choices is not None]


RESOURCE_OF = {name: RESOURCES[name] for name in SPECS}
# The fields as forms show them: with the schema's maxlength on every text field.
FIELDS = {name: _with_limits(name, fields) for name, fields in SPECS.items()}
