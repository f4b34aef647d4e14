"""One score for a notice against a register record: the name first, then the evidence
that confirms or contradicts it (birth date, document number, sex, nationality).

Pure functions over plain values, so that the in-process engine, the DuckDB engine and a
later Spark job score alike. The weights are additive adjustments to the name score,
clamped to [0, 1]; every adjustment leaves a reason an officer can read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hoptac.types import PartialDate

THRESHOLD = 0.85  # a hit worth an officer's review

# Adjustments to the name score (see `evidence`).
BIRTH_EXACT = 0.15
BIRTH_DAY_MONTH_SWAPPED = 0.08  # 1990-03-07 written 1990-07-03
BIRTH_SAME_YEAR = 0.05  # the only thing both sides know is the year, and it agrees
BIRTH_YEAR_APART = -0.1  # one year apart: a slip or a guess
BIRTH_DIFFERENT = -0.35
DOCUMENT_SAME = 0.3
SEX_DIFFERENT = -0.3
NATIONALITY_DIFFERENT = -0.1

_DOCUMENT_NOISE = re.compile(r"[^0-9A-Z]")


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the two sides say besides the name; any of it may be unknown (None)."""

    birth: PartialDate | None = None
    sex: str | None = None  # M | F
    nationality: str | None = None  # ISO 3166 alpha-2
    document: str | None = None


def birth_date(text: str | None) -> PartialDate | None:
    """A birth date as registers write it (YYYY, YYYY-MM, YYYY-MM-DD, DD/MM/YYYY); blank is
    unknown. Raises ValueError with the reason for anything else."""
    if text is None or not text.strip():
        return None
    return PartialDate.parse(text)


def document_key(text: str | None) -> str | None:
    """Document numbers compare without spaces, dashes or case: `e 1234-5678` = `E12345678`."""
    if text is None:
        return None
    key = _DOCUMENT_NOISE.sub("", text.upper())
    return key or None


def _birth(a: PartialDate | None, b: PartialDate | None) -> tuple[float, str] | None:
    if a is None or b is None:
        return None
    if a.year != b.year:
        if abs(a.year - b.year) == 1:
            return BIRTH_YEAR_APART, f"born {a.year} / {b.year}, a year apart"
        return BIRTH_DIFFERENT, f"born {a.year} / {b.year}"
    if a.month is None or b.month is None:
        return BIRTH_SAME_YEAR, f"born {a.year} (only the year is known on one side)"
    if a.day is None or b.day is None:
        if a.month == b.month:
            return BIRTH_SAME_YEAR, f"born {a.year}-{a.month:02d}"
        return BIRTH_DIFFERENT, f"born {a.year}-{a.month:02d} / {b.year}-{b.month:02d}"
    if (a.month, a.day) == (b.month, b.day):
        return BIRTH_EXACT, f"same birth date {a.year}-{a.month:02d}-{a.day:02d}"
    if (a.month, a.day) == (b.day, b.month):
        return BIRTH_DAY_MONTH_SWAPPED, "same birth date with day and month swapped"
    return BIRTH_DIFFERENT, (
        f"born {a.year}-{a.month:02d}-{a.day:02d} / {b.year}-{b.month:02d}-{b.day:02d}"
    )


def evidence(a: Evidence, b: Evidence) -> list[tuple[float, str]]:
    """The adjustments (weight, reason) the non-name evidence gives."""
    out: list[tuple[float, str]] = []
    birth = _birth(a.birth, b.birth)
    if birth is not None:
        out.append(birth)
    doc_a, doc_b = document_key(a.document), document_key(b.document)
    if doc_a and doc_a == doc_b:
        out.append((DOCUMENT_SAME, f"same document number {doc_a}"))
    if a.sex and b.sex and a.sex != b.sex:
        out.append((SEX_DIFFERENT, f"sex {a.sex} / {b.sex}"))
    if a.nationality and b.nationality and a.nationality != b.nationality:
        out.append((NATIONALITY_DIFFERENT, f"nationality {a.nationality} / {b.nationality}"))
    return out


def combine(name_score: float, adjustments: list[tuple[float, str]]) -> float:
    """The name score plus the evidence, clamped to [0, 1] (summed in the given order)."""
    total = name_score
    for weight, _ in adjustments:
        total += weight
    return min(1.0, max(0.0, total))


def explain(name_score: float, name_reason: str, adjustments: list[tuple[float, str]]) -> str:
    parts = [f"name {name_score:.2f} ({name_reason})" if name_reason else f"name {name_score:.2f}"]
    parts += [f"{reason} ({weight:+.2f})" for weight, reason in adjustments]
    return "; ".join(parts)
