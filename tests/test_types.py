"""PartialDate: the vague dates of the sources, parsed and validated."""

from datetime import date

import pytest

from hoptac.types import PartialDate, Precision


@pytest.mark.parametrize(
    ("text", "iso", "precision", "first", "last"),
    [
        ("2014", "2014", Precision.YEAR, date(2014, 1, 1), date(2014, 12, 31)),
        ("2024-06", "2024-06", Precision.MONTH, date(2024, 6, 1), date(2024, 6, 30)),
        ("2024-02", "2024-02", Precision.MONTH, date(2024, 2, 1), date(2024, 2, 29)),
        ("2024-06-14", "2024-06-14", Precision.DAY, date(2024, 6, 14), date(2024, 6, 14)),
        ("09/12/2024", "2024-12-09", Precision.DAY, date(2024, 12, 9), date(2024, 12, 9)),
        ("22-3-2024", "2024-03-22", Precision.DAY, date(2024, 3, 22), date(2024, 3, 22)),
        ("8/2024", "2024-08", Precision.MONTH, date(2024, 8, 1), date(2024, 8, 31)),
        (" 2024-6-1 ", "2024-06-01", Precision.DAY, date(2024, 6, 1), date(2024, 6, 1)),
    ],
)
def test_parses_every_written_form(
    text: str, iso: str, precision: Precision, first: date, last: date
) -> None:
    d = PartialDate.parse(text)
    assert (d.iso(), d.precision, d.first_day, d.last_day) == (iso, precision, first, last)
    assert PartialDate.from_parts(d.first_day, d.precision) == d


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2024-02-30", "2024-02-30 does not exist (month 2 of 2024 has 29 days)"),
        ("2023-02-29", "2023-02-29 does not exist (month 2 of 2023 has 28 days)"),
        ("2024-13", "month 13 does not exist"),
        ("30/02/2024", "2024-02-30 does not exist"),
        ("next year", "'next year' is not a date"),
        ("", "'' is not a date"),
        ("1066", "year 1066 is outside"),
    ],
)
def test_rejects_impossible_dates_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        PartialDate.parse(text)


def test_displays_in_vietnamese_order() -> None:
    assert PartialDate(2024, 6, 9).display() == "09/06/2024"
    assert PartialDate(2024, 6).display() == "06/2024"
    assert PartialDate(2014).display() == "2014"


def test_a_whole_number_is_ascii_digits_within_its_bound() -> None:
    from hoptac.types import whole_number

    assert whole_number("42") == 42 and whole_number("0") == 0
    for text in ("²", "٣", "4²", "-1", "1.0", " 7", "", "1e3", None, 7):
        assert whole_number(text) is None, text
    assert whole_number("9" * 19) is None  # past 2^63 - 1
    assert whole_number("2147483648", max_value=2**31 - 1) is None


def test_no_isdigit_reads_a_number_in_the_code() -> None:
    """`"²".isdigit()` is true and `int("²")` fails: a number typed or sent is read by
    `types.whole_number`. (Bytes and ASCII-checked text are fine.)"""
    import re
    from pathlib import Path

    src = Path(__file__).parents[1] / "src" / "hoptac"
    found = [
        f"{path.relative_to(src)}:{n}"
        for path in src.rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\.isdigit\(\)", line) and "isascii()" not in line
        and "declared" not in line and "status.isdigit" not in line and "`" not in line
    ]  # fmt: skip
    assert found == [], found
