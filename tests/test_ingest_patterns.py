"""Agencies recognised by pattern (a kind of unit, a level, a place; a ministry and a
country), with the country from the place, a name right after it, or the context; and no
agency made out of ordinary sentences."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hoptac.auth.principal import Principal
from hoptac.db.models import Agency, User
from hoptac.ingest.extract import extract
from hoptac.ingest.gazetteer import gazetteer
from hoptac.ingest.reader import read
from hoptac.registry import ingest as registry_ingest


def found(text: str, partner: str | None = None) -> list[tuple[str, str]]:
    """(text, country) of each agency named."""
    gaz = gazetteer()
    return [(m.text, gaz.agency(m.key).country) for m in gaz.agencies_in(text, partner) if m.key]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # the examples
        (
            "Đoàn đã làm việc với Công an tỉnh Attapeu về phòng chống ma túy.",
            ("Công an tỉnh Attapeu", "LA"),
        ),
        ("Ty Công an tỉnh Takeo đã bàn giao 5 đối tượng.", ("Ty Công an tỉnh Takeo", "KH")),
        (
            "Công an thành phố Bằng Tường và phía Việt Nam đã hội đàm.",
            ("Công an thành phố Bằng Tường", "CN"),
        ),
        (
            "Công an huyện Mường Lát đã phối hợp bắt giữ đối tượng.",
            ("Công an huyện Mường Lát", "VN"),
        ),
        (
            "Đồn Biên phòng cửa khẩu quốc tế Tây Trang tổ chức tuần tra song phương.",
            ("Đồn Biên phòng cửa khẩu quốc tế Tây Trang", "VN"),
        ),
        ("Bộ trưởng tiếp đoàn Bộ Nội vụ Ba Lan tại Hà Nội.", ("Bộ Nội vụ Ba Lan", "PL")),
        ("Đoàn đã làm việc với Cảnh sát tỉnh Fukuoka (Nhật Bản).", ("Cảnh sát tỉnh Fukuoka", "JP")),
        # variants of our own
        (
            "Trong chuyến thăm Nhật Bản, đoàn làm việc với Cảnh sát tỉnh Osaka và trao đổi.",
            ("Cảnh sát tỉnh Osaka", "JP"),
        ),
        (
            "Sở Cảnh sát bang Victoria, Australia cử chuyên gia sang tập huấn.",
            ("Sở Cảnh sát bang Victoria", "AU"),
        ),
        (
            "Công an huyện Sầm Tớ (tỉnh Hủa Phăn, Lào) đã bàn giao đối tượng.",
            ("Công an huyện Sầm Tớ", "LA"),
        ),
        (
            "Bộ Chỉ huy Bộ đội Biên phòng tỉnh Điện Biên chủ trì hội nghị.",
            ("Bộ Chỉ huy Bộ đội Biên phòng tỉnh Điện Biên", "VN"),
        ),
        (
            "Lãnh đạo công an xã Tam Chung cho biết đã tăng cường tuần tra.",
            ("công an xã Tam Chung", "VN"),
        ),
        (
            "Đồn Biên phòng Na Mèo phối hợp với lực lượng chức năng nước bạn.",
            ("Đồn Biên phòng Na Mèo", "VN"),
        ),
        (
            "Đoàn làm việc với Bộ An ninh Quốc gia Campuchia về hợp tác.",
            ("Bộ An ninh Quốc gia Campuchia", "KH"),
        ),
    ],
)
def test_an_agency_is_recognised_by_its_pattern(sentence: str, expected: tuple[str, str]) -> None:
    assert expected in found(sentence)


def test_the_place_stops_at_the_right_word() -> None:
    text = (
        "Phó Trưởng Công an huyện Mường Lát Nguyễn Văn An và Công an huyện Quan Sơn, tỉnh "
        "Thanh Hóa đã ký kết; Công an thị xã Mường Lay của tỉnh Điện Biên sẽ tham gia vào "
        "ngày 5-6."
    )
    names = [t for t, _ in found(text)]
    assert "Công an huyện Mường Lát" in names and "Công an huyện Quan Sơn" in names
    assert "Công an thị xã Mường Lay" in names
    assert not any("Nguyễn" in n or "Thanh Hóa" in n or "của" in n for n in names)


def test_the_country_comes_from_the_partner_when_the_sentence_names_none() -> None:
    assert found("Cảnh sát tỉnh Shizuoka đã cử đoàn sang.", partner="JP") == [
        ("Cảnh sát tỉnh Shizuoka", "JP")
    ]
    # no partner and no country: a foreign-style police with an unknown place is not guessed
    assert found("Cảnh sát tỉnh Shizuoka đã cử đoàn sang.") == []


@pytest.mark.parametrize(
    "sentence",
    [
        "Cán bộ công an huyện nhà đã có mặt kịp thời.",
        "Lực lượng cảnh sát giao thông tỉnh đã triển khai kế hoạch.",
        "Công an tỉnh đã chủ động nắm tình hình.",
        "Sở Cảnh sát đã đề nghị tăng cường hợp tác.",
        "Cảnh sát Trung Quốc và Việt Nam tăng cường trao đổi.",
        "Công an tỉnh Trung Quốc chưa có ý kiến.",
        "Bộ Nội vụ đã ban hành thông tư mới.",
        "Đồn Biên phòng đã bắt giữ đối tượng vận chuyển ma túy.",
        "Đồng chí công an xã tận tụy với dân.",
        "Bộ trưởng Bộ Công an Tô Lâm tiếp đoàn.",
    ],
)
def test_ordinary_sentences_name_no_agency_by_pattern(sentence: str) -> None:
    gaz = gazetteer()
    assert not any("." in m.key for m in gaz.agencies_in(sentence, "JP"))


def test_a_pattern_agency_is_extracted_and_stored(session: Session, world: dict[str, Any]) -> None:
    """Its key is made again from its name on accept (no list knows it) and the agency is
    created with its country and level."""
    text = (
        "Ngày 12-5-2025, Đồn Biên phòng cửa khẩu quốc tế Tây Trang và Công an huyện Mường "
        "Nhé đã làm việc với Công an tỉnh Phông Xa Lỳ (Lào). Hai bên thống nhất sẽ tăng cường "
        "tuần tra song phương trên tuyến biên giới trong năm 2025."
    )
    ext = extract(read(text)).to_json()
    keys = {a["canonical"]: a for a in ext["agencies"]}
    tay_trang = "vn.don-bien-phong-cua-khau-quoc-te-tay-trang"
    assert tay_trang in keys and "vn.cong-an-huyen-muong-nhe" in keys
    gazetteer()._patterned.clear()  # as in another process: only the JSON is left
    user = session.scalar(sa.select(User).where(User.username == "hcmc_officer"))
    assert user is not None
    who = Principal(user.id, user.username, user.agency_id, user.role)
    registry_ingest.accept(session, who, ext, read(text).text)
    session.commit()
    stored = session.scalar(sa.select(Agency).where(Agency.ref == tay_trang))
    assert stored is not None and stored.country == "VN" and stored.level == "station"
    assert stored.name_vi == "Đồn Biên phòng cửa khẩu quốc tế Tây Trang"
