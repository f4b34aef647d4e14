"""`make bench`: speed and quality benchmarks, compared with bench/baselines.json.

No benchmark yet: the registry issue ships the harness only. Name matching and screening
add theirs (see the issues).
"""

from __future__ import annotations

import json
from pathlib import Path

BASELINES = Path(__file__).with_name("baselines.json")


def main() -> None:
    baselines = json.loads(BASELINES.read_text()) if BASELINES.exists() else {}
    print(f"no benchmarks yet ({len(baselines)} baselines recorded)")


if __name__ == "__main__":
    main()
