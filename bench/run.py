"""`make bench`: speed and quality benchmarks, compared with bench/baselines.json.

Each benchmark prints its report and returns its headline numbers; this runner compares
them with the committed baselines (ratio = now / baseline) and, with --update, records
them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import assistance_bench
import hotline_bench
import ingest_bench
import names_bench
import screening_bench

BASELINES = Path(__file__).with_name("baselines.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="record these numbers")
    args = parser.parse_args()
    baselines: dict[str, float] = json.loads(BASELINES.read_text()) if BASELINES.exists() else {}
    results = {
        **names_bench.run(),
        **ingest_bench.run(),
        **screening_bench.run(),
        **hotline_bench.run(),
        **assistance_bench.run(),
    }
    print("\nagainst bench/baselines.json:")
    for name, value in results.items():
        base = baselines.get(name)
        ratio = f"{value / base:.2f}x" if base else "no baseline"
        print(f"  {name}: {value} (baseline {base}, {ratio})")
    if args.update:
        BASELINES.write_text(json.dumps({**baselines, **results}, indent=2) + "\n")
        print("baselines updated")


if __name__ == "__main__":
    main()
