"""Extraction on sentences written for these tests (not the seeds'), the CLI, and the
merging of two articles' facts into one set of records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hoptac.auth import service as auth_service
from hoptac.cli.main import app as cli_app
from hoptac.db.models import Agency, Citation, Engagement, Person, Source
from hoptac.errors import InvalidInput
from hoptac.ingest.extract import extract
from hoptac.ingest.reader import read
from hoptac.registry import ingest as registry_ingest
from hoptac.types import RANKS, AgencyLevel, Role

VISIT = """ date 2025-09 Ngày 5-9, đoàn công tác Công an tỉnh Lạng Sơn do Đại tá Hoàng Văn Nam, \
Giám đốc Công an tỉnh Lạng Sơn, làm trưởng đoàn đã kết thúc chuyến thăm và làm việc tại \
Công an Khu tự trị dân tộc Choang Quảng Tây (Trung Quốc).

Trong chuyến công tác (từ ngày 2 đến ngày 4-9), đoàn đã hội kiến đồng chí Lưu Minh - Phó \
Giám đốc Công an Khu tự trị dân tộc Choang Quảng Tây. Hai bên trao đổi về công tác phòng, \
chống tội phạm ma túy, mua bán người và tội phạm lừa đảo qua mạng.

Nhân dịp này, hai bên đã ký kết Biên bản ghi nhớ về hợp tác phòng, chống tội phạm xuyên biên giới.

Lãnh đạo Công an Khu tự trị dân tộc Choang Quảng Tây nhận lời mời và sẽ sang thăm, làm việc \
với Công an tỉnh Lạng Sơn vào thời điểm thích hợp trong năm 2026.

Đại tá Hoàng Văn Nam tặng quà lưu niệm đồng chí Lưu Minh
"""


def facts(text: str) -> dict[str, Any]:
    return extract(read(text)).to_json()


def test_a_visit_article_yields_its_facts() -> None:
    out = facts(VISIT)
    assert (out["event_type"], out["date_start"], out["date_end"]) == (
        "visit",
        "2025-09-02",
        "2025-09-04",
    )
    people = {p["name"]: p for p in out["people"]}
    assert people["Hoàng Văn Nam"]["rank"] == "Đại tá"
    assert people["Hoàng Văn Nam"]["agency"] == "vn-lang-son-police"
    assert people["Lưu Minh"]["position"].startswith("Phó Giám đốc Công an Khu tự trị")
    assert {(a["canonical"], a["country"]) for a in out["agencies"]} >= {
        ("vn-lang-son-police", "VN"),
        ("cn-guangxi-psd", "CN"),
    }
    assert {"drugs", "human_trafficking", "fraud"} <= set(out["topics"])
    (agreement,) = out["agreements"]
    assert agreement["type"] == "mou" and set(agreement["parties"]) == {
        "vn-lang-son-police",
        "cn-guangxi-psd",
    }
    (promise,) = out["commitments"]
    assert promise["owner"] == "cn-guangxi-psd" and promise["due"] == "2026"
    main = out["engagements"][0]
    assert main["hosts"] == ["cn-guangxi-psd"] and main["visitors"] == ["vn-lang-son-police"]


def test_every_span_points_at_its_passage() -> None:
    article = read(VISIT)
    out = extract(article).to_json()
    for group in ("people", "agencies", "agreements", "commitments", "engagements"):
        for item in out[group]:
            start, end = item["span"]
            assert 0 <= start < end <= len(article.text)
    for person in out["people"]:
        start, end = person["span"]
        assert article.text[start:end].startswith(person["name"])


@pytest.mark.parametrize(("rank", "_english"), RANKS)
def test_each_rank_is_read_before_a_name(rank: str, _english: str) -> None:
    out = facts(
        f"Ngày 3-3-2025, {rank} Trần Quốc Bảo, Phó Trưởng phòng Cảnh sát hình sự Công an "
        "tỉnh Nghệ An, làm việc với Công an tỉnh Hủa Phăn (Lào) về công tác phòng, chống ma túy."
    )
    assert [(p["name"], p["rank"]) for p in out["people"]] == [("Trần Quốc Bảo", rank)]


@pytest.mark.parametrize(
    ("sentence", "name", "position"),
    [
        ("đồng chí Lý Phong - Phó Giám đốc Công an thành phố Bắc Kinh, phát biểu", "Lý Phong",
         "Phó Giám đốc Công an thành phố Bắc Kinh"),
        ("ông Kim Min-jun, Tổng Lãnh sự Hàn Quốc tại TP.HCM, cho biết", "Kim Min-jun",
         "Tổng Lãnh sự Hàn Quốc tại TP.HCM"),
        ("Thứ trưởng Nguyễn Văn Long tiếp đoàn", "Nguyễn Văn Long", "Thứ trưởng"),
    ],
)  # fmt: skip
def test_people_are_read_with_their_positions(sentence: str, name: str, position: str) -> None:
    out = facts(f"Ngày 3-3-2025, tại Hà Nội, {sentence} về hợp tác phòng, chống tội phạm.")
    assert (out["people"][0]["name"], out["people"][0]["position"]) == (name, position)


@pytest.mark.parametrize(
    "written",
    ["CATP Hà Nội", "Công an thành phố Hà Nội", "Công an TP Hà Nội", "Công an Hà Nội"],
)
def test_agency_aliases_are_one_canonical_agency(written: str) -> None:
    out = facts(
        f"Ngày 3-3-2025, {written} đã tiếp đoàn công tác Công an tỉnh Vân Nam (Trung Quốc)."
    )
    assert out["agencies"][0]["canonical"] == "vn-hanoi-police"


def test_a_bare_catp_means_the_articles_own_city_police() -> None:
    out = facts(
        "Ngày 3-3-2025, Công an thành phố Hà Nội tiếp đoàn Công an thành phố Thượng Hải. "
        "Trung tướng Phạm Văn An, Giám đốc CATP, chủ trì buổi tiếp."
    )
    person = next(p for p in out["people"] if p["name"] == "Phạm Văn An")
    assert person["agency"] == "vn-hanoi-police"


def test_an_anniversary_dates_the_signing_back() -> None:
    out = facts(
        " date 2025-05 Năm 2025 đánh dấu kỷ niệm 7 năm hai đơn vị ký kết Biên bản ghi nhớ về "
        "hợp tác giữa Công an tỉnh Quảng Ninh và Công an thành phố Phòng Thành Cảng."
    )
    assert [a["signed"] for a in out["agreements"]] == ["2018"]


def test_wishes_requests_and_itineraries_are_not_commitments() -> None:
    out = facts(
        " date 2025-06 Ngày 10-6, Công an tỉnh Cao Bằng hội đàm với Công an thành phố Bách Sắc. "
        "Đại tá Lê Văn Hải bày tỏ hy vọng thời gian tới hai bên sẽ hợp tác chặt chẽ hơn. "
        "Công an tỉnh Cao Bằng đề nghị phía bạn sớm trao trả công dân. "
        "Theo lịch trình, ngày 11-6 đoàn sẽ thăm cửa khẩu Trà Lĩnh. "
        "Hai bên thống nhất sẽ duy trì cơ chế gặp gỡ định kỳ hằng năm."
    )
    assert [c["text"] for c in out["commitments"]] == [
        "Hai bên thống nhất sẽ duy trì cơ chế gặp gỡ định kỳ hằng năm."
    ]


def test_items_of_an_agreed_list_are_commitments_clause_by_clause() -> None:
    out = facts(
        " date 2025-06 Ngày 10-6, Công an tỉnh An Giang hội đàm với Tổng cục Cảnh sát quốc gia "
        "Campuchia. Hai bên đã thống nhất:\n\nTiếp tục trao đổi thông tin về tội phạm mua bán "
        "người; nghiên cứu thiết lập đường dây nóng giữa hai đơn vị.\n\nTăng cường tuần tra "
        "chung tại khu vực biên giới."
    )
    assert [c["text"][:20] for c in out["commitments"]] == [
        "Tiếp tục trao đổi th",
        "nghiên cứu thiết lập",
        "Tăng cường tuần tra ",
    ]
    assert {c["owner"] for c in out["commitments"]} == {"vn-an-giang-police"}


# ---- the CLI and storing ---------------------------------------------------------------


SECOND = """ date 2025-09 (CAND) - Ngày 4-9, tại Nam Ninh, Đại tá Hoàng Văn Nam, Giám đốc \
Công an tỉnh Lạng Sơn và đồng chí Lưu Minh - Phó Giám đốc Công an Khu tự trị dân tộc \
Choang Quảng Tây đã hội đàm về hợp tác phòng, chống tội phạm ma túy.

Trong chuyến công tác (từ ngày 2 đến ngày 4-9), đoàn công tác Công an tỉnh Lạng Sơn đã thăm \
và làm việc với Công an Khu tự trị dân tộc Choang Quảng Tây.
"""


def test_cli_prints_one_json_object_per_file_and_reports_bad_ones(tmp_path: Path) -> None:
    good = tmp_path / "visit.txt"
    good.write_text(VISIT, encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    result = CliRunner().invoke(cli_app, ["ingest", str(good), str(empty), str(binary), "--json"])
    assert result.exit_code == 1
    (line,) = result.stdout.strip().splitlines()
    out = json.loads(line)
    assert out["file"] == str(good) and out["event_type"] == "visit"
    assert set(out) >= {
        "source", "event_type", "date_start", "date_end", "agencies", "people", "locations",
        "agreements", "commitments", "topics", "engagements",
    }  # fmt: skip
    assert "empty.txt: empty" in result.stderr and "photo.jpg: a binary file" in result.stderr


@pytest.fixture
def officer(factory: sessionmaker[Session]) -> Any:
    with factory() as s:
        agency = Agency(
            name_vi="Công an tỉnh Lạng Sơn", name_key="cong an tinh lang son", country="VN",
            level=AgencyLevel.PROVINCE, ref="vn-lang-son-police",
        )  # fmt: skip
        s.add(agency)
        s.flush()
        user = auth_service.create_user(
            s, username="ls_officer", password="correct horse battery staple",
            role=Role.OFFICER, agency_id=agency.id,
        )  # fmt: skip
        s.commit()
        return auth_service.principal_of(user)


def test_two_articles_about_one_visit_become_one_set_of_records(
    factory: sessionmaker[Session], officer: Any
) -> None:
    for text in (VISIT, SECOND):
        article = read(text)
        with factory() as s:
            registry_ingest.accept(s, officer, extract(article).to_json(), article.text)
            s.commit()
    with factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Source)) == 2
        people = s.scalars(sa.select(Person).order_by(Person.full_name)).all()
        assert [p.full_name for p in people] == ["Hoàng Văn Nam", "Lưu Minh"]
        cited = s.scalars(
            sa.select(Citation).where(
                Citation.record_type == "person", Citation.record_id == people[0].id
            )
        ).all()
        assert len({c.source_id for c in cited}) == 2  # one person, two sources
        assert all(c.quote.startswith("Hoàng Văn Nam") for c in cited)
        visits = s.scalars(sa.select(Engagement).where(Engagement.kind == "visit")).all()
        assert len(visits) == 1  # the same visit, reported twice
        # the Lạng Sơn police was reused, not duplicated; Guangxi created once
        refs = s.scalars(sa.select(Agency.ref)).all()
        assert sorted(r for r in refs if r) == sorted(set(r for r in refs if r))


def test_bad_input_stores_nothing(tmp_path: Path, factory: sessionmaker[Session]) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(("Công an tỉnh hợp tác với các đơn vị bạn. " * 130_000).encode())
    english = tmp_path / "en.txt"
    english.write_text("The Hanoi police met the Beijing police to discuss crime.", "utf-8")
    for f in (big, english):
        result = CliRunner().invoke(cli_app, ["ingest", str(f), "--commit", "--user", "nobody"])
        assert result.exit_code == 1, result.output
    assert "too large" in CliRunner().invoke(cli_app, ["ingest", str(big)]).stderr
    assert "Vietnamese" in CliRunner().invoke(cli_app, ["ingest", str(english)]).stderr
    with factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Source)) == 0


def test_a_chinese_officers_sino_vietnamese_name_is_linked_to_hanzi_and_pinyin() -> None:
    out = facts(
        "Ngày 3-3-2025, đồng chí Vương Kiện - Phó Giám đốc Công an tỉnh Vân Nam (Trung Quốc) "
        "tiếp đoàn công tác Công an tỉnh Lào Cai."
    )
    person = next(p for p in out["people"] if p["name"] == "Vương Kiện")
    assert "王" in person["hanzi"][0] and "wang" in person["pinyin"][0]
    assert "jian" in person["pinyin"][1]
    vietnamese = facts("Ngày 3-3-2025, Đại tá Nguyễn Văn Hùng tiếp đoàn Công an tỉnh Vân Nam.")
    assert "hanzi" not in vietnamese["people"][0]


def test_a_delegations_programme_extends_its_visit_and_adds_another() -> None:
    out = facts(
        "Ngày 09/12/2024, tại trụ sở Công an thành phố Hà Nội, Trung tướng Nguyễn Hải Trung "
        "hội đàm với đoàn đại biểu Công an thành phố Thượng Hải. Hai bên trao đổi về công tác "
        "phòng, chống ma túy.\n\nTheo lịch trình, trong ngày 10/12, Đoàn công tác sẽ đến thăm "
        "Công an quận Tây Hồ.\n\nNgày 11/12, Đoàn sẽ đến thăm, làm việc với Công an tỉnh "
        "Quảng Ninh."
    )
    main, other = out["engagements"]
    assert (main["kind"], main["date_start"], main["date_end"]) == (
        "talks",
        "2024-12-09",
        "2024-12-10",
    )
    assert main["places"] == ["Công an quận Tây Hồ"]
    assert (other["kind"], other["date_start"], other["hosts"]) == (
        "visit",
        "2024-12-11",
        ["vn-quang-ninh-police"],
    )
    assert other["visitors"] == main["visitors"] == ["cn-shanghai-psb"]


def _accept(
    factory: sessionmaker[Session], officer: Any, text: str, **source: Any
) -> dict[str, Any]:
    article = read(text)
    found = extract(article).to_json()
    found["source"].update(source)
    with factory() as s:
        report = registry_ingest.accept(s, officer, found, article.text)
        s.commit()
    return report


def test_different_facts_are_not_merged(factory: sessionmaker[Session], officer: Any) -> None:
    """Namesakes of two agencies, two delegations received the same day, an MOU and its
    renewal: each stays its own record. An article read again under the same URL with a
    word changed is the same source (every passage cited is found in the text held)."""
    _accept(factory, officer, VISIT, url="https://cand.example/a")
    _accept(factory, officer, VISIT.replace("Hai bên trao đổi", "Hai bên đã trao đổi"),
            url="https://cand.example/a")  # fmt: skip
    _accept(factory, officer,
            " date 2025-09 Ngày 3-9, Đại tá Hoàng Văn Nam, Giám đốc Công an tỉnh Cao Bằng, "
            "tiếp đoàn công tác Công an thành phố Bách Sắc (Trung Quốc).")  # fmt: skip
    _accept(factory, officer,
            " date 2025-09 Ngày 3-9, đoàn công tác Công an thành phố Thượng Hải đã thăm và làm "
            "việc với Công an Khu tự trị dân tộc Choang Quảng Tây.")  # fmt: skip
    _accept(factory, officer,
            " date 2025-09 Ngày 5-9, Công an tỉnh Lạng Sơn và Công an Khu tự trị dân tộc Choang "
            "Quảng Tây đã ký kết Biên bản ghi nhớ, thay cho Biên bản ghi nhớ ký năm 2015."
            )  # fmt: skip
    with factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Source)) == 4  # 1 at one URL
        names = s.scalars(sa.select(Person.full_name).where(Person.full_name == "Hoàng Văn Nam"))
        assert len(names.all()) == 2  # Lạng Sơn's and Cao Bằng's
        visits = s.scalars(sa.select(Engagement).where(Engagement.kind == "visit")).all()
        # Lạng Sơn's (reported twice: one), Shanghai's to Guangxi, Bách Sắc's to Cao Bằng
        assert len(visits) == 3


def test_tampered_extractions_are_refused_cleanly(
    factory: sessionmaker[Session], officer: Any
) -> None:
    article = read(VISIT)
    good = extract(article).to_json()
    for broken, message in [
        ({**good, "people": [{**good["people"][0], "span": [0, 10**9]}]}, "span"),
        ({**good, "people": [{**good["people"][0], "span": [5]}]}, "span"),
        ({**good, "agencies": [{**good["agencies"][0], "canonical": "xx-no"}]}, "unknown agency"),
        ({**good, "commitments": [{**good["commitments"][0], "due": "2024-13"}]}, "due"),
        ({**good, "people": [{**good["people"][0], "name": "x" * 400}]}, "full_name"),
    ]:  # fmt: skip
        with factory() as s, pytest.raises(InvalidInput, match=message):
            registry_ingest.accept(s, officer, broken, article.text)
    with factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Source)) == 0
