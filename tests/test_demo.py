"""The demo data curated from the seeds: loaded through the services, faithful to the text."""

from pathlib import Path

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session

from hoptac import demofiles
from hoptac.db.models import Agency, Agreement, Commitment, Engagement, Person, Source, User
from hoptac.registry import demo as demo_data
from hoptac.registry.service import effective_status, partial_date
from hoptac.types import CommitmentStatus, PartialDate

SEEDS = demofiles.SEEDS


def _agency(session: Session, ref: str) -> Agency:
    return session.scalars(sa.select(Agency).where(Agency.ref == ref)).one()


def test_every_quote_is_verbatim_in_its_article() -> None:
    doc = yaml.safe_load(SEEDS.read_text(encoding="utf-8"))
    texts = {
        s["ref"]: " ".join((SEEDS.parent / s["file"]).read_text(encoding="utf-8").split())
        for s in doc["sources"]
    }
    checked = 0
    for section in ("agencies", "people", "agreements", "engagements", "commitments"):
        for item in doc[section]:
            assert item.get("quote"), f"{section} {item['ref']} cites no passage"
            assert " ".join(item["quote"].split()) in texts[item["source"]], item["ref"]
            checked += 1
    assert checked > 50


def test_loads_the_required_examples(demo: Session) -> None:
    hcmc = _agency(demo, "vn-hcmc-police")
    busan = _agency(demo, "kr-busan-mpa")
    mous = [a for a in demo.scalars(sa.select(Agreement)) if {hcmc, busan} <= set(a.parties)]
    assert len(mous) == 1
    mou = mous[0]
    assert mou.kind == "mou"
    assert partial_date(mou.signed_on, mou.signed_precision) == PartialDate(2014)

    visit = next(
        e
        for e in demo.scalars(sa.select(Engagement))
        if {s.agency_id for s in e.sides if s.side == "visitor"} == {hcmc.id}
        and busan.id in {s.agency_id for s in e.sides if s.side == "host"}
    )
    assert (visit.kind, str(visit.start_on), str(visit.end_on)) == (
        "visit",
        "2024-06-10",
        "2024-06-14",
    )
    head = [p.person for p in visit.participants if p.role == "head_of_delegation"]
    assert [(h.rank, h.full_name) for h in head] == [("Thiếu tướng", "Mai Hoàng")]

    zhejiang = _agency(demo, "cn-zhejiang-psd")
    khanh_hoa = _agency(demo, "vn-khanh-hoa-police")
    promise = demo.scalars(
        sa.select(Commitment)
        .where(Commitment.owed_by_id == zhejiang.id, Commitment.owed_to_id == khanh_hoa.id)
        .where(Commitment.description.like("%sang thăm%"))
    ).one()
    assert promise.status == CommitmentStatus.OPEN
    assert partial_date(promise.due_on, promise.due_precision) == PartialDate(2024)
    assert "thời điểm thích hợp trong năm 2024" in (promise.quote or "")

    hanoi = _agency(demo, "vn-hanoi-police")
    beijing = _agency(demo, "cn-beijing-psb")
    hotline = [
        c
        for c in demo.scalars(sa.select(Commitment))
        if "Đường dây nóng" in (c.quote or "")
        and {c.owed_by_id, c.owed_to_id} == {hanoi.id, beijing.id}
    ]
    assert hotline and all(effective_status(c) is CommitmentStatus.OPEN for c in hotline)


def test_every_record_cites_a_source(demo: Session) -> None:
    for model in (Agency, Person, Agreement, Engagement, Commitment):
        missing = demo.scalars(sa.select(model).where(model.source_id.is_(None))).all()
        assert missing == [], f"{model.__name__} without a source: {missing}"
    assert demo.scalar(sa.select(sa.func.count()).select_from(Source)) == 5


def test_loading_twice_changes_nothing(demo: Session) -> None:
    before = demo.scalar(sa.select(sa.func.count()).select_from(Engagement))
    loaded, _ = demo_data.load(demo)
    demo.commit()
    assert not loaded
    assert demo.scalar(sa.select(sa.func.count()).select_from(Engagement)) == before
    assert demo.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_a_quote_not_in_the_article_is_refused(session: Session, tmp_path: Path) -> None:
    doc = yaml.safe_load(SEEDS.read_text(encoding="utf-8"))
    doc["people"][0]["quote"] = "Một câu không có trong bài báo."
    for s in doc["sources"]:
        s["file"] = str(SEEDS.parent / s["file"])
    bad = tmp_path / "seeds.yaml"
    bad.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    import pytest

    from hoptac.errors import InvalidInput

    with pytest.raises(InvalidInput, match="is not in source"):
        demo_data.load(session, bad)
