"""The keys stage per distinct name (a bench aid, not part of `make bench`): the fast path
(`blocking._keys_of_names`: keys, canons and encoded form of each name, from memoised words,
parts and syllable pairs) against the per-name path it replaced (`parse`, `_keys_parsed`,
`_canons` and `batch.encode` of each name, the garbage collector on), on the same names in
the same run, each from cold memos (the reading table loaded). Both give the same values;
the bench checks it.

python bench/keys_bench.py DIR [NAMES]: DIR holds register.csv and notices.csv of
make_screening_data.py; NAMES distinct names are drawn from them (100,000 by default). Each
path runs in a process of its own."""

import hashlib
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hoptac.names import blocking
from hoptac.names.batch import encode
from hoptac.names.parse import parse
from hoptac.screening.records import read_notices, read_register


def per_name(names: list[str]) -> tuple[list[int], list[int], list[int], list[object]]:
    """The path `_keys_of_names` replaced: one parse per name, then its keys, canons and
    encoded form."""
    keys: list[int] = []
    counts: list[int] = []
    canons: list[int] = []
    forms: list[object] = []
    for name in names:
        parsed = parse(name)
        mine = blocking._keys_parsed(parsed)
        keys.extend(mine)
        counts.append(len(mine))
        two = blocking._canons(parsed)
        canons += (two[0], two[-1])
        forms.append(encode(parsed))
    return keys, counts, canons, forms


def _fast(names: list[str]) -> tuple[list[int], list[int], list[int], list[object]]:
    keys, counts, canons, forms = blocking._keys_of_names(names, True)
    return keys, counts, canons, list(forms)


PATHS = {"per name": per_name, "fast": _fast}


def main() -> None:
    folder = Path(sys.argv[1])
    wanted = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    if len(sys.argv) > 3:  # one path, in a process of its own
        names = Path(sys.argv[3]).read_text("utf-8").split("\n")
        blocking.name_keys("Nguyễn Văn An")  # loads the reading table: once per process
        blocking.clear_memos()
        cpu, wall = time.process_time(), time.perf_counter()
        result = PATHS[sys.argv[4]](names)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        each = cpu / len(names) * 1e6
        print(f"{sys.argv[4]:9s} {cpu:6.1f} s CPU ({wall:.1f} s wall): {each:.1f} µs a name")
        digest = hashlib.sha256(repr(result).encode()).hexdigest()
        Path(sys.argv[3] + "." + sys.argv[4].replace(" ", "_")).write_text(digest)
        return
    notices, _ = read_notices(folder / "notices.csv")
    register, _ = read_register(folder / "register.csv")
    distinct = list(dict.fromkeys(n for p in [*notices, *register] for n in p.names))
    random.Random(1).shuffle(distinct)
    names = distinct[:wanted]
    print(f"{len(names):,} of {len(distinct):,} distinct names ({len(register):,} records)")
    with tempfile.TemporaryDirectory() as tmp:
        listed = Path(tmp) / "names.txt"
        listed.write_text("\n".join(names), "utf-8")
        for label in PATHS:  # each in its own process: neither inherits the other's heap
            command = [sys.executable, __file__, str(folder), "0", str(listed), label]
            subprocess.run(command, check=True)
        digests = {Path(f"{listed}.{label.replace(' ', '_')}").read_text() for label in PATHS}
    assert len(digests) == 1, "the two paths differ"
    print("same keys (in the same order), canons and encoded names")


if __name__ == "__main__":
    main()
