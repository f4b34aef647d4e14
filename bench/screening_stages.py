"""Stage timings and quality of one screening run (a bench aid, not part of `make bench`):
python bench/screening_stages.py DIR [ENGINE [NOTICES]] on the files of
make_screening_data.py; RARE=N sets engine.RARE_KEY; CEILING=1 also counts the planted pairs
that a non-planted record of the same notice ties or beats on every piece of evidence (the
name level and the other factors), which no scoring could rank above a false hit."""

import collections
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

from hoptac.screening import engine
from hoptac.screening.records import read_notices, read_register
from hoptac.screening.score import evidence, name_factor, probability

sys.path.insert(0, str(Path(__file__).parent))
from metrics import read_truth, score


def main() -> None:
    folder = Path(sys.argv[1])
    kind = sys.argv[2] if len(sys.argv) > 2 else "python"
    engine.RARE_KEY = int(os.environ.get("RARE", engine.RARE_KEY))
    engine.WINDOW_KEY = int(os.environ.get("WINDOW", engine.WINDOW_KEY))
    workers = os.cpu_count() or 1
    seconds: dict[str, float] = {}
    start = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal start
        seconds[stage] = round(time.perf_counter() - start, 1)
        start = time.perf_counter()

    notices, _ = read_notices(folder / "notices.csv")
    register, _ = read_register(folder / "register.csv")
    if len(sys.argv) > 3:
        notices = notices[: int(sys.argv[3])]
    lap("read")
    keys = engine._keyed(notices, register, workers, None)
    lap("keys")
    pairs = engine.ENGINES[kind](notices, register, None, workers, keys)
    lap("candidates")
    names, which = engine.name_scores(keys, pairs, workers)
    lap("names")
    levels, counts = engine.namesakes(keys, pairs, names, which)
    lap("namesakes")
    found = set()
    strength = np.zeros(len(pairs))  # the product of the non-name factors
    for i in np.flatnonzero(levels >= 0).tolist():
        n, r = int(pairs[i, 0]), int(pairs[i, 1])
        factors = evidence(notices[n].evidence, register[r].evidence)
        strength[i] = probability(factors) / (1 - probability(factors)) if factors else 1.0
        if probability([name_factor(int(levels[i]), int(counts[i])), *factors]) >= 0.5:
            found.add((notices[n].id, register[r].id))
    lap("score")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(seconds, "total", round(sum(seconds.values()), 1), "s; pairs", len(pairs))
    print(f"pairs per notice {len(pairs) / max(len(notices), 1):.1f}; peak {peak} MB")
    ids = {n.id for n in notices}
    truth = {k: v for k, v in read_truth(folder).items() if k[0] in ids}
    m = score(found, truth)
    print(
        {
            k: round(v, 4) if isinstance(v, float) else v
            for k, v in m.items()
            if k != "variant_recall"
        }
    )
    if os.environ.get("CEILING") == "1":
        rivals, met = _ceiling(notices, register, pairs, levels, strength, truth)
        tied = collections.Counter(truth[p] for p in rivals)
        print(
            f"planted pairs met at a name level {met} of {len(truth)}; tied or beaten by a "
            f"non-planted record: {len(rivals)} ({len(rivals) / max(len(truth), 1):.3f})"
        )
        print(dict(sorted(tied.items())))


def rivals_of(folder: Path, truth: dict[tuple[str, str], str]) -> tuple[dict, int]:
    """(planted pair -> the record ids of its rivals, planted pairs met at a name level):
    the candidates of every notice with a planted pair, scored as the engine scores them,
    and for each planted pair the non-planted records of the same notice whose name level
    is at least as close and whose other evidence is at least as strong: no scoring over
    these fields could rank it above them."""
    notices, _ = read_notices(folder / "notices.csv")
    register, _ = read_register(folder / "register.csv")
    wanted = {n for n, _ in truth}
    notices = [n for n in notices if n.id in wanted]
    workers = os.cpu_count() or 1
    keys = engine._keyed(notices, register, workers, None)
    try:
        pairs = engine.ENGINES["python"](notices, register, None, workers, keys)
        names, which = engine.name_scores(keys, pairs, workers)
        levels, _ = engine.namesakes(keys, pairs, names, which)
    finally:
        keys.close()
    strength = np.zeros(len(pairs))
    for i in np.flatnonzero(levels >= 0).tolist():
        factors = evidence(notices[int(pairs[i, 0])].evidence, register[int(pairs[i, 1])].evidence)
        p = probability(factors) if factors else 0.5
        strength[i] = p / (1 - p) if p < 1 else float("inf")
    return _ceiling(notices, register, pairs, levels, strength, truth)


def _ceiling(notices, register, pairs, levels, strength, truth) -> tuple[dict, int]:  # type: ignore[no-untyped-def]
    planted = np.array(
        [(notices[n].id, register[r].id) in truth for n, r in pairs.tolist()], dtype=bool
    )
    by_notice: dict[int, list[int]] = collections.defaultdict(list)
    for i in np.flatnonzero(levels >= 0).tolist():
        by_notice[int(pairs[i, 0])].append(i)
    rivals: dict[tuple[str, str], set[str]] = {}
    met = 0
    for n, rows in by_notice.items():
        for i in rows:
            if not planted[i]:
                continue
            met += 1
            pair = (notices[n].id, register[int(pairs[i, 1])].id)
            beaten = {
                register[int(pairs[j, 1])].id
                for j in rows
                if not planted[j] and levels[j] <= levels[i] and strength[j] >= strength[i] * 0.999
            }
            if beaten:
                rivals[pair] = beaten
    return rivals, met


if __name__ == "__main__":
    main()
