"""Reading articles: header forms, boilerplate, captions, sources, bad input; dates."""

from __future__ import annotations

import pytest

from hoptac.ingest.dates import find_dates, reference
from hoptac.ingest.reader import IngestError, read
from hoptac.types import PartialDate

BODY = (
    "Ngày 3-9, đoàn công tác Công an tỉnh Lạng Sơn do Đại tá Hoàng Văn Nam làm trưởng đoàn "
    "đã sang thăm và làm việc với Công an Khu tự trị dân tộc Choang Quảng Tây. Hai bên trao "
    "đổi về công tác phòng, chống tội phạm ma túy và mua bán người qua biên giới."
)


def kinds(text: str) -> dict[str, list[str]]:
    a = read(text)
    out: dict[str, list[str]] = {}
    for b in a.blocks:
        out.setdefault(b.kind, []).append(a.text[b.start : b.end])
    return out


def test_header_lines_give_url_title_and_date() -> None:
    a = read(f"url: https://cand.com.vn/x\ntitle: Hợp tác Việt - Trung\ndate: 2025-09-04\n\n{BODY}")
    assert (a.url, a.title, a.published) == (
        "https://cand.com.vn/x",
        "Hợp tác Việt - Trung",
        PartialDate(2025, 9, 4),
    )
    assert a.sentences[0].text.startswith("Ngày 3-9")


def test_a_leading_date_line_is_the_publication_month() -> None:
    a = read(f" date 2025-09 {BODY}")
    assert a.published == PartialDate(2025, 9)
    assert a.text[a.sentences[0].start :].startswith("Ngày 3-9")


def test_the_month_comes_from_a_news_url_when_nothing_else_gives_it() -> None:
    a = read(f"{BODY}\n\nNguồn: https://baolangson.vn/an-ninh/202509/hop-tac-1234.html")
    assert a.published == PartialDate(2025, 9)
    assert a.url == "https://baolangson.vn/an-ninh/202509/hop-tac-1234.html"


def test_audio_player_menus_and_share_lines_are_boilerplate() -> None:
    found = kinds(f"0:00 / 0:00\n0:00\n  • Nam miền Bắc\n  • Nữ miền Nam\nChia sẻ\n{BODY}")
    assert found["boilerplate"] == [
        "0:00 / 0:00",
        "0:00",
        "• Nam miền Bắc",
        "• Nữ miền Nam",
        "Chia sẻ",
    ]
    assert "Nam miền Bắc" not in " ".join(found["text"])


def test_captions_are_kept_apart_from_the_text() -> None:
    caption = "Đại tá Hoàng Văn Nam phát biểu tại buổi làm việc"
    found = kinds(f"{BODY}\n\n{caption}\n\n{caption}\n\nẢnh 2Toàn cảnh buổi làm việc\n\n{BODY}")
    assert found["caption"] == [caption, caption, "Ảnh 2Toàn cảnh buổi làm việc"]
    assert all(caption not in t for t in found["text"])
    a = read(f"{BODY}\n\n{caption}")
    assert [s.kind for s in a.sentences if "phát biểu" in s.text] == ["caption"]


def test_outlet_tags_and_source_lines_are_sources() -> None:
    found = kinds(f"(CAND)- {BODY}\n\nANTD.VN - {BODY}\n\nTheo Báo Lạng Sơn\n\nPV")
    assert found["source"] == ["(CAND)- ", "ANTD.VN - ", "Theo Báo Lạng Sơn", "PV"]
    assert all(t.startswith("Ngày 3-9") for t in found["text"])


def test_a_short_unpunctuated_first_line_is_the_title() -> None:
    a = read(f"Công an Lạng Sơn làm việc với Công an Quảng Tây (Trung Quốc)\n\n{BODY}")
    assert a.title == "Công an Lạng Sơn làm việc với Công an Quảng Tây (Trung Quốc)"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\n  ", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("Đây là tiếng Việt".encode("utf-16"), "binary|UTF-8"),
        (b"caf\xe9 cr\xe8me", "UTF-8"),
        (
            b"The delegation of the Hanoi police visited Beijing to discuss cooperation "
            b"against transnational crime and drug trafficking with its partners.",
            "Vietnamese",
        ),
        ("北京市公安局代表团访问河内，双方就打击跨国犯罪进行了会谈。".encode(), "Vietnamese"),
        (("Công an tỉnh hợp tác với các đơn vị. " * 150_000).encode(), "too large"),
    ],
)
def test_bad_input_gets_a_clear_message(data: bytes, message: str) -> None:
    with pytest.raises(IngestError, match=message):
        read(data, "article.txt")


# ---- dates ----------------------------------------------------------------------------


def spans(text: str, ref: PartialDate | None) -> list[tuple[str, str | None, str]]:
    return [
        (m.first.iso(), m.last.iso() if m.last else None, text[m.start : m.end])
        for m in find_dates(text, ref)
    ]


@pytest.mark.parametrize(
    ("text", "ref", "expected"),
    [
        ("Ngày 3-9, đoàn", PartialDate(2025, 9), [("2025-09-03", None, "Ngày 3-9")]),
        ("ngày 22/3 vừa qua", PartialDate(2024, 3), [("2024-03-22", None, "ngày 22/3")]),
        (
            "(từ ngày 10 đến ngày 14-6)",
            PartialDate(2024, 6),
            [("2024-06-10", "2024-06-14", "từ ngày 10 đến ngày 14-6")],
        ),
        (
            "từ ngày 11 đến 15-4-2023",
            None,
            [("2023-04-11", "2023-04-15", "từ ngày 11 đến 15-4-2023")],
        ),
        (
            "từ ngày 30-11 đến ngày 2-12-2025",
            None,
            [("2025-11-30", "2025-12-02", "từ ngày 30-11 đến ngày 2-12-2025")],
        ),
        ("Ngày 09/12/2024, tại", None, [("2024-12-09", None, "Ngày 09/12/2024")]),
        ("ngày 5 tháng 7 năm 2025", None, [("2025-07-05", None, "ngày 5 tháng 7 năm 2025")]),
        ("trong tháng 8/2024", None, [("2024-08", None, "tháng 8/2024")]),
        ("vào tháng 4-2023", None, [("2023-04", None, "tháng 4-2023")]),
        ("trong năm 2024", None, [("2024", None, "năm 2024")]),
        ("hôm 28-12", PartialDate(2025, 1), [("2024-12-28", None, "hôm 28-12")]),
        ("Trước đó, chiều 21/3,", PartialDate(2024, 3), [("2024-03-21", None, "chiều 21/3")]),
        ("sáng ngày 5-9", PartialDate(2025, 9), [("2025-09-05", None, "sáng ngày 5-9")]),
    ],
)
def test_each_date_form_resolves_against_the_publication_date(
    text: str, ref: PartialDate | None, expected: list[tuple[str, str | None, str]]
) -> None:
    assert spans(text, ref) == expected


def test_without_a_date_line_the_first_full_date_is_the_reference() -> None:
    text = "Ngày 09/12/2024, hai bên hội đàm. Ngày 10/12, đoàn thăm Công an quận Tây Hồ."
    ref = reference(None, text)
    assert ref == PartialDate(2024, 12, 9)
    assert spans(text, ref)[1][0] == "2024-12-10"


def test_impossible_dates_are_not_dates() -> None:
    assert spans("ngày 31-2 và tháng 13/2024", PartialDate(2024, 1)) == []
