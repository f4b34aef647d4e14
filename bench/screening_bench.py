"""Screening: wall time, peak memory, recall and precision of the planted matches, per
engine, on data from make_screening_data.py. Each engine runs in its own process, so that
its peak RSS is its own.

The issue's scale (100,000 notices x 1,000,000 records) is not reached yet; SIZES says what
this bench runs, and the report says so.
"""

from __future__ import annotations

import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from make_screening_data import generate

SIZES = [(2_000, 20_000)]  # (notices, register records); 100k x 1M is the target


def _one(directory: str, engine: str) -> None:
    """Child process: screen and print one JSON line of measurements."""
    from hoptac.screening.engine import screen
    from hoptac.screening.records import read_notices, read_register

    folder = Path(directory)
    start = time.perf_counter()
    notices, _ = read_notices(folder / "notices.csv")
    register, _ = read_register(folder / "register.csv")
    hits = screen(notices, register, engine=engine)
    seconds = time.perf_counter() - start
    with (folder / "truth.csv").open(encoding="utf-8") as f:
        truth = {(row["notice_id"], row["record_id"]) for row in csv.DictReader(f)}
    found = {(h.notice_id, h.record_id) for h in hits}
    right = len(found & truth)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "recall": right / len(truth),
                "precision": right / len(found) if found else 1.0,
                "hits": len(found),
            }
        )
    )


def run() -> dict[str, float]:
    results: dict[str, float] = {}
    print("\nscreening (planted matches; one process per engine):")
    for notices, records in SIZES:
        with tempfile.TemporaryDirectory() as directory:
            generate(notices, records, seed=42, out=Path(directory))
            for engine in ("python", "duckdb"):
                done = subprocess.run(
                    [sys.executable, __file__, directory, engine],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                m = json.loads(done.stdout.strip().splitlines()[-1])
                print(
                    f"  {notices:,} x {records:,} {engine:<7} {m['seconds']:6.1f} s "
                    f"peak {m['peak_mb']:6.0f} MB  recall {m['recall']:.3f} "
                    f"precision {m['precision']:.3f} ({m['hits']:,} hits)"
                )
                results[f"screening_{engine}_seconds_{notices}x{records}"] = round(m["seconds"], 1)
                results[f"screening_{engine}_recall"] = round(m["recall"], 4)
                results[f"screening_{engine}_precision"] = round(m["precision"], 4)
    print("  target: 100,000 x 1,000,000 in <= 120 s, recall >= 0.98 at precision >= 0.95")
    return results


if __name__ == "__main__":
    if len(sys.argv) == 3:
        _one(sys.argv[1], sys.argv[2])
    else:
        run()
