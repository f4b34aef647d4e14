"""The ingest pages: paste an article, review its facts highlighted in place, accept them
with corrections; bad input stores nothing; records link back to their passages."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hoptac import demofiles
from hoptac.db.models import Agency, Citation, Person, Source
from tests.conftest import csrf, login

ARTICLE = (demofiles.ARTICLES / "004_7e5c05ce24194161.txt").read_text(encoding="utf-8")


def _count(session: Session, model: Any) -> int:
    session.expire_all()
    return int(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def _preview(client: TestClient, text: str = ARTICLE, **extra: str) -> Any:
    return client.post(
        "/ingest/preview",
        data={"csrf_token": csrf(client, "/ingest"), "text": text, **extra},
        files={"file": ("", b"", "application/octet-stream")},
    )


def _form_of(html: str) -> dict[str, Any]:
    """The review form as the browser would send it (selects, checked boxes, inputs)."""
    form = html[html.index('action="/ingest/accept"') :]
    data: dict[str, Any] = {}

    def add(name: str, value: str) -> None:
        data.setdefault(name, []).append(value)

    import html as h

    for m in re.finditer(r"<input ([^>]*)>", form):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', m.group(1)))
        if "name" not in attrs:
            continue
        if attrs.get("type") == "checkbox":
            if " checked" in m.group(1):
                add(attrs["name"], h.unescape(attrs.get("value", "on")))
        else:
            add(attrs["name"], h.unescape(attrs.get("value", "")))
    for m in re.finditer(r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        add(m.group(1), h.unescape(m.group(2)))
    for m in re.finditer(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', m.group(2))
        first = re.search(r'<option value="([^"]*)"', m.group(2))
        add(m.group(1), h.unescape((chosen or first).group(1) if (chosen or first) else ""))
    return data


def _accept(client: TestClient, data: dict[str, Any]) -> Any:
    return client.post(
        "/ingest/accept", data=data, files={"file": ("", b"", "application/octet-stream")}
    )


def test_preview_highlights_the_facts_in_place(client: TestClient, world: dict[str, Any]) -> None:
    login(client, "hcmc_officer")
    page = client.get("/ingest")
    assert page.status_code == 200 and 'href="/ingest"' in page.text
    assert "Nhập bài viết" in page.text
    r = _preview(client)
    assert r.status_code == 200, r.text
    assert re.search(
        r'<mark class="hl hl-person" id="f-person-0"[^>]*>[^<]*Nguyễn Hải Trung', r.text
    )
    assert '<mark class="hl hl-agency"' in r.text and '<mark class="hl hl-commitment"' in r.text
    assert '<mark class="hl hl-engagement" id="f-engagement-0"' in r.text
    assert 'name="person-0-rank"' in r.text and '<option value="Trung tướng" selected>' in r.text
    assert 'name="agency-0-drop"' in r.text and 'name="commitment-0-owner"' in r.text
    # pasted markup is stripped (a script's content with it); what the text still says
    # after that (an entity written out) is escaped: the marks are the only markup in it
    stripped = _preview(client, ARTICLE + "\n<script>alert(1)</script> Công an thành phố Hà Nội")
    assert stripped.status_code == 200 and '<mark class="hl hl-agency"' in stripped.text
    assert "alert(1)" not in stripped.text
    escaped = _preview(client, ARTICLE + "\n&lt;script&gt;alert(1)&lt;/script&gt; Công an tỉnh")
    assert escaped.status_code == 200 and '<mark class="hl hl-agency"' in escaped.text
    assert "<script>alert(1)" not in escaped.text and "&lt;script&gt;alert(1)" in escaped.text


def test_bad_input_shows_the_message_and_stores_nothing(
    client: TestClient, world: dict[str, Any], session: Session
) -> None:
    login(client, "hcmc_officer")
    before = _count(session, Source)
    r = _preview(client, "   ")
    assert r.status_code == 422 and "trống, không có bài viết để đọc" in r.text
    english = "The police of two cities met on Monday and agreed to cooperate. " * 5
    r = _preview(client, english)
    assert r.status_code == 422 and "không phải tiếng Việt" in r.text
    assert "The police of two cities" in r.text  # the pasted text is kept in the form
    r = _preview(client, ARTICLE, published="not a date")
    assert r.status_code == 422 and "không phải là ngày" in r.text
    assert _count(session, Source) == before


def test_accept_stores_the_corrected_facts_and_merges_a_second_time(
    client: TestClient, world: dict[str, Any], session: Session
) -> None:
    login(client, "hcmc_officer")
    preview = _preview(client).text
    data = _form_of(preview)
    assert data["person-0-name"] == ["Nguyễn Hải Trung"] and data["person-0-rank"] == [
        "Trung tướng"
    ]
    assert data["agency-6-canonical"] == ["intl-aseanpol"]
    data["person-0-rank"] = ["Thiếu tướng"]  # corrected rank
    data["agency-6-drop"] = ["on"]  # ASEANPOL is not a party to anything here
    r = _accept(client, data)
    assert r.status_code == 200, r.text
    assert "Đã lưu bài viết" in r.text
    source_id = int(re.search(r'href="/sources/(\d+)"', r.text).group(1))
    person = session.scalar(sa.select(Person).where(Person.full_name == "Nguyễn Hải Trung"))
    assert person is not None and person.rank == "Thiếu tướng"
    assert f'href="/people/{person.id}"' in r.text
    refs = set(session.scalars(sa.select(Agency.ref)))
    assert "intl-aseanpol" not in refs and "intl-interpol" in refs and "cn-beijing-psb" in refs
    cites = session.scalars(sa.select(Citation).where(Citation.record_type == "person")).all()
    assert any(c.record_id == person.id and "Nguyễn Hải Trung" in c.quote for c in cites)
    people, sources, citations = (
        _count(session, Person),
        _count(session, Source),
        _count(session, Citation),
    )

    again = _accept(client, _form_of(_preview(client).text))
    assert again.status_code == 200, again.text
    assert (_count(session, Person), _count(session, Source)) == (people, sources)
    assert _count(session, Citation) == citations
    assert f'href="/sources/{source_id}"' in again.text and "gộp" in again.text


def test_records_link_back_to_their_passages(
    client: TestClient, world: dict[str, Any], session: Session
) -> None:
    login(client, "hcmc_officer")
    r = _accept(client, _form_of(_preview(client).text))
    source_id = int(re.search(r'href="/sources/(\d+)"', r.text).group(1))
    person = session.scalar(sa.select(Person).where(Person.full_name == "Nguyễn Hải Trung"))
    assert person is not None
    cite = session.scalar(
        sa.select(Citation).where(Citation.record_type == "person", Citation.record_id == person.id)
    )
    assert cite is not None
    page = client.get(f"/people/{person.id}").text
    assert f'href="/sources/{source_id}#p-{cite.start}"' in page
    source = client.get(f"/sources/{source_id}").text
    assert f'<mark class="hl hl-passage" id="p-{cite.start}"' in source
    assert f'href="/people/{person.id}"' in source
    # another agency's officer sees neither the source nor its passages
    login(client, "hue_officer")
    assert client.get(f"/sources/{source_id}").status_code == 404


def test_viewers_cannot_ingest(client: TestClient, world: dict[str, Any], session: Session) -> None:
    login(client, "hcmc_viewer")
    token = csrf(client)
    assert client.get("/ingest").status_code == 403
    assert 'href="/ingest"' not in client.get("/").text
    for path in ("/ingest/preview", "/ingest/accept"):
        r = client.post(path, data={"csrf_token": token, "text": ARTICLE})
        assert r.status_code == 403, path
    assert _count(session, Source) == 0


def test_a_wrong_csrf_token_is_refused(client: TestClient, world: dict[str, Any]) -> None:
    login(client, "hcmc_officer")
    for path in ("/ingest/preview", "/ingest/accept"):
        r = client.post(path, data={"csrf_token": "x", "text": ARTICLE})
        assert r.status_code == 403, path
