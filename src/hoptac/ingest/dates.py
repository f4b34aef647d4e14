"""Dates as Vietnamese press writes them, resolved against the publication date.

    ngày 15-6 · ngày 15/6 · ngày 09/12/2024 · ngày 15-4-2023 · ngày 15 tháng 6 năm 2024
    sáng 10-12 · chiều 21/3 · tối ngày 5-9
    từ ngày 10 đến ngày 14-6 · từ ngày 11 đến 15-4-2023 · từ 10/12 đến 14/12/2024 · 10-14/6
    tháng 8/2024 · tháng 8-2024 · tháng 8 năm 2024 · tháng 8 (this year) · năm 2024

A day or month without a year takes the year that puts it nearest the publication date
(an article of January 2025 that says "ngày 28-12" means December 2024).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import date

from hoptac.types import PartialDate


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    first: PartialDate
    last: PartialDate | None  # a range's end; None for one day/month/year

    @property
    def is_range(self) -> bool:
        return self.last is not None and self.last != self.first


_SEP = r"\s*[-/.]\s*"
_D = r"(\d{1,2})"
_M = r"(\d{1,2})"
_Y = r"((?:19|20)\d\d)"
_DM = rf"{_D}{_SEP}{_M}(?:{_SEP}{_Y})?"  # 15-6, 15/6/2024
_WORDY = rf"{_D}\s+tháng\s+{_M}(?:\s*(?:năm|,)\s*{_Y})?"  # 15 tháng 6 năm 2024

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # ranges first: từ ngày 10 đến ngày 14-6 / từ ngày 11 đến 15-4-2023 / từ 10/12 đến 14/12/2024
    (
        "range_same_month",
        re.compile(rf"\b[Tt]ừ\s+(?:ngày\s+)?{_D}\s+(?:đến|tới|-|–)\s+(?:ngày\s+)?{_DM}\b"),
    ),
    (
        "range_full",
        re.compile(rf"\b[Tt]ừ\s+(?:ngày\s+)?{_DM}\s+(?:đến|tới|-|–)\s+(?:ngày\s+)?{_DM}\b"),
    ),
    ("range_dash", re.compile(rf"\b(?:ngày\s+)?{_D}\s*[-–]\s*{_D}\s*/\s*{_M}(?:\s*/\s*{_Y})?\b")),
    ("day_wordy", re.compile(rf"\b(?:[Nn]gày\s+){_WORDY}\b")),
    (
        "day",
        re.compile(
            rf"\b(?:[Nn]gày|[Hh]ôm|[Ss]áng|[Cc]hiều|[Tt]rưa|[Tt]ối|[Đđ]êm)\s+(?:ngày\s+)?{_DM}\b"
        ),
    ),
    ("day_bare", re.compile(rf"(?<![\d/.-]){_D}/{_M}/{_Y}\b")),
    ("month", re.compile(rf"\b[Tt]háng\s+{_M}(?:\s*(?:[-/]|năm)\s*{_Y})?\b(?!\s*ngày)")),
    ("year", re.compile(rf"\b[Nn]ăm\s+{_Y}\b")),
]


def _year_near(month: int, day: int | None, ref: PartialDate | None) -> int | None:
    """The year that puts day/month nearest the reference date."""
    if ref is None:
        return None
    anchor = ref.first_day if ref.month else date(ref.year, 7, 1)
    best = None
    for year in (ref.year - 1, ref.year, ref.year + 1):
        try:
            d = date(year, month, day or 15)
        except ValueError:
            continue
        gap = abs((d - anchor).days)
        if best is None or gap < best[0]:
            best = (gap, year)
    return best[1] if best else None


def _date(
    day: str | None, month: str | None, year: str | None, ref: PartialDate | None
) -> PartialDate | None:
    try:
        m = int(month) if month else None
        d = int(day) if day else None
        if year:
            y = int(year)
        elif m is not None:
            found = _year_near(m, d, ref)
            if found is None:
                return None
            y = found
        else:
            return None
        return PartialDate(y, m, d if m is not None else None)
    except ValueError:
        return None


def find_dates(
    text: str, ref: PartialDate | None, start: int = 0, end: int | None = None
) -> list[DateMention]:
    """Date mentions in text[start:end], in order, non-overlapping (ranges win)."""
    end = len(text) if end is None else end
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []  # sorted, non-overlapping: a bisect per match

    def free(a: int, b: int) -> bool:
        i = bisect.bisect_left(taken, (a, a))
        before_ok = i == 0 or taken[i - 1][1] <= a
        after_ok = i == len(taken) or taken[i][0] >= b
        return before_ok and after_ok

    for name, pattern in _PATTERNS:
        for m in pattern.finditer(text, start, end):
            if not free(m.start(), m.end()):
                continue
            g = m.groups()
            first = last = None
            if name == "range_same_month":
                d1, d2, mo, y = g
                last = _date(d2, mo, y, ref)
                first = _date(d1, mo, str(last.year) if last else y, ref)
            elif name == "range_full":
                d1, m1, y1, d2, m2, y2 = g
                last = _date(d2, m2, y2, ref)
                first = _date(d1, m1, y1 or (str(last.year) if last else None), ref)
                if first and last and first > last and not y1:  # 28-12 to 2-1-2025
                    first = _date(d1, m1, str(last.year - 1), ref)
            elif name == "range_dash":
                d1, d2, mo, y = g
                last = _date(d2, mo, y, ref)
                first = _date(d1, mo, str(last.year) if last else y, ref)
            elif name in ("day", "day_bare", "day_wordy"):
                d, mo, y = g
                first = _date(d, mo, y, ref)
            elif name == "month":
                mo, y = g
                first = _date(None, mo, y, ref)
            else:
                first = _date(None, None, g[0], ref)
            if first is None:
                continue
            if last is not None and last < first:
                continue
            found.append(DateMention(m.start(), m.end(), first, last if last != first else None))
            bisect.insort(taken, (m.start(), m.end()))
    found.sort(key=lambda x: x.start)
    return found


def reference(published: PartialDate | None, text: str) -> PartialDate | None:
    """The date other dates are resolved against: the publication date, else the first
    full date the text gives (an article without a date line that says 09/12/2024)."""
    if published is not None:
        return published
    for mention in find_dates(text, None):
        if mention.first.precision.value == "day":
            return mention.first
    return None
