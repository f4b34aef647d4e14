"""Quality floor on the people tables in tests/data: every pair kind at F1 >= 0.9 and
overall >= 0.97 at the default threshold, on the development set (tuned on) and on the
held-out set (never tuned on). `make bench` reports details and the baselines."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))

from names_bench import HELDOUT, PEOPLE, load_people, make_pairs, score

from hoptac.names import compare


@pytest.mark.parametrize("path", [PEOPLE, HELDOUT], ids=["development", "held-out"])
def test_quality_floor(path: Path) -> None:
    pairs = make_pairs(load_people(path))
    assert len(pairs) > 400
    result = score(pairs, lambda a, b: compare(a, b).match)
    low = {kind: f for kind, (_, _, f) in result.items() if f < 0.9}
    assert low == {}, low
    assert result["overall"][2] >= 0.97
