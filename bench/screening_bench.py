"""Screening: wall time, peak memory, recall and precision of the planted matches for both
engines and for splink (bench/splink_baseline.py, its own venv), on the same data from
make_screening_data.py in the same run. Each run is its own process, so that its peak RSS
is its own; bench/metrics.py scores every run alike.

SIZES says what this bench runs: the issue's scale (100,000 notices x 1,000,000 records),
and 10,000 notices against 100,000 and then 1,000,000 records, to show how time grows with
the register. The report compares each run with the issue's targets.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from make_screening_data import generate
from metrics import read_truth, score, score_within_reach
from real_names import plant

SIZES = [(10_000, 100_000), (10_000, 1_000_000), (100_000, 1_000_000)]  # (notices, records)
SPLINK = Path(__file__).parents[1] / ".venv-splink" / "bin" / "python"
TARGET = "100,000 x 1,000,000 in <= 120 s, peak <= 6 GB, recall >= 0.98 at precision >= 0.95"


def _one(directory: str, engine: str) -> None:
    """Child process: screen and print one JSON line of measurements: (a) the raw figures
    of the likely band, and of both bands; (b) the figures within the data's reach (the
    rivals found by the `ceiling` child, rivals.json); the real-name pairs' recall; the
    review load of the possible band."""
    from hoptac.screening.engine import screen
    from hoptac.screening.records import read_notices, read_register

    folder = Path(directory)
    start = time.perf_counter()
    notices, _ = read_notices(folder / "notices.csv")
    register, _ = read_register(folder / "register.csv")
    hits = screen(notices, register, engine=engine, workers=os.cpu_count() or 1)
    seconds = time.perf_counter() - start
    # the generator's figures over its own notices (the real-name pairs are reported apart)
    synthetic = [h for h in hits if not h.notice_id.startswith("RN-")]
    likely = {(h.notice_id, h.record_id) for h in synthetic if h.band == "likely"}
    both = {(h.notice_id, h.record_id) for h in synthetic}
    real_likely = {(h.notice_id, h.record_id) for h in hits if h.band == "likely"}
    real_both = {(h.notice_id, h.record_id) for h in hits}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # forked workers: the largest one's RSS (much of it pages shared with this process)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    truth = read_truth(folder)
    out: dict[str, Any] = {
        "seconds": seconds,
        "peak_mb": peak,
        "worker_peak_mb": workers,
        **score(likely, truth),
        "both_bands": score(both, truth),
        "possible_per_notice": (len(both) - len(likely))
        / max(sum(not n.id.startswith("RN-") for n in notices), 1),
    }
    rivals_file = folder / "rivals.json"
    if rivals_file.exists():
        rivals = {
            (n, r): set(ids) for n, r, ids in json.loads(rivals_file.read_text(encoding="utf-8"))
        }
        out["within_reach"] = score_within_reach(likely, truth, rivals)
        out["within_reach_both"] = score_within_reach(both, truth, rivals)
    real_file = folder / "real_truth.csv"
    if real_file.exists():
        real = read_truth(folder, "real_truth.csv")
        out["real_names"] = {
            "likely": score(real_likely, real)["variant_recall"],
            "both": score(real_both, real)["variant_recall"],
            "pairs": len(real),
        }
    print(json.dumps(out))


def _rivals(directory: str) -> None:
    """Child process: the planted pairs' rivals (screening_stages.rivals_of), written to
    rivals.json in the data's folder, and how many there are."""
    from screening_stages import rivals_of

    folder = Path(directory)
    truth = read_truth(folder)
    rivals, met = rivals_of(folder, truth)
    rows = [[n, r, sorted(ids)] for (n, r), ids in sorted(rivals.items())]
    (folder / "rivals.json").write_text(json.dumps(rows), encoding="utf-8")
    print(json.dumps({"indistinguishable": len(rows), "met": met, "planted": len(truth)}))


def _run(command: list[str]) -> dict[str, Any] | str:
    """The last stdout line of a child as JSON, or why there is none."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return f"failed: {done.stderr.strip().splitlines()[-1:]}"
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(sizes: list[tuple[int, int]] | None = None) -> dict[str, float]:
    """Every size of SIZES (or `sizes`), each engine in a process of its own."""
    sizes = sizes or SIZES
    results: dict[str, float] = {}
    print("\nscreening (planted matches; one process per run; splink = bench/splink_baseline.py):")
    seconds: dict[tuple[str, int, int], float] = {}
    for notices, records in sizes:
        with tempfile.TemporaryDirectory() as directory:
            generate(notices, records, seed=42, out=Path(directory))
            planted = plant(Path(directory))
            reach = _run([sys.executable, __file__, directory, "rivals"])
            if isinstance(reach, str):
                print(f"  {notices:,} x {records:,} rivals: {reach}")
            else:
                print(
                    f"  {notices:,} x {records:,} data: {reach['planted']:,} planted pairs, "
                    f"{reach['indistinguishable']:,} indistinguishable (a non-planted record "
                    f"ties or beats them on every factor); {planted:,} real-name pairs added"
                )
            runs = [("python", [sys.executable, __file__, directory, "python"])]
            runs.append(("duckdb", [sys.executable, __file__, directory, "duckdb"]))
            if SPLINK.exists():
                runs.append(
                    (
                        "splink",
                        [
                            str(SPLINK),
                            str(Path(__file__).with_name("splink_baseline.py")),
                            directory,
                        ],
                    )
                )
            else:
                print(f"  splink: skipped, {SPLINK} missing (make .venv-splink/.installed-stamp)")
            for label, command in runs:
                m = _run(command)
                if isinstance(m, str):
                    print(f"  {notices:,} x {records:,} {label:<7} {m}")
                    continue
                seconds[(label, notices, records)] = m["seconds"]
                print(
                    f"  {notices:,} x {records:,} {label:<7} {m['seconds']:6.1f} s "
                    f"peak {m['peak_mb']:6.0f} MB (workers {m.get('worker_peak_mb', 0):5.0f})  "
                    f"recall {m['recall']:.3f} "
                    f"precision {m['precision']:.3f} F1 {m['f1']:.3f} ({m['hits']:,} hits)  "
                    f"cross-script F1 {m['cross_script_f1']:.3f}"
                )
                _quality(m)
                if (notices, records) == sizes[-1]:
                    weakest = sorted(m["variant_recall"].items(), key=lambda kv: kv[1])[:3]
                    print(
                        "      weakest variants: " + ", ".join(f"{k} {v:.3f}" for k, v in weakest)
                    )
                key = f"{notices}x{records}"
                results[f"screening_{label}_seconds_{key}"] = round(m["seconds"], 1)
                results[f"screening_{label}_recall_{key}"] = round(m["recall"], 4)
                results[f"screening_{label}_precision_{key}"] = round(m["precision"], 4)
                results[f"screening_{label}_cross_script_f1_{key}"] = round(m["cross_script_f1"], 4)
    for label in ("python", "duckdb", "splink"):
        small, large = (
            seconds.get((label, 10_000, 100_000)),
            seconds.get((label, 10_000, 1_000_000)),
        )
        if small and large:
            print(f"  growth {label}: register x10 -> time x{large / small:.2f}")
    print(f"  target: {TARGET}")
    return results


def _quality(m: dict[str, Any]) -> None:
    """The lines under a run: both bands, the figures within reach, the real names."""
    both = m.get("both_bands")
    if both:  # splink has no bands
        print(
            f"      (a) likely+possible: recall {both['recall']:.3f} precision "
            f"{both['precision']:.3f}; possible rows per notice {m['possible_per_notice']:.3f}"
        )
    for key, label in (("within_reach", "likely"), ("within_reach_both", "likely+possible")):
        r = m.get(key)
        if r:
            print(
                f"      (b) {label}: recall {r['distinguishable_recall']:.3f} over the "
                f"{r['planted'] - r['indistinguishable']:,} distinguishable pairs, precision "
                f"{r['rival_free_precision']:.3f} (a rival is no false hit)"
            )
    real = m.get("real_names")
    if real:
        print(
            f"      real names ({real['pairs']} pairs): likely "
            + ", ".join(f"{k[5:]} {v:.2f}" for k, v in real["likely"].items())
            + "; with possible "
            + ", ".join(f"{k[5:]} {v:.2f}" for k, v in real["both"].items())
        )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[2] == "rivals":
        _rivals(sys.argv[1])
    elif len(sys.argv) == 3 and sys.argv[1] == "--sizes":  # e.g. --sizes 10000x100000
        run([(int(a), int(b)) for a, b in (s.split("x") for s in sys.argv[2].split(","))])
    elif len(sys.argv) == 3:
        _one(sys.argv[1], sys.argv[2])
    else:
        run()
