"""One score for a notice against a register record: how likely they are the same person,
from the name and the evidence that confirms or contradicts it (birth date, document
number, sex, nationality).

A Fellegi-Sunter model, in odds: each comparison multiplies the odds by its Bayes factor
m/u, the chance of what is seen if the two are the same person (m) over the chance of
seeing it between two different people (u).

- **Name**, by level of the name score. u is the name's own frequency: the share of the
  register's people, among those the birth year allows, whose name meets the notice's
  at the same level. A notice's names meet its register `namesakes` times at that level,
  so u = namesakes / M; with the prior odds K / M that one of M records is the notice's
  person (K: the records of a wanted person a register holds, PRIOR_RECORDS), M cancels:
  the odds start at K * m / namesakes. `Nguyễn Văn Hùng` meeting 36 namesakes says far
  less than `Vương Kiện Quốc` meeting one.
- **Birth date**, among people whose birth year the engine already let through (the year
  window, `engine.reads`): u is the chance that two different people in that window
  agree so (1 in 3 for the year, 1 in 3 x 365 for the date).
- **Document number, sex, nationality**: the same number is near proof; a different sex
  near disproof; a different nationality weak evidence against (dual nationals, errors).

Unknown values are neutral (factor 1). Pure functions over plain values, so that both
engines and a later Spark job score alike; every factor leaves a reason an officer can read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from hoptac.types import PartialDate

HIT_THRESHOLD = 0.5  # the probability at which a pair is a hit for review: band "likely"
# Below it, down to this, a pair is still shown, after the likely ones: band "possible".
# A name that is the only one of its kind in the register, read across scripts, with only
# the birth year to confirm it (Đàm Quốc Khánh / Tan Guoqing, 1971: about 0.44) is what
# an officer must see, yet not ahead of the pairs the evidence supports.
POSSIBLE_THRESHOLD = 0.2
LIKELY, POSSIBLE = "likely", "possible"


def band(score: float, threshold: float = HIT_THRESHOLD) -> str:
    """`likely` at or above the threshold, `possible` below it."""
    return LIKELY if score >= threshold else POSSIBLE


PRIOR_RECORDS = 1.0  # K: records of a wanted person in the register, before any evidence

# Name levels: (lowest name score, m = the share of true pairs whose names meet so, label).
# m as measured on hoptac.names' labelled pairs (tests/data/names_people.csv: 0.705, 0.280,
# 0.015, 0; the held-out set: 0.699, 0.282, 0.017, 0.003), rounded, the last level kept
# above zero. A name read across scripts scores 0.95 (Wang Jian / 王健), a Korean spelling
# variant 0.90 (Park / 박), a slip 0.80 per syllable.
NAME_LEVELS = (
    (0.94, 0.70, "same name"),  # in one script, or read across scripts
    (0.88, 0.28, "variant of the name"),  # a spelling variant, a slip in a long name
    (0.80, 0.015, "close name"),  # a slip in a short name, a middle name left out
    (0.70, 0.005, "similar name"),
)
LOWEST_NAME = NAME_LEVELS[-1][0]  # below it a pair is never a hit

# Bayes factors m/u of the evidence, within the engine's birth-year window.
YEAR_GAP = 1  # birth years further apart make no hit (engine.reads) unless the document
# numbers agree
WINDOW_YEARS = 2 * YEAR_GAP + 1  # the year, the one before, the one after
BIRTH_EXACT = 0.9 * WINDOW_YEARS * 365
BIRTH_DAY_MONTH_SWAPPED = 0.03 * WINDOW_YEARS * 365  # 1990-03-07 written 1990-07-03
BIRTH_SAME_MONTH = 0.9 * WINDOW_YEARS * 12  # year and month agree, a day unknown
BIRTH_SAME_YEAR = 0.95 * WINDOW_YEARS  # the year agrees, month or day unknown on a side
BIRTH_YEAR_APART = 0.03 / ((WINDOW_YEARS - 1) / WINDOW_YEARS)  # a slip, or two people
BIRTH_DIFFERENT = 0.05  # same year (or a shared document let them through), other date
DOCUMENT_SAME = 0.5 / 1e-6  # half of records carry the passport the notice names
# Both sides carry a number and they differ: a renewed passport, an ID card beside a
# passport, or two people. Among true pairs with a number on both sides, most differ
# (registers copy whatever document was shown: the generator's planted records carry
# the notice's number 35% of the time, and real registers no more often), while among
# other pairs nearly all differ: weak evidence against, m/u = 0.6 / 1. It is said in the
# reasons all the same, so that a reviewer checks the documents.
DOCUMENT_DIFFERENT = 0.6
SEX_SAME = 0.98 / 0.5
SEX_DIFFERENT = 0.02 / 0.5
NATIONALITY_DIFFERENT = 0.2

_DOCUMENT_NOISE = re.compile(r"[^0-9A-Z]")


@dataclass(frozen=True, slots=True)
class Factor:
    """A Bayes factor and why."""

    weight: float
    reason: str


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
    return _parse_date(text)


@lru_cache(maxsize=1 << 16)
def _parse_date(text: str) -> PartialDate:
    return PartialDate.parse(text)  # registers repeat dates: parse each once


def document_key(text: str | None) -> str | None:
    """Document numbers compare without spaces, dashes or case: `e 1234-5678` = `E12345678`."""
    if text is None:
        return None
    key = _DOCUMENT_NOISE.sub("", text.upper())
    return key or None


def _birth(a: PartialDate | None, b: PartialDate | None) -> Factor | None:
    if a is None or b is None:
        return None
    if a.year != b.year:
        if abs(a.year - b.year) == 1:
            return Factor(BIRTH_YEAR_APART, f"born {a.year} / {b.year}, a year apart")
        return Factor(BIRTH_DIFFERENT, f"born {a.year} / {b.year}")
    if a.month is None or b.month is None:
        return Factor(BIRTH_SAME_YEAR, f"born {a.year} (only the year is known on one side)")
    if a.day is None or b.day is None:
        if a.month == b.month:
            return Factor(BIRTH_SAME_MONTH, f"born {a.year}-{a.month:02d}")
        return Factor(BIRTH_DIFFERENT, f"born {a.year}-{a.month:02d} / {b.year}-{b.month:02d}")
    if (a.month, a.day) == (b.month, b.day):
        return Factor(BIRTH_EXACT, f"same birth date {a.year}-{a.month:02d}-{a.day:02d}")
    if (a.month, a.day) == (b.day, b.month):
        return Factor(BIRTH_DAY_MONTH_SWAPPED, "same birth date with day and month swapped")
    return Factor(
        BIRTH_DIFFERENT,
        f"born {a.year}-{a.month:02d}-{a.day:02d} / {b.year}-{b.month:02d}-{b.day:02d}",
    )


def evidence(a: Evidence, b: Evidence) -> list[Factor]:
    """The factors the non-name evidence gives (unknowns give none)."""
    out: list[Factor] = []
    birth = _birth(a.birth, b.birth)
    if birth is not None:
        out.append(birth)
    doc_a, doc_b = document_key(a.document), document_key(b.document)
    if doc_a and doc_a == doc_b:
        out.append(Factor(DOCUMENT_SAME, f"same document number {doc_a}"))
    elif doc_a and doc_b:
        out.append(Factor(DOCUMENT_DIFFERENT, f"different document numbers {doc_a} / {doc_b}"))
    if a.sex and b.sex:
        same = a.sex == b.sex
        out.append(
            Factor(SEX_SAME, f"sex {a.sex}")
            if same
            else Factor(SEX_DIFFERENT, f"sex {a.sex} / {b.sex}")
        )
    if a.nationality and b.nationality and a.nationality != b.nationality:
        out.append(Factor(NATIONALITY_DIFFERENT, f"nationality {a.nationality} / {b.nationality}"))
    return out


def name_level(score: float) -> int | None:
    """The index in NAME_LEVELS of a name score, None below the lowest."""
    for level, (lowest, _, _) in enumerate(NAME_LEVELS):
        if score >= lowest:
            return level
    return None


def name_factor(level: int, namesakes: int) -> Factor:
    """The prior odds times the name's factor: K * m / namesakes (see the module doc)."""
    _, m, label = NAME_LEVELS[level]
    close = (
        "the only record this close" if namesakes <= 1 else f"1 of {namesakes} records this close"
    )
    return Factor(PRIOR_RECORDS * m / max(namesakes, 1), f"{label}: {close}")


def probability(factors: list[Factor]) -> float:
    """The chance that the pair is one person: the product of the factors as odds, in
    the given order."""
    odds = 1.0
    for factor in factors:
        odds *= factor.weight
    return odds / (1.0 + odds)


@dataclass(frozen=True)
class Coded:
    """People's evidence as arrays, for `probabilities` over many pairs at once: birth date
    as yyyymmdd (00 for an unknown month or day, 0 unknown), sex (1 M, 2 F), nationality and
    document number as ids shared by the two sides of `code_evidence` (0: unknown)."""

    birth: np.ndarray
    sex: np.ndarray
    nationality: np.ndarray
    document: np.ndarray


def code_evidence(*sides: Sequence[Evidence]) -> list[Coded]:
    """Each side's evidence as `Coded` arrays (ids shared by all sides)."""
    ids: dict[str | None, int] = {None: 0, "": 0}
    sexes = {"M": 1, "F": 2}
    out = []

    def code(b: PartialDate | None) -> int:
        return 0 if b is None else b.year * 10000 + (b.month or 0) * 100 + (b.day or 0)

    def known(key: str | None, kind: str) -> int:
        return ids.setdefault(f"{kind}:{key}" if key else None, len(ids))

    for side in sides:  # lists first: a million assignments into arrays cost more
        birth = [code(e.birth) for e in side]
        sex = [sexes.get(e.sex or "", 0) for e in side]
        nationality = [known(e.nationality, "n") for e in side]
        document = [known(document_key(e.document), "d") if e.document else 0 for e in side]
        out.append(
            Coded(*(np.array(x, dtype=np.int64) for x in (birth, sex, nationality, document)))
        )
    return out


def probabilities(
    levels: np.ndarray, namesakes: np.ndarray, a: Coded, b: Coded, ia: np.ndarray, ib: np.ndarray
) -> np.ndarray:
    """`probability([name_factor(level, namesakes), *evidence(a[ia], b[ib])])` per pair
    (levels >= 0), the same arithmetic in the same order, over arrays."""
    m = np.array([level[1] for level in NAME_LEVELS])
    odds = 1.0 * ((PRIOR_RECORDS * m[levels]) / np.maximum(namesakes, 1))
    odds = odds * _birth_weights(a.birth[ia], b.birth[ib])
    doc_a, doc_b = a.document[ia], b.document[ib]
    both = (doc_a > 0) & (doc_b > 0)
    odds = odds * np.where(both, np.where(doc_a == doc_b, DOCUMENT_SAME, DOCUMENT_DIFFERENT), 1.0)
    sex_a, sex_b = a.sex[ia], b.sex[ib]
    sex = np.where(sex_a == sex_b, SEX_SAME, SEX_DIFFERENT)
    odds = odds * np.where((sex_a > 0) & (sex_b > 0), sex, 1.0)
    nat_a, nat_b = a.nationality[ia], b.nationality[ib]
    odds = odds * np.where((nat_a > 0) & (nat_b > 0) & (nat_a != nat_b), NATIONALITY_DIFFERENT, 1.0)
    result: np.ndarray = odds / (1.0 + odds)
    return result


def _birth_weights(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """`_birth`'s factor (1 where unknown) of dates coded yyyymmdd."""
    ya, ma, da = a // 10000, a // 100 % 100, a % 100
    yb, mb, db = b // 10000, b // 100 % 100, b % 100
    day = np.select(
        [(ma == mb) & (da == db), (ma == db) & (da == mb)],
        [BIRTH_EXACT, BIRTH_DAY_MONTH_SWAPPED],
        BIRTH_DIFFERENT,
    )
    month = np.where(
        (da == 0) | (db == 0), np.where(ma == mb, BIRTH_SAME_MONTH, BIRTH_DIFFERENT), day
    )
    year = np.where((ma == 0) | (mb == 0), BIRTH_SAME_YEAR, month)
    apart = np.where(np.abs(ya - yb) == 1, BIRTH_YEAR_APART, BIRTH_DIFFERENT)
    known = np.where(ya != yb, apart, year)
    result: np.ndarray = np.where((a == 0) | (b == 0), 1.0, known)
    return result


def explain(name_score: float, name_reason: str, factors: list[Factor]) -> str:
    """`name 0.95 (how the names met); <factor reason> (x<weight>); ...`."""
    head = f"name {name_score:.2f} ({name_reason})" if name_reason else f"name {name_score:.2f}"
    return "; ".join([head, *(f"{f.reason} (x{f.weight:.3g})" for f in factors)])
