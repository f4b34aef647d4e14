"""Quality floor on the development set (tests/data/names_people.csv): every pair kind
at F1 >= 0.9 and overall >= 0.97 at the default threshold. `make bench` reports details
and compares with the baselines."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))

from names_bench import load_people, make_pairs, score

from hoptac.names import compare


def test_development_set_quality() -> None:
    pairs = make_pairs(load_people())
    assert len(pairs) > 400
    result = score(pairs, lambda a, b: compare(a, b).match)
    low = {kind: f for kind, (_, _, f) in result.items() if f < 0.9}
    assert low == {}, low
    assert result["overall"][2] >= 0.97
