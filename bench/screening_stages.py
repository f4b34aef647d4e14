"""Stage timings of one screening run (bench aid for the screening-scale prototype):
DATE_SPLIT=1 COMMON=512 FULL=1 FREQ=1 ALIASES=1 python bench/screening_stages.py DIR [N]."""

import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

from hoptac.screening import engine
from hoptac.screening.records import read_notices, read_register

sys.path.insert(0, "bench")
from metrics import read_truth, score

d = Path(sys.argv[1])
nmax = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] != "0" else None
engine.DATE_SPLIT = os.environ.get("DATE_SPLIT") == "1"
engine.COMMON_KEY = int(os.environ.get("COMMON", "512"))
full = os.environ.get("FULL") == "1"
W = 2
T = {}
t = time.perf_counter()
notices, _ = read_notices(d / "notices.csv")
register, _ = read_register(d / "register.csv")
if nmax:
    notices = notices[:nmax]
T["read"] = time.perf_counter() - t
t = time.perf_counter()
print("read", round(T["read"], 1), flush=True)
idx = engine._Index(register, W)
T["keys+index"] = time.perf_counter() - t
t = time.perf_counter()
print("keys+index", round(T["keys+index"], 1), flush=True)
arr = idx.pairs(notices, W)
pairs = list(zip(arr[:, 0].tolist(), arr[:, 1].tolist(), strict=False))
T["candidates"] = time.perf_counter() - t
t = time.perf_counter()
print("candidates", round(T["candidates"], 1), len(pairs), flush=True)
names, which = engine.name_scores(notices, register, pairs, workers=W)
T["names"] = time.perf_counter() - t
t = time.perf_counter()
print(
    {k: round(v, 1) for k, v in T.items()},
    "cand/notice",
    round(len(pairs) / len(notices), 1),
    ">=.70/notice",
    round(int((names >= 0.70).sum()) / len(notices), 1),
    flush=True,
)
if full:
    from hoptac.screening.score import THRESHOLD, name_factor, probability

    levels, namesakes = engine.name_levels(pairs, names, which)
    if os.environ.get("FREQ") == "1":
        t2 = time.perf_counter()
        import re

        from hoptac.names.fold import fold

        canon = {}

        def cid(name):
            c = canon.get(name)
            if c is None:
                c = canon[name] = " ".join(
                    sorted(w for w in re.split(r"[\s,.\-]+", fold(name)) if w)
                )
            return c

        ids = {}
        rc = np.array([ids.setdefault(cid(r.names[0]), len(ids)) for r in register], dtype=np.int64)
        ry = idx.years
        codes = rc * 512 + np.where(ry < 0, 0, ry - 1850)
        uc, cnt = np.unique(codes, return_counts=True)

        def freq(name, year):
            c = ids.get(cid(name))
            if c is None:
                return 0
            if year < 0:
                lo, hi = np.searchsorted(uc, [c * 512, c * 512 + 512])
                return int(cnt[lo:hi].sum())
            q = np.array([c * 512, *(c * 512 + y - 1850 for y in range(year - 1, year + 2))])
            at = np.searchsorted(uc, q)
            at[at >= len(uc)] = 0
            return int(np.where(uc[at] == q, cnt[at], 0).sum())

        memo = {}
        bumped = 0
        for k, ((n, _r), lv, w) in enumerate(zip(pairs, levels, which, strict=False)):
            if lv != 0:
                continue
            b = notices[n].evidence.birth
            key = (n, int(w))
            if key not in memo:
                al = (
                    notices[n].names
                    if os.environ.get("ALIASES") == "1"
                    else [notices[n].names[int(w)]]
                )
                memo[key] = max(freq(x, b.year if b else -1) for x in al)
            if memo[key] > namesakes[k]:
                namesakes[k] = memo[key]
                bumped += 1
        print("freq table", round(time.perf_counter() - t2, 1), "s; bumped", bumped)
    found = set()
    rows = zip(pairs, names, which, levels, namesakes, strict=False)
    for (n, r), _name, _slot, level, count in rows:
        if level < 0:
            continue
        f = [
            name_factor(int(level), int(count)),
            *engine.evidence(notices[n].evidence, register[r].evidence),
        ]
        if probability(f) >= THRESHOLD:
            found.add((notices[n].id, register[r].id))
    T["score"] = time.perf_counter() - t
    m = score(found, read_truth(d))
    print(
        "score",
        round(T["score"], 1),
        {
            k: (round(v, 4) if isinstance(v, float) else v)
            for k, v in m.items()
            if k in ("recall", "precision", "f1", "cross_script_f1", "hits")
        },
    )
    import pickle

    out = os.environ.get("HITS")  # a pickle of the sorted hit ids, to compare runs
    if out:
        with open(out, "wb") as f:
            pickle.dump(sorted(found), f)
print("peak MB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
