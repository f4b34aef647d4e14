"""Accepting an article already held adds nothing (finding: accepting a demo article after
`make run` duplicated a person under two agencies, a commitment in other wording, and a
source). Same source: the same URL or the same normalised text; same person: the same folded
name in the same agency or a sub-unit of it; same commitment: same owner, no conflicting
engagement or due date, the same content in other wording."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hoptac import demofiles
from hoptac.auth.principal import Principal
from hoptac.db.models import (
    Agency,
    Agreement,
    Citation,
    Commitment,
    Engagement,
    Person,
    Source,
    User,
)
from hoptac.ingest.extract import extract
from hoptac.ingest.reader import read
from hoptac.registry import ingest as registry_ingest
from hoptac.types import PartialDate

ARTICLES = sorted(demofiles.ARTICLES.glob("*.txt"))
RECORDS = (Source, Agency, Person, Engagement, Agreement, Commitment)


def _officer(session: Session) -> Principal:
    """The demo's officer (the account `make run` prints), as the ingest page acts."""
    user = session.scalar(sa.select(User).where(User.username == "demo"))
    assert user is not None
    return Principal(user.id, user.username, user.agency_id, user.role)


def _counts(session: Session) -> dict[str, int]:
    session.expire_all()
    return {
        m.__name__: int(session.scalar(sa.select(sa.func.count()).select_from(m)) or 0)
        for m in RECORDS
    }


def _accept(session: Session, who: Principal, raw: str | bytes, name: str = "x") -> Any:
    article = read(raw, name)
    report = registry_ingest.accept(session, who, extract(article).to_json(), article.text)
    session.commit()
    return report


def test_accepting_every_demo_article_twice_adds_nothing_the_second_time(demo: Session) -> None:
    who = _officer(demo)
    loaded = _counts(demo)
    for path in ARTICLES:
        report = _accept(demo, who, path.read_bytes(), path.name)
        # the demo holds each article: its source is merged, never made again
        assert report["created"].get("source", 0) == 0, path.name
        assert report["created"].get("person", 0) == 0, (path.name, report)
    first = _counts(demo)
    assert first["Source"] == loaded["Source"] and first["Person"] == loaded["Person"]
    assert first["Agency"] == loaded["Agency"] and first["Engagement"] == loaded["Engagement"]
    citations = int(demo.scalar(sa.select(sa.func.count()).select_from(Citation)) or 0)
    for path in ARTICLES:
        report = _accept(demo, who, path.read_bytes(), path.name)
        assert report["created"] == {}, (path.name, report)
    assert _counts(demo) == first
    assert demo.scalar(sa.select(sa.func.count()).select_from(Citation)) == citations


def test_the_newcomers_duplicates_are_one_record(demo: Session) -> None:
    """Article 001 after the demo: Nguyễn Bá Thành once (the Khánh Hòa police and its
    investigation agency are one office), Zhejiang's 2024 return visit once, each name
    once among the records cited from the source."""
    who = _officer(demo)
    _accept(demo, who, ARTICLES[1].read_bytes())
    _accept(demo, who, ARTICLES[1].read_bytes())
    thanh = demo.scalars(sa.select(Person).where(Person.full_name == "Nguyễn Bá Thành")).all()
    assert len(thanh) == 1
    visits = [
        c
        for c in demo.scalars(sa.select(Commitment))
        if "sang thăm" in c.description and "Chiết Giang" in c.description
    ]
    assert len(visits) == 1 and visits[0].due_on is not None
    source = demo.scalar(sa.select(Source).where(Source.ref == "seed-001"))
    assert source is not None
    cited = demo.scalars(
        sa.select(Citation.record_id).where(
            Citation.source_id == source.id, Citation.record_type == "person"
        )
    ).all()
    names = [demo.get(Person, i).full_name for i in set(cited)]  # type: ignore[union-attr]
    assert len(names) == len(set(names)) and "Nguyễn Bá Thành" in names


def test_the_same_text_differently_spaced_is_the_same_source(demo: Session) -> None:
    """CRLF, doubled spaces and blank lines: the same source, the passages cited at their
    offsets in the text already held."""
    who = _officer(demo)
    raw = ARTICLES[3].read_text(encoding="utf-8")
    spaced = raw.replace("\n", "\r\n\r\n").replace(", ", ",  ")
    before = _counts(demo)
    report = _accept(demo, who, spaced)
    assert report["created"].get("source", 0) == 0 and _counts(demo)["Source"] == before["Source"]
    source = demo.get(Source, report["source_id"])
    assert source is not None and source.ref == "seed-003"
    for c in demo.scalars(sa.select(Citation).where(Citation.source_id == source.id)):
        assert source.text[c.start : c.end] == c.quote


def test_the_same_url_is_the_same_source_while_it_holds_the_passages(
    session: Session, world: dict[str, Any]
) -> None:
    """An article read again from its URL with its boilerplate cut is the same source; an
    updated article that says something the stored one does not is stored anew."""
    user = session.scalar(sa.select(User).where(User.username == "hcmc_officer"))
    assert user is not None
    who = Principal(user.id, user.username, user.agency_id, user.role)
    body = ARTICLES[4].read_text(encoding="utf-8")
    url = "url: https://anninhthudo.vn/a-123.html\n"
    first = _accept(session, who, url + body + "\nChia sẻ\nBình luận\n")
    again = _accept(session, who, url + body)
    assert again["source_id"] == first["source_id"] and again["created"] == {}
    updated = body.replace(
        "Ngày 09/12/2024",
        "Ngày 09/12/2024, Đại tá Trần Văn Bình, Phó Giám đốc Công an tỉnh Lạng Sơn",
    )
    third = _accept(session, who, url + updated)
    assert third["source_id"] != first["source_id"]
    for c in session.scalars(sa.select(Citation)):
        src = session.get(Source, c.source_id)
        assert src is not None and src.text[c.start : c.end] == c.quote


def test_a_namesake_of_another_province_is_another_person(demo: Session) -> None:
    """Nguyễn Thế Hùng of the Khánh Hòa police (demo) and a namesake of the Lạng Sơn police
    are two people: neither agency is a sub-unit of the other (both sit under the ministry)."""
    who = _officer(demo)
    before = _counts(demo)
    text = (
        "Ngày 5-3-2025, Đại tá Nguyễn Thế Hùng, Giám đốc Công an tỉnh Lạng Sơn đã làm việc "
        "với Công an Khu tự trị dân tộc Choang Quảng Tây về phòng, chống tội phạm ma túy."
    )
    _accept(demo, who, text)
    assert _counts(demo)["Person"] == before["Person"] + 1
    hung = demo.scalars(sa.select(Person).where(Person.full_name == "Nguyễn Thế Hùng")).all()
    assert len(hung) == 2


def test_other_wording_merges_other_promises_do_not(demo: Session) -> None:
    """The same owner and visit: the article's wording of a demo commitment is that
    commitment; another promise, or the same promise due another year, is not."""
    zhejiang = demo.scalar(sa.select(Agency).where(Agency.ref == "cn-zhejiang-psd"))
    assert zhejiang is not None
    held = demo.scalars(
        sa.select(Commitment).where(Commitment.owed_by_id == zhejiang.id).order_by(Commitment.id)
    ).all()
    visit = next(c for c in held if "sang thăm" in c.description)
    exchange = next(c for c in held if "tiếp tục trao đổi" in c.description)
    eid = visit.engagement_id
    y2024, y2025 = PartialDate(2024), PartialDate(2025)
    said_visit = (
        "Lãnh đạo Công an tỉnh Chiết Giang vui vẻ nhận lời mời của Công an tỉnh Khánh Hòa và "
        "cho biết sẽ sang thăm, làm việc với Công an tỉnh Khánh Hòa vào thời điểm thích hợp "
        "trong năm 2024."
    )
    said_exchange = (
        "Lãnh đạo Công an tỉnh Chiết Giang bày tỏ quan điểm tiếp tục trao đổi, tăng cường "
        "tình hữu nghị, thắt chặt mối quan hệ giữa Công an hai tỉnh theo Biên bản hội đàm và "
        "Giao lưu Cảnh sát đã ký kết."
    )
    other = (
        "Công an tỉnh Chiết Giang sẽ cử chuyên gia sang tập huấn kỹ năng điều tra tội phạm "
        "sử dụng công nghệ cao cho cán bộ Công an tỉnh Khánh Hòa."
    )
    same = registry_ingest._same_commitment
    assert same(visit, said_visit, eid, y2024) and not same(exchange, said_visit, eid, y2024)
    assert same(exchange, said_exchange, eid, None) and not same(visit, said_exchange, eid, None)
    assert not same(visit, said_visit, eid, y2025)  # another due date: another promise
    assert not same(visit, said_visit, (eid or 0) + 1000, y2024)  # another visit
    assert not any(same(c, other, eid, None) for c in held)


@pytest.mark.parametrize(
    ("held", "read"),
    [
        ("Hai bên trao đổi thông tin về tội phạm ma túy",
         "Hai bên trao đổi thông tin về tội phạm mua bán người"),
        ("Công an tỉnh Khánh Hòa sẽ trao đổi thông tin về tội phạm ma túy qua biên giới",
         "Công an tỉnh Khánh Hòa sẽ trao đổi thông tin về tội phạm công nghệ cao"),
        ("tổ chức đào tạo nghiệp vụ cho cán bộ Công an tỉnh Lào Cai",
         "tổ chức đào tạo nghiệp vụ cho cán bộ Công an tỉnh Hà Giang"),
        ("không dẫn độ công dân của nước mình", "dẫn độ công dân của nước mình"),
    ],
)  # fmt: skip
def test_promises_that_differ_in_topic_place_or_negation_are_two(held: str, read: str) -> None:
    """A review's finding: most words alike, yet other crimes, another province, or a
    promise and its negation were merged."""
    from types import SimpleNamespace

    from hoptac.registry.ingest import _same_commitment

    other = SimpleNamespace(description=held, engagement_id=None, due_on=None, due_precision=None)
    assert not _same_commitment(other, read, None, None)  # type: ignore[arg-type]
    assert _same_commitment(other, held, None, None)  # type: ignore[arg-type]
