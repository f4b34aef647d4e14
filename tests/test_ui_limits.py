"""Long input and small things: every text field has a limit the browser and the server
agree on; the threshold reads as the page's language writes numbers; the dashboard shows
the first few commitments; a node without a hotline identity explains itself (200)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any, get_args, get_origin

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy.orm import Session

from hoptac.db.models import Commitment
from hoptac.registry import schemas as registry_schemas
from hoptac.screening import schemas as screening_schemas
from hoptac.web.pages import forms
from tests.conftest import csrf, login

TEXT_INPUTS = {None, "text", "search", "url", "email", "tel"}


class Fields(HTMLParser):
    """The text inputs and textareas of a page: (tag, name, maxlength)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if (tag == "input" and a.get("type") in TEXT_INPUTS) or tag == "textarea":
            self.fields.append((tag, a.get("name") or a.get("class") or "?", a.get("maxlength")))


def _fields(html: str) -> list[tuple[str, str, str | None]]:
    parser = Fields()
    parser.feed(html)
    return parser.fields


def _schemas() -> list[type[BaseModel]]:
    found = []
    for module in (registry_schemas, screening_schemas):
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and value.__name__.endswith("In")
            ):
                found.append(value)
    return found


def _is_text(annotation: Any) -> bool:
    if annotation is str:
        return True
    return any(_is_text(a) for a in get_args(annotation) if get_origin(a) is not list)


def _bounded(info: Any) -> bool:
    """A max_length (or a pattern that bounds the length) somewhere on the field."""

    def walk(annotation: Any, metadata: list[Any]) -> bool:
        for m in metadata:
            if getattr(m, "max_length", None) is not None:
                return True
            pattern = getattr(m, "pattern", None)
            if pattern and re.search(r"\{\d*,\d+\}\$$", pattern):
                return True
        return any(
            walk(get_args(a)[0], list(get_args(a)[1:]))
            if hasattr(a, "__metadata__")
            else walk(a, [])
            for a in get_args(annotation)
            if a is not type(None)
        )

    return walk(info.annotation, list(info.metadata))


def test_every_free_text_field_of_every_input_schema_has_a_limit() -> None:
    schemas = _schemas()
    assert len(schemas) >= 8, schemas
    unbounded = [
        f"{schema.__name__}.{name}"
        for schema in schemas
        for name, info in schema.model_fields.items()
        if _is_text(info.annotation) and not _bounded(info)
    ]
    # a validator that accepts exactly two letters (registry.schemas._country)
    assert unbounded == ["AgencyIn.country"]
    with pytest.raises(ValueError, match="2-letter"):
        registry_schemas.AgencyIn(name_vi="x", level="city", country="x" * 10_000)


def test_a_commitment_description_has_a_limit(client: TestClient, demo: Session) -> None:
    agency = demo.scalar(sa.select(Commitment.owed_by_id))
    login(client, "demo", "hoptac-demo-2024")
    r = client.post(
        "/commitments/new",
        data={
            "csrf_token": csrf(client, "/commitments/new"),
            "description": "x" * 10_000,
            "owed_by_id": str(agency),
            "status": "open",
            "sharing": "agency",
        },
    )
    assert r.status_code == 422
    assert "5000" in r.text or "5.000" in r.text or "5,000" in r.text


def test_every_text_field_and_search_box_has_the_servers_maxlength(
    client: TestClient, demo: Session
) -> None:
    login(client, "demo", "hoptac-demo-2024")
    commitment = demo.scalar(sa.select(Commitment.id).order_by(Commitment.id))
    pages = [f"/{name}/new" for name in forms.SPECS] + [
        "/agencies",
        "/people",
        "/notices",
        "/search",
        "/screening",
        f"/commitments/{commitment}/edit",
    ]
    missing = []
    for path in pages:
        html = client.get(path).text
        fields = _fields(html)
        assert fields, path
        missing += [(path, name) for tag, name, maxlength in fields if not maxlength]
        resource = path.split("/")[1]
        if path.endswith("/new"):  # the browser's limit is the schema's
            for _tag, name, maxlength in fields:
                limit = forms.schema_max_length(resource, name)
                if limit is not None:
                    assert maxlength == str(limit), (path, name, maxlength, limit)
    assert not missing


@pytest.mark.parametrize(("lang", "shown"), [("vi", "0,5"), ("en", "0.5")])
def test_the_threshold_reads_like_its_help(
    client: TestClient, world: dict[str, Any], lang: str, shown: str
) -> None:
    client.cookies.set("hoptac_lang", lang)
    login(client, "hcmc_officer")
    client.post(
        "/registers/new",
        data={"csrf_token": csrf(client), "name": "Lưu trú", "kind": "hotel", "sharing": "agency"},
    )
    html = client.get("/screening").text
    value = re.search(r'id="threshold" name="threshold" value="([^"]*)"', html)
    assert value and value.group(1) == shown
    help_ = re.search(r'id="threshold-help">([^<]*)<', html)
    assert help_ and shown in help_.group(1), help_
    other = "0.5" if lang == "vi" else "0,5"
    assert other not in help_.group(1)


def test_the_dashboard_shows_the_first_open_commitments_and_a_link(
    client: TestClient, demo: Session
) -> None:
    login(client, "demo", "hoptac-demo-2024")
    html = client.get("/").text
    section = html.split("<h2>Cam kết đang thực hiện</h2>", 1)[1].split("</section>", 1)[0]
    assert section.count('href="/commitments/') <= 5
    assert 'href="/commitments?status=open"' in section


@pytest.mark.parametrize(
    ("lang", "words"),
    [("vi", "chưa có định danh trao đổi"), ("en", "has no exchange identity yet")],
)
def test_a_node_without_identity_explains_the_hotline(
    client: TestClient, world: dict[str, Any], lang: str, words: str
) -> None:
    client.cookies.set("hoptac_lang", lang)
    login(client, "hcmc_officer")
    r = client.get("/hotline")
    assert r.status_code == 200
    assert words in r.text and "hoptac init --node-id" in r.text and "--agency" in r.text
