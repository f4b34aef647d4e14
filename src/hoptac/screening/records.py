"""Notices and register records as the screening engines see them, read from CSV.

A notice: `notice_id,name,alt_names,birth_date,sex,nationality,document_number,
issuing_agency,charges` (`alt_names` separated by `;`). A register record: `record_id,name,
birth_date,sex,nationality,document_number,source,seen_at`. A bad row is reported with its
line number and reason and the rest of the file is still read; a file without the required
columns is refused whole.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hoptac.screening.score import Evidence, birth_date, document_key

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
REGISTER_SOURCES = ("resident", "arrival", "hotel")
_SEXES = {"M": "M", "F": "F", "NAM": "M", "NU": "F", "NỮ": "F", "MALE": "M", "FEMALE": "F"}
MAX_NAME = 200


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


def _sex(text: str) -> str | None:
    value = text.strip().upper()
    if not value:
        return None
    if value not in _SEXES:
        raise ValueError(f"sex '{text}' is not M or F")
    return _SEXES[value]


def _nationality(text: str) -> str | None:
    value = text.strip().upper()
    if not value:
        return None
    if len(value) != 2 or not value.isalpha() or not value.isascii():
        raise ValueError(f"nationality '{text}' is not a two-letter country code (VN, CN, KR)")
    return value


def _rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise FileRefused(
                    f"{path.name}: missing column(s) {', '.join(missing)}; "
                    f"the header must have {','.join(required)}"
                )
            for row in reader:
                yield reader.line_num, {k: (v or "") for k, v in row.items() if k is not None}
    except UnicodeDecodeError as exc:
        raise FileRefused(f"{path.name}: not UTF-8 text ({exc.reason})") from exc


def _person(row: dict[str, str], id_column: str, names: list[str]) -> Person:
    ident = row[id_column].strip()
    if not ident:
        raise ValueError(f"{id_column} is empty")
    if not names or not names[0].strip():
        raise ValueError("name is empty")
    names = [n.strip() for n in names if n.strip()]
    if any(len(n) > MAX_NAME for n in names):
        raise ValueError(f"a name is longer than {MAX_NAME} characters")
    evidence = Evidence(
        birth=birth_date(row.get("birth_date")),
        sex=_sex(row.get("sex", "")),
        nationality=_nationality(row.get("nationality", "")),
        document=document_key(row.get("document_number")),
    )
    return Person(ident, tuple(names), evidence)


def _no_check(row: dict[str, str]) -> None:
    return None


def _register_source(row: dict[str, str]) -> None:
    source = row.get("source", "").strip().lower()
    if source and source not in REGISTER_SOURCES:
        raise ValueError(f"source '{source}' is not one of resident, arrival, hotel")


def read(
    path: Path,
    columns: tuple[str, ...],
    aliases: bool,
    check: Callable[[dict[str, str]], None] = _no_check,
) -> tuple[list[Person], list[RowError]]:
    """People from a CSV whose header has `columns[:2]` (id, name); `aliases` reads
    `alt_names`; `check` raises ValueError for a row the file's kind refuses."""
    id_column = columns[0]
    people: dict[str, Person] = {}
    errors: list[RowError] = []
    for line, row in _rows(path, columns[:2]):
        try:
            names = [row["name"], *(row.get("alt_names", "").split(";") if aliases else [])]
            person = _person(row, id_column, names)
            check(row)
            if person.id in people:
                raise ValueError(f"{id_column} {person.id} appears twice; the first is kept")
            people[person.id] = person
        except ValueError as exc:
            errors.append(RowError(line, str(exc)))
    return list(people.values()), errors


def read_notices(path: Path) -> tuple[list[Person], list[RowError]]:
    return read(path, NOTICE_COLUMNS, aliases=True)


def read_register(path: Path) -> tuple[list[Person], list[RowError]]:
    return read(path, REGISTER_COLUMNS, aliases=False, check=_register_source)
