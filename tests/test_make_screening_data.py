"""bench/make_screening_data.py: deterministic, well-formed screening data whose planted
matches are written as their variant says and hidden among the other register rows."""

from __future__ import annotations

import csv
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from hoptac.names import parse
from hoptac.names.fold import fold

sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))

import make_screening_data as gen

NOTICES, REGISTER = 2000, 10_000
_HAN = re.compile(r"^[\u3400-\u9fff\U00020000-\U0002ffff]+$")
_HANGUL = re.compile(r"^[\uac00-\ud7a3]+$")
_CJK = re.compile(r"[\u3400-\u9fff\uac00-\ud7a3]")
_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Rows = dict[str, dict[str, str]]
Data = tuple[Path, Rows, Rows, list[dict[str, str]]]  # out dir, notices, register, truth


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Data:
    out = tmp_path_factory.mktemp("screening")
    gen.generate(NOTICES, REGISTER, seed=7, out=out)
    notices = {r["notice_id"]: r for r in _read(out / "notices.csv")}
    register = {r["record_id"]: r for r in _read(out / "register.csv")}
    return out, notices, register, _read(out / "truth.csv")


def test_same_seed_same_files_other_seed_other_files(tmp_path: Path) -> None:
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        out = str(tmp_path / name)
        gen.main(["--notices", "200", "--register", "1500", "--seed", str(seed), "--out", out])
    for file in ("notices.csv", "register.csv", "truth.csv"):
        a, b, c = ((tmp_path / d / file).read_bytes() for d in "abc")
        assert a == b
        assert a != c


def test_headers(data: Data) -> None:
    out = data[0]
    expected = {
        "notices.csv": "notice_id,name,alt_names,birth_date,sex,nationality,document_number,"
        "issuing_agency,charges",
        "register.csv": "record_id,name,birth_date,sex,nationality,document_number,source,seen_at",
        "truth.csv": "notice_id,record_id,variant",
    }
    for file, header in expected.items():
        assert (out / file).read_text(encoding="utf-8").splitlines()[0] == header


def test_sizes_and_field_values(data: Data) -> None:
    _, notices, register, _ = data
    assert len(notices) == NOTICES
    assert len(register) == REGISTER
    for row in [*notices.values(), *register.values()]:
        assert row["sex"] in ("M", "F", "")
        assert row["nationality"] in ("VN", "CN", "KR", "")
        assert re.fullmatch(r"(\d{4}(-\d{2}(-\d{2})?)?)?", row["birth_date"])
        year = row["birth_date"][:4]
        assert not year or 1950 <= int(year) <= 2005
        assert re.fullmatch(r"([ECGBM][0-9A-Z]{7,8})?", row["document_number"])
    assert {r["source"] for r in register.values()} == set(gen.SOURCES)
    blank_dates = sum(not r["birth_date"] for r in register.values()) / REGISTER
    assert 0.005 < blank_dates < 0.1


def test_every_variant_is_planted(data: Data) -> None:
    truth = data[3]
    counts = Counter(t["variant"] for t in truth)
    assert set(counts) == set(gen.VARIANTS)
    assert all(n >= 5 for n in counts.values()), counts
    planted = {t["notice_id"] for t in truth}
    assert len(planted) == round(NOTICES * 0.3)
    assert len(truth) > len(planted)  # some notices are matched by several records


def test_truth_ids_exist_in_both_files(data: Data) -> None:
    _, notices, register, truth = data
    assert all(t["notice_id"] in notices and t["record_id"] in register for t in truth)
    assert len({t["record_id"] for t in truth}) == len(truth)  # a record matches one notice


def test_planted_rows_are_spread_through_the_register(
    data: Data,
) -> None:
    _, notices, register, truth = data
    order = {record_id: i for i, record_id in enumerate(register)}
    positions = sorted(order[t["record_id"]] for t in truth)
    quarters = Counter(4 * p // REGISTER for p in positions)
    assert all(0.15 < quarters[q] / len(positions) < 0.35 for q in range(4)), quarters
    # Record ids follow file order; planted notices are spread among the notices too.
    assert list(register) == sorted(register)
    notice_order = {notice_id: i for i, notice_id in enumerate(notices)}
    planted = sorted(notice_order[t["notice_id"]] for t in truth)
    assert 0.4 < sum(planted) / len(planted) / NOTICES < 0.6


def test_documents_are_unique_but_for_a_notices_own_records(
    data: Data,
) -> None:
    _, notices, register, truth = data
    notice_of = {t["record_id"]: t["notice_id"] for t in truth}
    holders: dict[str, set[str]] = defaultdict(set)
    for row in register.values():
        if row["document_number"]:
            holders[row["document_number"]].add(notice_of.get(row["record_id"], row["record_id"]))
    for row in notices.values():
        if row["document_number"]:
            holders[row["document_number"]].add(row["notice_id"])
    assert all(len(h) == 1 for h in holders.values())


def test_every_name_parses(data: Data) -> None:
    _, notices, register, _ = data
    names = {r["name"] for r in register.values()} | {r["name"] for r in notices.values()}
    names |= {a for r in notices.values() for a in r["alt_names"].split(";") if a}
    unparsed = [n for n in names if len(parse(n).syllables) < 2 or len(parse(n).parts) < 2]
    assert unparsed == []


def _pairs(data: Data, variant: str) -> list[tuple[dict[str, str], dict[str, str]]]:
    _, notices, register, truth = data
    pairs = [(notices[t["notice_id"]], register[t["record_id"]]) for t in truth]
    chosen = [(n, r) for (n, r), t in zip(pairs, truth, strict=True) if t["variant"] == variant]
    assert len(chosen) >= 3
    return chosen


def _words(name: str) -> list[str]:
    return sorted(w.strip(",").casefold() for w in name.split())


def _cjk_and_latin(a: str, b: str, cjk: re.Pattern[str]) -> tuple[str, str]:
    """(the CJK side, the Latin side), checking there is one of each."""
    x, y = (a, b) if cjk.match(a) else (b, a)
    assert cjk.match(x), (a, b)
    assert not _CJK.search(y), (a, b)
    return x, y


def test_cross_script_variants_are_written_as_named(
    data: Data,
) -> None:
    for n, r in _pairs(data, "hanzi_vs_pinyin"):
        _, latin = _cjk_and_latin(n["name"], r["name"], _HAN)
        assert latin.replace("ü", "u").isascii(), latin
        assert n["nationality"] in ("CN", "")
    for n, r in _pairs(data, "hanzi_vs_vietnamese"):
        hanzi, vietnamese = _cjk_and_latin(n["name"], r["name"], _HAN)
        assert len(vietnamese.replace(",", " ").split()) == len(hanzi)  # a syllable a character
    marked = [
        not r["name"].isascii() or not n["name"].isascii()
        for n, r in _pairs(data, "hanzi_vs_vietnamese")
    ]
    assert sum(marked) > len(marked) / 2  # Vietnamese is written with its diacritics
    for n, r in _pairs(data, "pinyin_vs_vietnamese"):
        assert not _CJK.search(n["name"] + r["name"])
        assert fold(n["name"]) != fold(r["name"])
    for n, r in _pairs(data, "hangul_vs_roman"):
        _, roman = _cjk_and_latin(n["name"], r["name"], _HANGUL)
        assert roman.isascii(), roman
    for n, r in _pairs(data, "hanja_vs_hangul"):
        a, b = sorted([n["name"], r["name"]], key=lambda s: bool(_HAN.match(s)))
        assert _HANGUL.match(a) and _HAN.match(b), (a, b)
        assert len(a) == len(b)


def test_latin_variants_are_written_as_named(
    data: Data,
) -> None:
    for n, r in _pairs(data, "diacritics_dropped"):
        assert fold(n["name"]) == fold(r["name"])
        assert n["name"].isascii() != r["name"].isascii()
    for n, r in _pairs(data, "order_swapped"):
        a, b = n["name"], r["name"]
        assert _words(a) == _words(b)
        assert fold(a) != fold(b)
        assert (
            fold(a).split()[0] == fold(b).split()[-1] or fold(b).split()[0] == fold(a).split()[-1]
        )
    for n, r in _pairs(data, "typo"):
        a, b = n["name"], r["name"]
        assert len(a) == len(b)
        diff = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
        assert len(diff) == 1, (a, b)
        assert all(c.isascii() and c.isalpha() for c in diff[0])
    for variant in ("hanzi_vs_pinyin", "hangul_vs_roman", "diacritics_dropped", "typo"):
        for n, r in _pairs(data, variant):
            assert n["name"] != r["name"]


def test_date_variants_and_exact(data: Data) -> None:
    for n, r in _pairs(data, "exact"):
        # the same name; the date as each side knows it (a notice may know only the year)
        assert n["name"] == r["name"]
        short, long_ = sorted([n["birth_date"], r["birth_date"]], key=len)
        assert long_.startswith(short)
    for n, r in _pairs(data, "birth_year_only"):
        assert n["name"] == r["name"]
        year, full = sorted([n["birth_date"], r["birth_date"]], key=len)
        assert re.fullmatch(r"\d{4}", year) and _FULL_DATE.match(full) and full[:4] == year
    for n, r in _pairs(data, "day_month_swapped"):
        assert n["name"] == r["name"]
        (y1, m1, d1), (y2, m2, d2) = (x["birth_date"].split("-") for x in (n, r))
        assert (y1, m1, d1) == (y2, d2, m2) and m1 != d1


def test_name_forms() -> None:
    """The writing conventions themselves: passport habits, the initial-sound rule."""
    assert [gen.korean_habit(c) for c in "경수영현희성철우준윤욱"] == [
        "kyung", "soo", "young", "hyun", "hee", "sung", "chul", "woo", "joon", "yoon", "wook",
    ]  # fmt: skip
    assert [gen.initial_sound(c) for c in "련란룡녀수"] == list("연난용여수")
    rng = random.Random(3)
    person = gen.random_person(rng, "CN", "M")._replace(family=0, given=(0, 1))
    style = gen.Style("upper_family", "joined", False, "")
    assert gen.render(person, "pinyin", style).startswith("WANG ")
    assert gen.render(person, "pinyin", style, family_last=True).endswith(" WANG")
    assert gen.render(person, "hanzi").startswith("王")
    assert gen.render(person, "vietnamese").startswith("Vương ")
