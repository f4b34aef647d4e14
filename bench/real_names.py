"""Real-name planted pairs for the screening bench: the cross-script pairs of hoptac's names
development sets (tests/data/names_people*.csv: public figures' names written in
Vietnamese, hanzi, pinyin or another romanisation, hangul), appended to a generated data
set as extra notices and register records, each pair in four birth-date forms:

- `real_full`: the same full date on both sides;
- `real_year_notice`: the notice knows only the year;
- `real_year_register`: the register knows only the year;
- `real_swapped`: the register swaps day and month (the day is 12 or less).

Each pair and form has a birth date of its own, so that the copies of one person do not
crowd each other's namesake counts. Their hits on each other (the same figure under
another pair) are right in life, so only the recall of the planted pairs is reported, and
the synthetic figures leave the `RN-` notices out.

Their truth goes to real_truth.csv (notice_id, record_id, variant), apart from truth.csv,
so the generator's own figures stay comparable between runs and these are reported apart.
The synthetic rows are left as they are; a notice or record added here has an id that
starts with `RN-` or `RR-`. Sex and document are left unknown (the names alone, and the
date, must carry the pair); nationality is the name's country (hanzi CN, hangul KR, a
Vietnamese name alone VN) on both sides.
"""

from __future__ import annotations

import csv
import random
from itertools import combinations
from pathlib import Path

DATA = Path(__file__).parents[1] / "tests" / "data"
SETS = ("names_people.csv", "names_people_heldout.csv")
FORMS = ("real_full", "real_year_notice", "real_year_register", "real_swapped")
SCRIPTS = ("vi", "hanzi", "latin", "hangul")


def pairs() -> list[tuple[str, str, str, str]]:
    """(person id, name A, name B, nationality) of every cross-script pair of the sets."""
    out = []
    for name in SETS:
        with (DATA / name).open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                nat = "KR" if row.get("hangul") else ("CN" if row.get("hanzi") else "VN")
                written = [(s, row[s].strip()) for s in SCRIPTS if (row.get(s) or "").strip()]
                for (_, a), (_, b) in combinations(written, 2):
                    if a != b:
                        out.append((row["id"], a, b, nat))
    return out


def plant(folder: Path, seed: int = 7) -> int:
    """Append the real-name pairs to `folder`'s notices.csv and register.csv and write
    real_truth.csv; the number of planted pairs."""
    rng = random.Random(seed)
    notices, records, truth = [], [], []
    for i, (person, a, b, nat) in enumerate(pairs()):
        for form in FORMS:
            # a date of its own for each pair and form: the copies of one public figure
            # must not be each other's namesakes born the same year
            year, month = rng.randint(1940, 2005), rng.randint(1, 12)
            day = rng.randint(1, 12)  # 12 or less: the swapped form stays a valid date
            if day == month:
                day = day % 12 + 1
            full, year_only = f"{year}-{month:02d}-{day:02d}", f"{year}"
            swapped = f"{year}-{day:02d}-{month:02d}"
            nid, rid = f"RN-{i:04d}-{form[5:]}", f"RR-{i:04d}-{form[5:]}"
            notice_birth = year_only if form == "real_year_notice" else full
            record_birth = {"real_year_register": year_only, "real_swapped": swapped}.get(
                form, full
            )
            # notice_id,name,alt_names,birth_date,sex,nationality,document_number,...
            notices.append([nid, a, "", notice_birth, "", nat, "", f"bench {person}", ""])
            # record_id,name,birth_date,sex,nationality,document_number,source,seen_at
            records.append([rid, b, record_birth, "", nat, "", "resident", ""])
            truth.append([nid, rid, form])
    for name, rows in (("notices.csv", notices), ("register.csv", records)):
        with (folder / name).open("a", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(rows)
    with (folder / "real_truth.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["notice_id", "record_id", "variant"])
        w.writerows(truth)
    return len(truth)
