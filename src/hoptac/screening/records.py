"""Notices and register records as the screening engines see them, read from CSV.

A notice: `notice_id,name,alt_names,birth_date,sex,nationality,document_number,
issuing_agency,charges` (`alt_names` separated by `;`). A register record: `record_id,name,
birth_date,sex,nationality,document_number,source,seen_at`. A bad row is reported with its
line number and reason and the rest of the file is still read; a file without the required
columns is refused whole.

`rows()` yields each row's outcome in file order (the app imports uploads from it); `read()`
collects them (the engines and `hoptac screen`). Both take a path or an open text stream.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from hoptac.parallel import gc_paused
from hoptac.screening.score import Evidence, birth_date, document_key
from hoptac.types import RegisterKind

NOTICE_COLUMNS = (
    "notice_id",
    "name",
    "alt_names",
    "birth_date",
    "sex",
    "nationality",
    "document_number",
    "issuing_agency",
    "charges",
)
REGISTER_COLUMNS = (
    "record_id",
    "name",
    "birth_date",
    "sex",
    "nationality",
    "document_number",
    "source",
    "seen_at",
)
REGISTER_SOURCES = tuple(k.value for k in RegisterKind)
_SEXES = {"M": "M", "F": "F", "NAM": "M", "NU": "F", "NỮ": "F", "MALE": "M", "FEMALE": "F"}
MAX_NAME = 200
MAX_ID = 120


class FileRefused(ValueError):
    """The file as a whole cannot be read (missing columns, not UTF-8)."""


@dataclass(frozen=True, slots=True)
class Person:
    """A notice or a register record: an id, its names (primary first) and the evidence."""

    id: str
    names: tuple[str, ...]
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class RowError:
    line: int  # 1-based line in the file (the header is line 1)
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


def parse_sex(text: str) -> str | None:
    """M, F or unknown (None) from the ways registers write it (NAM, Nữ, female...)."""
    value = text.strip().upper()
    if not value:
        return None
    if value not in _SEXES:
        raise ValueError(f"sex '{text}' is not M or F")
    return _SEXES[value]


def parse_nationality(text: str) -> str | None:
    value = text.strip().upper()
    if not value:
        return None
    if len(value) != 2 or not value.isalpha() or not value.isascii():
        raise ValueError(f"nationality '{text}' is not a two-letter country code (VN, CN, KR)")
    return value


Source = Path | TextIO  # a file, or an open text stream (an upload)


def _lines(source: Source) -> Iterator[str]:
    if isinstance(source, Path):
        with source.open(encoding="utf-8-sig", newline="") as f:
            yield from f
    else:
        yield from source


def _rows(source: Source, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    label = source.name if isinstance(source, Path) else getattr(source, "name", "the file")
    last = 0  # the last line read whole
    try:
        reader = csv.reader(_lines(source))
        header = next(reader, [])
        missing = [c for c in required if c not in header]
        if missing:
            raise FileRefused(
                f"{label}: missing column(s) {', '.join(missing)}; "
                f"the header must have {','.join(required)}"
            )
        width = len(header)
        last = reader.line_num
        for values in reader:  # as csv.DictReader reads them, at half its cost
            last = reader.line_num
            if not values:
                continue  # a blank line
            if len(values) < width:
                values += [""] * (width - len(values))
            yield last, dict(zip(header, values, strict=False))  # extra fields dropped
    except UnicodeDecodeError as exc:
        raise FileRefused(f"{label}: not UTF-8 text ({exc.reason})") from exc
    except csv.Error as exc:  # a broken quote, a field over the csv module's limit
        raise FileRefused(
            f"{label}: line {last + 1}: {exc}; reading stopped there (rows before it were read)"
        ) from exc


def _person(row: dict[str, str], id_column: str, names: list[str]) -> Person:
    ident = row[id_column].strip()
    if not ident:
        raise ValueError(f"{id_column} is empty")
    if len(ident) > MAX_ID:
        raise ValueError(f"{id_column} is longer than {MAX_ID} characters")
    if not names or not names[0].strip():
        raise ValueError("name is empty")
    names = [n.strip() for n in names if n.strip()]
    if any(len(n) > MAX_NAME for n in names):
        raise ValueError(f"a name is longer than {MAX_NAME} characters")
    evidence = Evidence(
        birth=birth_date(row.get("birth_date")),
        sex=parse_sex(row.get("sex", "")),
        nationality=parse_nationality(row.get("nationality", "")),
        document=document_key(row.get("document_number")),
    )
    return Person(ident, tuple(names), evidence)


def _no_check(row: dict[str, str]) -> None:
    return None


def _register_source(row: dict[str, str]) -> None:
    source = row.get("source", "").strip().lower()
    if source and source not in REGISTER_SOURCES:
        raise ValueError(f"source '{source}' is not one of resident, arrival, hotel")


Outcome = tuple[int, dict[str, str], Person | RowError]  # line, raw row, what it gave


def rows(
    source: Source,
    columns: tuple[str, ...],
    aliases: bool,
    check: Callable[[dict[str, str]], None] = _no_check,
) -> Iterator[Outcome]:
    """Each row of a CSV whose header has `columns[:2]` (id, name), in file order, as the
    person it gives or the reason it is refused; `aliases` reads `alt_names`; `check`
    raises ValueError for a row the file's kind refuses. Raises FileRefused (possibly after
    some rows, when a later line is not UTF-8)."""
    id_column = columns[0]
    seen: set[str] = set()
    for line, row in _rows(source, columns[:2]):
        try:
            names = [row["name"], *(row.get("alt_names", "").split(";") if aliases else [])]
            person = _person(row, id_column, names)
            check(row)
            if person.id in seen:
                raise ValueError(f"{id_column} {person.id} appears twice; the first is kept")
            seen.add(person.id)
            yield line, row, person
        except ValueError as exc:
            yield line, row, RowError(line, str(exc))


def read(
    source: Source,
    columns: tuple[str, ...],
    aliases: bool,
    check: Callable[[dict[str, str]], None] = _no_check,
) -> tuple[list[Person], list[RowError]]:
    """`rows()` collected: the people and the refused rows."""
    people: list[Person] = []
    errors: list[RowError] = []
    with gc_paused():  # a million rows make millions of objects and no cycles
        for _, _, outcome in rows(source, columns, aliases, check):
            if isinstance(outcome, RowError):
                errors.append(outcome)
            else:
                people.append(outcome)
    return people, errors


def notice_rows(source: Source) -> Iterator[Outcome]:
    return rows(source, NOTICE_COLUMNS, aliases=True)


def register_rows(source: Source) -> Iterator[Outcome]:
    return rows(source, REGISTER_COLUMNS, aliases=False, check=_register_source)


def read_notices(source: Source) -> tuple[list[Person], list[RowError]]:
    return read(source, NOTICE_COLUMNS, aliases=True)


def read_register(source: Source) -> tuple[list[Person], list[RowError]]:
    return read(source, REGISTER_COLUMNS, aliases=False, check=_register_source)
