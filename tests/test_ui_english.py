"""Every page, read in English, says nothing in Vietnamese but the records' own values; and
both languages keep to one format for dates and numbers, and never show the code 'ZZ'.

How "the records' own values" are told apart from the page's own words: the test reads
every text value stored in the database (names, titles, quotes, descriptions, positions,
source texts, register rows, usernames...) and removes those values from what a page shows.
Values that are a *vocabulary* the interface must translate are not counted as data: ranks,
countries, nationalities, sex, the engine's hit reasons and locations (whose place and
country names come from the gazetteer). What is left is what the templates and the code
wrote; in English it must hold no Vietnamese letter. No markup in the templates is trusted,
so a new page or a new label is checked without anyone marking it.

Text is read per block (inline elements such as <a>, <mark>, <span> joined to their block),
so that a highlighted source paragraph is compared whole with the source's text; visible
attributes (title, placeholder, aria-label, alt) are read too.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hoptac.assistance import cases
from hoptac.assistance import service as assistance
from hoptac.auth import service as auth_service
from hoptac.db.models import (
    Agency,
    Agreement,
    Base,
    Commitment,
    Engagement,
    Notice,
    Person,
    Register,
    RegisterRecord,
    ScreeningHit,
    ScreeningJob,
    Source,
    User,
)
from hoptac.exchange import identity, peering
from hoptac.exchange.keys import NodeKeys
from hoptac.screening import demo as screening_demo
from hoptac.screening import service as screening_service
from hoptac.settings import Settings
from hoptac.types import Role
from hoptac.web.pages import forms
from tests.conftest import add_user, login
from tests.helpers.hotline import (
    BUSAN,
    HCMC,
    Net,
    card,
    pin_requests,
    receive,
    receive_request,
    receive_surrender,
)
from tests.helpers.routes import routes as _routes

VIETNAMESE = re.compile(
    "[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.IGNORECASE
)
ZZ = re.compile(r"\bZZ\b")
ISO_DATE = re.compile(r"\b[0-9]{4}-[0-9]{2}(?:-[0-9]{2})?\b")
DMY_DATE = re.compile(r"\b[0-9]{1,2}/(?:[0-9]{1,2}/)?[0-9]{4}\b")
THOUSANDS = {
    "en": re.compile(r"\b[0-9]{1,3}(?:\.[0-9]{3})+\b"),
    "vi": re.compile(r"\b[0-9]{1,3}(?:,[0-9]{3})+\b"),
}

# Columns whose values the interface must say in the reader's language: not data here.
VOCABULARY_COLUMNS = {"rank", "country", "nationality", "sex", "reasons", "location"}
# Hotline texts live sealed in the database: the test's own message is data too.
MESSAGE = ("Đối tượng Kim nhập cảnh", "Kim Min-jun nhập cảnh qua Tân Sơn Nhất chiều nay.")

INLINE = {
    "a", "abbr", "b", "bdi", "cite", "code", "em", "i", "kbd", "mark", "q", "s", "samp",
    "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr",
}  # fmt: skip
SKIP = {"script", "style", "svg"}
ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")


class Chunks(HTMLParser):
    """A page's visible text per block, and its visible attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self._buffer: list[str] = []
        self._skip = 0

    def _flush(self) -> None:
        text = " ".join("".join(self._buffer).split())
        if text:
            self.blocks.append(text)
        self._buffer = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP:
            self._skip += 1
        if tag not in INLINE:
            self._flush()
        for name, value in attrs:
            if name in ATTRIBUTES and value:
                self.attributes.append((name, value))

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP:
            self._skip -= 1
        if tag not in INLINE:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._buffer.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


class Data:
    """Every text value stored in the database but the vocabularies."""

    def __init__(self, session: Session, extra: tuple[str, ...] = ()) -> None:
        values: set[str] = set(extra)
        for table in Base.metadata.sorted_tables:
            columns = [
                c
                for c in table.columns
                if isinstance(c.type, (sa.String, sa.Text, sa.JSON))
                and c.name not in VOCABULARY_COLUMNS
            ]
            if not columns:
                continue
            names = {"name", "full_name", "alt_names"}
            for row in session.execute(sa.select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    for text in _strings(value):
                        # the value, and each of its lines (a byline of a source's text)
                        values.add(" ".join(text.split()))
                        values.update(" ".join(line.split()) for line in text.splitlines())
                        if column.name in names:  # a name's parts, as hit reasons cite them
                            values.update(w for w in re.findall(r"\w+", text) if len(w) >= 2)
        self.values = sorted((v for v in values if len(v) >= 2), key=len, reverse=True)
        self.corpus = "\n".join(self.values)
        self.by_word: dict[str, list[str]] = defaultdict(list)
        for v in self.values:
            words = re.findall(r"\w+", v.casefold())
            if words:
                self.by_word[words[0]].append(v)

    def strip(self, text: str) -> str:
        """The text without the data values in it: passages of data (also truncated ones,
        'Công an…') go whole, then every value found in what is left."""
        pieces = []
        for piece in re.split(r"\.\.\.|…", text):
            bare = piece.strip()
            pieces.append("" if len(bare) >= 30 and bare in self.corpus else piece)
        text = " ".join(pieces)
        folded = text.casefold()
        candidates = {v for w, vs in self.by_word.items() if w in folded for v in vs}
        for v in sorted(candidates, key=len, reverse=True):
            if v in text:
                text = text.replace(v, " ")
        return text


def problems(text: str, lang: str, *, input_example: bool = False) -> list[str]:
    found = []
    if lang == "en" and VIETNAMESE.search(text):
        found.append("Vietnamese")
    if ZZ.search(text):
        found.append("the code ZZ")
    if not input_example:
        if ISO_DATE.search(text):
            found.append("an ISO date")
        if lang == "en" and DMY_DATE.search(text):
            found.append("a dd/mm/yyyy date")
    if THOUSANDS[lang].search(text):
        found.append("a number in the other language's format")
    return found


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The node's home (its keys) in a temporary directory; no background sender."""
    return Settings(home=tmp_path / "node", database_url=database_url, exchange_sender=False)


@pytest.fixture
def site(client: TestClient, app: Any, demo: Session, settings: Settings) -> dict[str, str]:
    """The demo data, a screening run with its hits, an administrator of the demo's agency,
    and a hotline with a partner and a message: something on every page."""
    session = demo
    hcmc = session.scalar(sa.select(Agency).where(Agency.ref == "vn-hcmc-police"))
    assert hcmc is not None
    add_user(session, "ui_admin", Role.ADMIN, hcmc)
    demo_user = session.scalar(sa.select(User).where(User.username == "demo"))
    assert demo_user is not None
    screening_demo.load(session, auth_service.principal_of(demo_user))
    _node, keys = identity.init_node(
        session,
        settings.keys_dir,
        node_id=HCMC,
        name="Công an TP.HCM",
        url="https://hcmc.example",
        agency_ref="vn-hcmc-police",
    )
    busan = NodeKeys.generate()
    peering.add_peer(session, card(BUSAN, "Sở Cảnh sát Busan", busan))
    session.commit()
    net = Net(keys, busan, NodeKeys.generate())
    receive(session, net, subject=MESSAGE[0], text=MESSAGE[1])
    pin_requests(session, net)
    request = receive_request(session, net, files=[("ho-so.pdf", b"%PDF-1.4")])
    login(client, "ui_admin")
    register = session.scalar(sa.select(Register.id).order_by(Register.id))
    page = client.get("/screening").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    r = client.post(
        "/screening/jobs",
        data={
            "csrf_token": token.group(1),
            "register_id": str(register),
            "engine": "python",
            "threshold": "0,5",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    app.state.jobs.wait(timeout=120)
    conversation = client.get(f"/hotline/peers/{BUSAN}").text
    thread = re.search(r'href="/hotline/threads/([^"]+)"', conversation)
    assert thread, conversation
    admin = auth_service.principal_of(
        session.scalars(sa.select(User).where(User.username == "ui_admin")).one()
    )
    # a surrender to hand over (its form), and one handed over (its record)
    surrenders = [receive_surrender(session, net) for _ in range(2)]
    for uid in surrenders:
        for action in ("acknowledge", "accept", "start"):
            assistance.take(session, keys, admin, uid, action, {})
    assistance.record_handover(
        session,
        keys,
        admin,
        surrenders[1],
        {
            "persons": ["Kim Min-jun"],
            "place": "Cửa khẩu Mộc Bài",
            "at": "2025-03-01T02:30:00+00:00",
            "handing_agency": "Công an TP.HCM",
            "receiving_agency": "Sở Cảnh sát Busan",
            "handing_officers": ["Đại úy Phạm D"],
            "documents": ["Biên bản bàn giao"],
        },
    )
    # a case that ties in something of every source: its timeline shows each
    hit = session.scalars(sa.select(ScreeningHit).order_by(ScreeningHit.id)).first()
    assert hit is not None
    screening_service.decide(session, admin, hit.id, "confirmed", "Cùng hộ chiếu")
    case = cases.open_case(session, admin, "Chuyên án lừa đảo Busan", "Đường dây lừa đảo")
    item = cases.add_evidence(
        session, admin, case.ref, kind="physical", description="Điện thoại", holder="Đội 3",
        location="Kho vật chứng Quận 1",
    )  # fmt: skip
    cases.add_evidence(
        session, admin, case.ref, kind="file", description="Ảnh hiện trường", holder="Đội 3",
        file=cases.File("anh.jpg", "image/jpeg", b"\xff\xd8" * 700),
    )  # fmt: skip
    cases.transfer_custody(
        session, admin, case.ref, item.id, to_holder="Viện Khoa học hình sự", place="Hà Nội",
        reason="Giám định",
    )  # fmt: skip
    for kind, target in (
        ("request", request),
        ("request", surrenders[1]),
        ("thread", thread.group(1)),
        ("hit", str(hit.id)),
        ("notice", str(hit.notice_id)),
    ):
        cases.link(session, admin, case.ref, kind, target)
    cases.transfer(session, admin, case.ref, officer="demo", reason="Phân công lại")
    session.commit()
    return {
        "thread": thread.group(1),
        "request": request,
        "case": case.ref,
        "surrenders": " ".join(surrenders),
    }


def _first(session: Session, model: Any) -> str:
    found = session.scalar(sa.select(model.id).order_by(model.id))
    assert found is not None, model
    return str(found)


def pages(app: Any, session: Session, site: dict[str, str]) -> list[str]:
    """Every page (GET, HTML) of the app, its path filled with a record of the demo."""
    ids = {
        "/agencies/": Agency,
        "/agreements/": Agreement,
        "/engagements/": Engagement,
        "/commitments/": Commitment,
        "/people/": Person,
        "/sources/": Source,
        "/notices/": Notice,
        "/registers/": Register,
        "/records/": RegisterRecord,
        "/screening/jobs/": ScreeningJob,
        "/screening/hits/": ScreeningHit,
        "/admin/users/": User,
    }
    out: list[str] = []
    for method, path in _routes(app):
        # not pages for officers: the API's, the problem types' explanations (for programmers)
        skip = ("/api", "/static", "/lang", "/login", "/logout", "/problems")
        if method != "GET" or path.startswith(skip):
            continue
        if path.endswith((".csv", "/{index:int}", "/file")) or path == "/favicon.ico":
            continue  # files
        path = path.replace("{node_id}", BUSAN).replace("{thread_id}", site["thread"])
        path = path.replace("{uid}", site["request"]).replace("{ref}", site["case"])
        for filled in (
            [path.replace("{resource}", name) for name in forms.SPECS]
            if ("{resource}" in path)
            else [path]
        ):
            if "{record_id" in filled:
                prefix = next(p for p in ids if filled.startswith(p))
                filled = re.sub(r"\{record_id(:int)?\}", _first(session, ids[prefix]), filled)
            out.append(filled)
    assert not [p for p in out if "{" in p], out
    # and a few pages in the states that show more: a search, a filter, a page's second part
    out += ["/people?q=nguyen", "/agencies?q=busan", "/search?q=wang", "/commitments?status=open"]
    # a surrender's handover form and its recorded handover; the cases' other tabs
    out += [f"/requests/{uid}" for uid in site["surrenders"].split()]
    out += ["/cases?status=closed", "/cases?status=all"]
    return out


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_every_page_in_the_readers_language(
    client: TestClient, app: Any, demo: Session, site: dict[str, str], lang: str
) -> None:
    client.cookies.set("hoptac_lang", lang)
    data = Data(demo, MESSAGE)
    paths = pages(app, demo, site)
    assert len(paths) >= 40, paths
    failures: list[str] = []
    for path in paths:
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code)
        if not r.headers["content-type"].startswith("text/html"):
            continue
        parser = Chunks()
        parser.feed(r.text)
        parser.close()
        seen: set[str] = set()
        for text in parser.blocks:
            left = data.strip(text)
            for problem in problems(left, lang):
                if (problem, text) not in seen:
                    seen.add((problem, text))  # type: ignore[arg-type]
                    failures.append(f"{path}: {problem} in {text[:120]!r}")
        for name, value in parser.attributes:
            left = data.strip(value)
            for problem in problems(left, lang, input_example=name == "placeholder"):
                failures.append(f"{path}: {problem} in {name}={value[:120]!r}")
    assert not failures, "\n".join(dict.fromkeys(failures))


def test_the_data_filter_is_not_blind() -> None:
    """The check itself: labels and vocabularies are caught, data is let through."""
    assert problems("Trung tướng", "en") == ["Vietnamese"]
    assert problems("Hiệp hội Cảnh sát (ZZ)", "en") == ["Vietnamese", "the code ZZ"]
    assert problems("10–14/06/2024 · Visit", "en") == ["a dd/mm/yyyy date"]
    assert problems("1.500 records", "en") == ["a number in the other language's format"]
    assert problems("same birth date 1981-08-25", "vi") == ["an ISO date"]
    assert problems("Major General · 14 Jun 2024 · 1,500 records", "en") == []
