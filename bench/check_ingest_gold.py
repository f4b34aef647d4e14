"""Validate an ingest gold set against its articles (stdlib + PyYAML).

    python bench/check_ingest_gold.py [path/to/gold.yaml ...]   (default: every set)

Checks: every file exists (UTF-8); every quote is a verbatim substring of its article once
whitespace is collapsed, lies within one paragraph (line) and spans no sentence boundary;
every person and agency name occurs in the article; agreement parties and commitment owners
are agencies of the same article; vocabularies (event types, agreement types, topics, ranks,
countries) are respected; dates parse as (partial) ISO and date_end >= date_start; no
duplicate people or agencies; article bodies are 250-700 words. Exits 1 on any error.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from datetime import date
from pathlib import Path

import yaml

EVENT_TYPES = {
    "visit",
    "talks",
    "agreement_signing",
    "conference",
    "joint_operation",
    "handover",
    "other",
}
AGREEMENT_TYPES = {"mou", "coordination_program", "talks_minutes", "agreement", "treaty", "other"}
TOPICS = {
    "drugs",
    "transnational_crime",
    "high_tech_crime",
    "human_trafficking",
    "terrorism",
    "fraud",
    "money_laundering",
    "citizen_protection",
    "traffic",
    "immigration",
    "wanted_persons",
    "training",
    "equipment",
    "mutual_legal_assistance",
    "other",
}
RANKS = {
    "Đại tướng",
    "Thượng tướng",
    "Trung tướng",
    "Thiếu tướng",
    "Đại tá",
    "Thượng tá",
    "Trung tá",
    "Thiếu tá",
    "Đại úy",
    "Thượng úy",
    "Trung úy",
    "Thiếu úy",
}
COUNTRIES = {"VN", "CN", "KR", "LA", "KH", "ZZ"}
# Per set, the countries its agencies may have: ingest_fresh adds TH and JP (Thai and
# Japanese police bodies in its articles 05, 06, 07).
SET_COUNTRIES = {"ingest_dev": COUNTRIES, "ingest_fresh": COUNTRIES | {"TH", "JP"}}
SETS = [Path(__file__).parent / "data" / name / "gold.yaml" for name in SET_COUNTRIES]
ARTICLE_KEYS = {
    "file",
    "published",
    "event_type",
    "date_start",
    "date_end",
    "people",
    "agencies",
    "agreements",
    "commitments",
    "topics",
}
HEADER = re.compile(r"^\s*(url|title|date|published|source)\s*:", re.I)
# a sentence ends at . ! ? … followed by space and an upper-case letter or digit
SENTENCE_BREAK = re.compile(r"[.!?…][\"”»)]?\s+(?=[\"“«(]?[A-ZÀ-ỸĐ0-9])")


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def collapse(s: str) -> str:
    return re.sub(r"\s+", " ", nfc(s)).strip()


def parse_partial(value: object) -> tuple[int, ...] | None:
    """'2024', '2024-06' or '2024-06-10' -> a tuple; raises ValueError otherwise."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
        raise ValueError(f"not a partial ISO date: {value!r}")
    parts = tuple(int(p) for p in value.split("-"))
    if len(parts) >= 2 and not 1 <= parts[1] <= 12:
        raise ValueError(f"bad month: {value!r}")
    if len(parts) == 3:
        date(*parts)  # raises on a bad day
    if not 1990 <= parts[0] <= 2030:
        raise ValueError(f"implausible year: {value!r}")
    return parts


def body_words(text: str) -> int:
    lines = text.splitlines()
    words = 0
    for i, line in enumerate(lines):
        if i < 4 and HEADER.match(line):
            continue
        if i == 0:
            line = re.sub(r"^\s*date\s+\d{4}(-\d{1,2}(-\d{1,2})?)?\s*", "", line)
        words += len(line.split())
    return words


def check(gold_path: Path) -> list[str]:
    countries = SET_COUNTRIES.get(gold_path.parent.name, COUNTRIES)
    errors: list[str] = []
    base = gold_path.parent
    gold = yaml.safe_load(gold_path.read_text(encoding="utf-8"))
    articles = gold.get("articles") if isinstance(gold, dict) else None
    if not isinstance(articles, list) or not articles:
        return [f"{gold_path}: no `articles` list"]
    seen_files: set[str] = set()
    for n, art in enumerate(articles, 1):
        where = f"article #{n}"
        if not isinstance(art, dict):
            errors.append(f"{where}: not a mapping")
            continue
        fname = art.get("file")
        where = f"{fname or where}"
        for key in ARTICLE_KEYS - art.keys():
            errors.append(f"{where}: missing key {key!r}")
        for key in art.keys() - ARTICLE_KEYS:
            errors.append(f"{where}: unknown key {key!r}")
        if fname in seen_files:
            errors.append(f"{where}: listed twice")
        seen_files.add(fname)
        path = base / str(fname)
        if not path.is_file():
            errors.append(f"{where}: file not found")
            continue
        try:
            raw = nfc(path.read_bytes().decode("utf-8"))
        except UnicodeDecodeError as exc:
            errors.append(f"{where}: not UTF-8 ({exc})")
            continue
        text = collapse(raw)
        paragraphs = [collapse(line) for line in raw.splitlines() if line.strip()]
        words = body_words(raw)
        if not 250 <= words <= 700:
            errors.append(f"{where}: {words} words, want 250-700")

        # dates
        parsed: dict[str, tuple[int, ...] | None] = {}
        for key in ("published", "date_start", "date_end"):
            value = art.get(key)
            if value is None:
                parsed[key] = None
                continue
            try:
                parsed[key] = parse_partial(value)
            except (ValueError, TypeError) as exc:
                errors.append(f"{where}: {key}: {exc}")
                parsed[key] = None
        if parsed["date_end"] and not parsed["date_start"]:
            errors.append(f"{where}: date_end without date_start")
        if (
            parsed["date_end"]
            and parsed["date_start"]
            and parsed["date_end"] < parsed["date_start"]
        ):
            errors.append(f"{where}: date_end before date_start")
        if art.get("date_end") is not None and art.get("date_end") == art.get("date_start"):
            errors.append(f"{where}: date_end equals date_start (use null for one day)")

        if art.get("event_type") not in EVENT_TYPES:
            errors.append(f"{where}: event_type {art.get('event_type')!r} not in vocabulary")

        topics = art.get("topics") or []
        if not isinstance(topics, list) or not topics:
            errors.append(f"{where}: topics must be a non-empty list")
        else:
            for t in topics:
                if t not in TOPICS:
                    errors.append(f"{where}: topic {t!r} not in vocabulary")
            if len(set(topics)) != len(topics):
                errors.append(f"{where}: duplicate topics")

        # people
        names: set[str] = set()
        for p in art.get("people") or []:
            name = nfc(str(p.get("name", "")))
            if set(p) - {"name", "rank"}:
                errors.append(f"{where}: person {name!r}: unknown keys {set(p) - {'name', 'rank'}}")
            if not name or collapse(name) not in text:
                errors.append(f"{where}: person {name!r} not in article")
            if name in names:
                errors.append(f"{where}: person {name!r} listed twice")
            names.add(name)
            rank = p.get("rank")
            if rank is not None:
                if rank not in RANKS:
                    errors.append(f"{where}: person {name!r}: rank {rank!r} not in vocabulary")
                elif f"{rank} {name}" not in text:
                    errors.append(f"{where}: person {name!r}: '{rank} {name}' not in article")

        # agencies
        agencies: set[str] = set()
        for a in art.get("agencies") or []:
            name = nfc(str(a.get("name", "")))
            if set(a) - {"name", "country"}:
                errors.append(f"{where}: agency {name!r}: unknown keys")
            if not name or collapse(name) not in text:
                errors.append(f"{where}: agency {name!r} not in article")
            if name in agencies:
                errors.append(f"{where}: agency {name!r} listed twice")
            agencies.add(name)
            if a.get("country") not in countries:
                errors.append(
                    f"{where}: agency {name!r}: country {a.get('country')!r} "
                    f"not in {sorted(countries)}"
                )

        # agreements
        for g in art.get("agreements") or []:
            if g.get("type") not in AGREEMENT_TYPES:
                errors.append(f"{where}: agreement type {g.get('type')!r} not in vocabulary")
            parties = g.get("parties") or []
            if len(parties) < 2:
                errors.append(f"{where}: agreement {g.get('type')!r} needs two or more parties")
            for party in parties:
                if nfc(party) not in agencies:
                    errors.append(
                        f"{where}: agreement party {party!r} is not one of the article's agencies"
                    )
            if g.get("signed") is not None:
                try:
                    parse_partial(g.get("signed"))
                except (ValueError, TypeError) as exc:
                    errors.append(f"{where}: agreement signed: {exc}")

        # commitments
        for c in art.get("commitments") or []:
            owner = nfc(str(c.get("owner", "")))
            if owner not in agencies:
                errors.append(
                    f"{where}: commitment owner {owner!r} is not one of the article's agencies"
                )
            if c.get("due") is not None:
                try:
                    parse_partial(c.get("due"))
                except (ValueError, TypeError) as exc:
                    errors.append(f"{where}: commitment due: {exc}")
            quote = collapse(str(c.get("quote", "")))
            if len(quote) < 20:
                errors.append(f"{where}: commitment quote too short: {quote!r}")
            elif quote not in text:
                errors.append(f"{where}: quote not verbatim in article: {quote[:80]!r}")
            elif not any(quote in para for para in paragraphs):
                errors.append(f"{where}: quote crosses a paragraph: {quote[:80]!r}")
            elif SENTENCE_BREAK.search(quote):
                errors.append(f"{where}: quote spans more than one sentence: {quote[:80]!r}")
    return errors


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv[1:]] or SETS
    return max(_report(p) for p in paths)


def _report(gold_path: Path) -> int:
    errors = check(gold_path)
    for e in errors:
        print("ERROR", e)
    if errors:
        print(f"{gold_path}: {len(errors)} error(s)")
        return 1
    gold = yaml.safe_load(gold_path.read_text(encoding="utf-8"))
    arts = gold["articles"]
    kinds: dict[str, int] = {}
    for a in arts:
        kinds[a["event_type"]] = kinds.get(a["event_type"], 0) + 1
    count = lambda key: sum(len(a.get(key) or []) for a in arts)  # noqa: E731
    print(
        f"OK {gold_path}: {len(arts)} articles {dict(sorted(kinds.items()))}; "
        f"people {count('people')}, agencies {count('agencies')}, "
        f"agreements {count('agreements')}, commitments {count('commitments')}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
