"""The OpenSanctions matcher as a baseline: nomenklatura's LogicV2 on two Person entities
that carry only a name. Runs in its own venv (.venv-nk, requirements-bench-nk.txt: its
dependency tree is large and must not touch hoptac's), reading JSON pairs `[a, b]` one per
line on stdin and writing one score per line.

LogicV2 is not symmetric: `a` is the query, `b` the candidate. OpenSanctions' API (yente)
counts a score >= 0.70 as a match (settings.SCORE_THRESHOLD).
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

THRESHOLD = 0.70


def main() -> None:
    from followthemoney import model
    from nomenklatura.matching import LogicV2

    config = LogicV2.default_config()

    def person(side: str, name: str) -> Any:
        entity = model.make_entity("Person")
        # Entities compare by id and nomenklatura caches their names by id: one id per name.
        entity.id = f"{side}-{hashlib.sha1(name.encode('utf-8')).hexdigest()}"
        entity.add("name", name)
        return entity

    for line in sys.stdin:
        a, b = json.loads(line)
        score = LogicV2.compare(person("q", a), person("r", b), config).score
        print(f"{float(score):.6f}", flush=False)


if __name__ == "__main__":
    main()
