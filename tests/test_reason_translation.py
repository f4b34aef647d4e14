"""The screening engine's reasons read in Vietnamese on Vietnamese pages: every reason the
engine writes is covered by the translation (a new English reason fails this test)."""

import re

from hoptac.names import compare
from hoptac.screening.score import Evidence, birth_date, evidence, explain, name_factor
from hoptac.screening.service import reason_lines
from hoptac.web.i18n import translate_reason

ENGLISH = re.compile(
    r"\b(same|born|sex|nationality|name|records?|reading|letters?|unmatched|via|only|"
    r"variant|apart|swapped|document|pinyin of|diacritics|character)\b"
)
DATES = ["1985-03-07", "1985-07-03", "1985", "1985-03", "1985-04", "1986-03-07", "1990-01-01"]
PAIRS = [
    ("王健", "Vương Kiện"),
    ("Wang Jian", "王健"),
    ("Nguyễn Thị Linh", "NGUYEN THI LBNH"),
    ("Nguyễn Văn An", "Nguyễn An"),
    ("박근혜", "Park Geun-hye"),
    ("朴槿惠", "박근혜"),
    ("이승만", "리승만"),
    ("Trần Văn Hùng", "Trần Văn Hưng"),
    ("Li Qiang", "Li Liang"),
    ("Kim Jong-un", "김정은"),
]


def _reasons() -> list[str]:
    out = []
    for level in range(4):
        for namesakes in (1, 3):
            out.append(name_factor(level, namesakes).reason)
    for a in DATES:
        for b in DATES:
            for factor in evidence(
                Evidence(birth=birth_date(a), sex="M", nationality="CN", document="E1"),
                Evidence(birth=birth_date(b), sex="F", nationality="VN", document="E1"),
            ):
                out.append(factor.reason)
    out.append(evidence(Evidence(sex="M"), Evidence(sex="M"))[0].reason)
    out.append(evidence(Evidence(document="E1"), Evidence(document="G 2"))[0].reason)
    for x, y in PAIRS:
        c = compare(x, y)
        out += reason_lines(explain(c.score, c.explain(), []))
    return out


def test_every_reason_the_engine_writes_reads_in_vietnamese() -> None:
    for line in _reasons():
        vietnamese = translate_reason(line, "vi")
        assert not ENGLISH.search(vietnamese), (line, vietnamese)


def test_english_pages_keep_the_engine_wording_in_the_pages_formats() -> None:
    """The engine's words stay in English; its dates, codes and decimals are written as the
    rest of the page writes them (one date format per language, no bare 'sex M')."""
    line = "same birth date 1985-03-07 (x986)"
    assert translate_reason(line, "en") == "same birth date 7 Mar 1985 (x986)"
    assert translate_reason(line, "vi") == "trùng ngày sinh 07/03/1985 (x986)"
    assert translate_reason("born 1985-03", "en") == "born Mar 1985"
    assert translate_reason("born 1985-03", "vi") == "cùng tháng sinh 03/1985"
    assert translate_reason("sex M", "en") == "same sex (male)"
    assert translate_reason("sex M / F", "en") == "sex male / female"
    assert translate_reason("sex F", "vi") == "cùng giới tính nữ"
    assert translate_reason("sex M / F", "vi") == "giới tính nam / nữ"
    assert translate_reason("name 0.95 (same name)", "vi") == "họ tên 0,95 (cùng họ tên)"


ISO = re.compile(r"\b[0-9]{4}-[0-9]{2}\b")
CODES = re.compile(r"\b(sex|giới tính) [MF]\b")


def test_no_reason_keeps_an_iso_date_or_a_sex_code() -> None:
    for line in _reasons():
        for lang in ("vi", "en"):
            said = translate_reason(line, lang)
            assert not ISO.search(said) and not CODES.search(said), (line, lang, said)
