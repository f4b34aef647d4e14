"""Ingest: extraction scored against curated gold, per field, and articles per second.

Two gold sets:
- seeds: the five seed articles (src/hoptac/demo/articles) against the registry's hand-curated
  records (src/hoptac/demo/seeds.yaml): each record names its article (`source`);
- dev: bench/data/ingest_dev (articles written for this bench, with gold made by hand
  before the extractor was tuned on them; see its gold.yaml): articles 01-07 are looked at
  while tuning the rules ("dev"), 08-14 are not ("held_out": only their scores were to be
  read; see the ingest notes for how that went);
- fresh: bench/data/ingest_fresh, ten articles written blind after the rules were frozen
  (nobody tuned on them).

Fields (precision, recall, F1 over the articles' items):
- people: (name, rank) — rank None where the article gives none;
- agencies: (canonical key, country);
- event type and dates: the main engagement's kind; its (start, end);
- agreements: (type, parties as a set, signed);
- commitments: (owner, the sentence it was read from) — a found commitment matches a gold
  one when the whole gold quote lies in the found sentence (or the found clause wholly in
  the quote) and the owners agree;
- topics: the article's topic set.
Speed: articles per second on one core (read + extract, the seeds over and over).
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from hoptac import demofiles
from hoptac.ingest.extract import extract
from hoptac.ingest.gazetteer import gazetteer
from hoptac.ingest.reader import read

ROOT = Path(__file__).parents[1]
SEEDS = demofiles.SEEDS
DEV = ROOT / "bench" / "data" / "ingest_dev" / "gold.yaml"
FRESH = ROOT / "bench" / "data" / "ingest_fresh" / "gold.yaml"
FIELDS = ("people", "agencies", "event_type", "dates", "agreements", "commitments", "topics")
TARGETS = {
    "people": 0.95,
    "agencies": 0.95,
    "event_type": 0.95,
    "dates": 0.95,
    "agreements": 0.85,
    "commitments": 0.85,
    "topics": 0.85,
}
KIND_OF = {"signing": "agreement_signing", "joint_campaign": "joint_operation"}


def norm(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def _gold_seeds() -> list[dict[str, Any]]:
    doc = yaml.safe_load(SEEDS.read_text(encoding="utf-8"))
    country = {a["ref"]: a["country"] for a in doc["agencies"]}
    out = []
    for src in doc["sources"]:
        ref = src["ref"]

        def mine(kind: str, ref: str = ref) -> list[dict[str, Any]]:
            return [r for r in doc[kind] if r.get("source") == ref]

        engagements = mine("engagements")
        agencies: set[str] = {a["ref"] for a in mine("agencies")}
        for p in mine("people"):
            agencies |= {p["agency"]} if p.get("agency") else set()
        for e in engagements:
            agencies |= set(e.get("hosts") or []) | set(e.get("visitors") or [])
        for a in mine("agreements"):
            agencies |= set(a.get("parties") or [])
        for c in mine("commitments"):
            agencies |= {x for x in (c.get("owed_by"), c.get("owed_to")) if x}
        main = engagements[0] if engagements else None
        text = norm((SEEDS.parent / src["file"]).read_text(encoding="utf-8"))
        # A person is curated once, under the first article that names them: the gold of an
        # article is every curated person it names (Nguyễn Phú Trọng in seeds 001, 002, 004).
        people = {
            (
                norm(p["full_name"]),
                p.get("rank") if f"{p.get('rank')} {p['full_name']}" in text else None,
            )
            for p in doc["people"]
            if p.get("source") == ref or norm(p["full_name"]) in text
        }
        out.append(
            {
                "file": SEEDS.parent / src["file"],
                "people": people,
                "agencies": {(a, country.get(a)) for a in agencies},
                "event_type": {KIND_OF.get(main["kind"], main["kind"])} if main else set(),
                "dates": {(_iso(main.get("start")), _iso(main.get("end")))} if main else set(),
                "agreements": {
                    (a["kind"], frozenset(a.get("parties") or []), _iso(a.get("signed")))
                    for a in mine("agreements")
                },
                "commitments": [(c["owed_by"], norm(c["quote"])) for c in mine("commitments")],
                "topics": {t for e in engagements for t in e.get("topics") or []} - {"other"},
            }
        )
    return out


def _iso(value: Any) -> str | None:
    return str(value) if value else None


def _key(name: str) -> str | None:
    found = gazetteer().agencies_in(name)
    return found[0].key if found and found[0].key else None


def _gold_dev(path: Path = DEV) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for g in doc["articles"]:
        kind = g.get("event_type")
        start, end = _iso(g.get("date_start")), _iso(g.get("date_end"))
        out.append(
            {
                "file": path.parent / g["file"],
                "people": {(norm(p["name"]), p.get("rank")) for p in g.get("people") or []},
                "agencies": {(_key(a["name"]), a.get("country")) for a in g.get("agencies") or []},
                "event_type": {kind} if kind else set(),
                "dates": {(start, end if end != start else None)} if start else set(),
                "agreements": {
                    (
                        a["type"],
                        frozenset(_key(p) for p in a.get("parties") or []),
                        _iso(a.get("signed")),
                    )
                    for a in g.get("agreements") or []
                },
                "commitments": [
                    (_key(c["owner"]) if c.get("owner") else None, norm(c["quote"]))
                    for c in g.get("commitments") or []
                ],
                "topics": set(g.get("topics") or []) - {"other"},
            }
        )
    return out


def predicted(path: Path) -> dict[str, Any]:
    x = extract(read(path.read_bytes(), path.name))
    main = x.main
    text = x.article.text
    return {
        "people": {(norm(p.name), p.rank) for p in x.people},
        "agencies": {(a.canonical, a.country) for a in x.agencies},
        "event_type": {main.kind} if main else set(),
        "dates": {
            (
                main.date_start.iso() if main.date_start else None,
                main.date_end.iso() if main.date_end else None,
            )
        }
        if main and main.date_start
        else set(),
        "agreements": {
            (a.type, frozenset(a.parties), a.signed.iso() if a.signed else None)
            for a in x.agreements
        },
        "commitments": [(c.owner, norm(text[c.start : c.end])) for c in x.commitments],
        "topics": set(x.topics) - {"other"},
    }


def _commitment_counts(
    gold: list[tuple[Any, str]], found: list[tuple[Any, str]]
) -> tuple[int, int, int]:
    """(true positives, found, gold): a gold commitment is found when a found one of the
    same owner contains its whole quote (or lies wholly inside it: a list item's clause)."""
    used: set[int] = set()
    tp = 0
    for owner, quote in gold:
        for i, (f_owner, sentence) in enumerate(found):
            if i in used or f_owner != owner:
                continue
            if quote in sentence or sentence in quote:
                used.add(i)
                tp += 1
                break
    return tp, len(found), len(gold)


def score(gold: Iterable[dict[str, Any]]) -> dict[str, tuple[float, float, float]]:
    counts = {f: [0, 0, 0] for f in FIELDS}  # tp, found, gold
    for g in gold:
        p = predicted(g["file"])
        for f in FIELDS:
            if f == "commitments":
                tp, n_found, n_gold = _commitment_counts(g[f], p[f])
            else:
                tp, n_found, n_gold = len(p[f] & g[f]), len(p[f]), len(g[f])
            counts[f][0] += tp
            counts[f][1] += n_found
            counts[f][2] += n_gold
    out = {}
    for f, (tp, n_found, n_gold) in counts.items():
        precision = tp / n_found if n_found else 1.0
        recall = tp / n_gold if n_gold else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[f] = (precision, recall, f1)
    return out


def speed(seconds: float = 3.0) -> float:
    files = sorted(demofiles.ARTICLES.glob("*.txt"))
    data = [(f.read_bytes(), f.name) for f in files]
    extract(read(*data[0]))  # warm the gazetteer
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for raw, name in data:
            extract(read(raw, name))
            n += 1
    return n / (time.perf_counter() - start)


def run() -> dict[str, float]:
    print("\ningest (extraction against hand-curated gold; P / R / F1 per field):")
    results: dict[str, float] = {}
    dev = _gold_dev()
    tuned = [g for g in dev if g["file"].name[:2] <= "07"]
    held_out = [g for g in dev if g["file"].name[:2] > "07"]
    sets = [("seeds", _gold_seeds()), ("dev", tuned), ("held_out", held_out)]
    sets.append(("fresh", _gold_dev(FRESH)))
    for label, gold in sets:
        if not gold:
            print(f"  {label}: no gold set")
            continue
        scores = score(gold)
        print(f"  {label} ({len(gold)} articles)")
        for f, (p, r, f1) in scores.items():
            flag = "" if f1 >= TARGETS[f] else f"  (target {TARGETS[f]:.2f})"
            print(f"    {f:<12} P {p:.3f}  R {r:.3f}  F1 {f1:.3f}{flag}")
            results[f"ingest_{label}_{f}_f1"] = round(f1, 4)
    rate = speed()
    print(f"  speed: {rate:,.0f} articles/s on one core (target >= 20)")
    results["ingest_articles_per_s"] = round(rate, 1)
    return results


if __name__ == "__main__":
    run()
