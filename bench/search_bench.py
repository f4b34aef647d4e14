"""Person search: latency over a register of a million records (SQLite), the import rate
of the service that fills it, and how often a planted match is found.

Builds the register with make_screening_data.py and imports it through
`hoptac.screening.service.import_records` — the upload path itself: CSV rows checked by
`hoptac.screening.records`, batches of 1,000 rows, one transaction each, the name-key
index written with them. Then times `search.search` for ~50 notices' names (every script;
each has planted matches in the register, `truth.csv`) and counts the planted matches in
the 50 results. Not wired into bench/run.py yet.

    python bench/search_bench.py [RECORDS]
"""

from __future__ import annotations

import csv
import statistics
import sys
import tempfile
import time
from pathlib import Path

from make_screening_data import generate

RECORDS = 1_000_000
NOTICES = 2_000
QUERIES = 50
TARGET_SECONDS = 1.0


def _percentile(sorted_times: list[float], fraction: float) -> float:
    return sorted_times[min(len(sorted_times) - 1, round(fraction * len(sorted_times)) - 1)]


def _register_names(path: Path, truth: dict[str, set[str]]) -> dict[str, str]:
    """The names of the planted records."""
    planted = set().union(*truth.values())
    with path.open(encoding="utf-8") as f:
        return {r["record_id"]: r["name"] for r in csv.DictReader(f) if r["record_id"] in planted}


def run(records: int = RECORDS) -> dict[str, float]:
    from hoptac.auth.principal import Principal
    from hoptac.db import migrate
    from hoptac.db.engine import make_engine, make_sessionmaker
    from hoptac.db.models import Agency
    from hoptac.names import compare
    from hoptac.registry import service as svc
    from hoptac.screening import search, service
    from hoptac.screening.records import read_notices
    from hoptac.types import AgencyLevel, Role, Sharing

    print(f"\nperson search ({records:,} register records, SQLite):")
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        started = time.perf_counter()
        generate(NOTICES, records, seed=11, out=folder)
        print(f"  data generated in {time.perf_counter() - started:.0f} s")
        url = f"sqlite:///{folder / 'bench.db'}"
        migrate.upgrade(url)
        engine = make_engine(url)
        with make_sessionmaker(engine)() as session:
            agency = Agency(
                name_vi="Công an TP.HCM",
                country="VN",
                level=AgencyLevel.CITY,
                name_key="",
                sharing=Sharing.ALL,
            )
            session.add(agency)
            session.flush()
            principal = Principal(None, "bench", agency.id, Role.ADMIN)
            data = svc.validate(service.REGISTERS.schema_in, {"name": "bench", "kind": "hotel"})
            register = svc.create_record(session, principal, service.REGISTERS, data)
            session.commit()
            started = time.perf_counter()
            with (folder / "register.csv").open("rb") as raw:
                upload = service.open_upload(raw, "register.csv", max_bytes=1 << 40)
                report = service.import_records(session, principal, register.id, upload)
            seconds = time.perf_counter() - started
            rate = report.added / seconds
            size = (folder / "bench.db").stat().st_size / 1e6
            print(
                f"  import through the service: {report.added:,} records in {seconds:.0f} s "
                f"({rate:,.0f} rows/s, {report.refused} refused); database {size:,.0f} MB"
            )
            notices, _ = read_notices(folder / "notices.csv")
            with (folder / "truth.csv").open(encoding="utf-8") as f:
                truth: dict[str, set[str]] = {}
                for row in csv.DictReader(f):
                    truth.setdefault(row["notice_id"], set()).add(row["record_id"])
            planted = [n for n in notices if n.id in truth]
            step = max(1, len(planted) // QUERIES)
            queries = planted[::step][:QUERIES]
            # Each script's lazily built tables, once (a process's first romanized Korean
            # name builds the hangul spelling index: about a second).
            for warm in ("Nguyễn Văn An", "王健", "박근혜", "Park Geun-hye"):
                search.search(session, principal, warm)
            names = _register_names(folder / "register.csv", truth)
            times: list[float] = []
            slowest: list[tuple[float, str]] = []
            wanted = found = tied = 0
            for notice in queries:
                t = time.perf_counter()
                results = search.search(session, principal, notice.names[0])
                times.append(time.perf_counter() - t)
                slowest.append((times[-1], notice.names[0]))
                refs = {f.row.ref for f in results.found if f.kind == "record"}
                wanted += len(truth[notice.id])
                found += len(truth[notice.id] & refs)
                # A planted match left out of a full page of results that score as well
                # (50 people of that very name) is the name's ambiguity, not a miss.
                if len(results.found) == search.LIMIT:
                    cutoff = results.found[-1].score
                    tied += sum(
                        compare(notice.names[0], names[ref]).score >= cutoff
                        for ref in truth[notice.id] - refs
                    )
                session.rollback()  # the searches' audit rows
        engine.dispose()
    times.sort()
    median, p95 = statistics.median(times), _percentile(times, 0.95)
    print(
        f"  search, {len(times)} names: median {median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {times[-1] * 1000:.0f} ms; planted matches in the 50 results: {found}/{wanted}"
        f" (+{tied} left out among as many equally close names)"
    )
    worst = ", ".join(f"{name} {t * 1000:.0f} ms" for t, name in sorted(slowest)[-3:])
    print(f"  slowest: {worst}")
    print(f"  target: a search under {TARGET_SECONDS:.0f} s at {RECORDS:,} records")
    return {
        "search_import_rows_per_second": round(rate),
        "search_median_ms": round(median * 1000, 1),
        "search_p95_ms": round(p95 * 1000, 1),
        "search_planted_found": round(found / wanted, 3) if wanted else 0.0,
        "search_planted_found_or_tied": round((found + tied) / wanted, 3) if wanted else 0.0,
    }


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else RECORDS)
