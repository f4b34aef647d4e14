"""Blocking keys (`hoptac.names.blocking`, the keys screening blocks on): every pair the
matcher accepts on the development set shares a key; unrelated names share none; keys are
the same in every process; `hoptac names keys` prints them, readably."""

import subprocess
import sys
from pathlib import Path

from hoptac.names import compare
from hoptac.names.blocking import described_keys, name_keys, person_keys

sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))

from names_bench import HELDOUT, PEOPLE, load_people, make_pairs


def test_every_accepted_pair_of_the_development_set_shares_a_key() -> None:
    missed = [
        (kind, a, b)
        for kind, a, b, same in make_pairs(load_people(PEOPLE))
        if same and compare(a, b).match and not name_keys(a) & name_keys(b)
    ]
    assert missed == []


def test_scripts_order_and_typos_share_keys() -> None:
    forms = ["Vương Kiện", "王健", "Wang Jian", "Jian Wang", "WANG, Jian", "vuong kien"]
    for form in forms[1:]:
        assert name_keys(forms[0]) & name_keys(form), form
    assert name_keys("Xi Jinping") & name_keys("Xi Jineing")  # the slip breaks the cut
    assert name_keys("Li Qiang") & name_keys("Li Qieng")
    # A slip keys only beside the other syllables' own letters: with a change of script
    # too (Ly, the Sino-Vietnamese spelling of 李) the pair is not read (measured: 2 of
    # 37,340 planted pairs at 100,000 x 1,000,000, for 37% fewer keys: 73 -> 46 a record).
    assert name_keys("Ly Qiang") & name_keys("Li Qiang")
    assert not name_keys("Ly Qieng") & name_keys("Li Qiang")
    # a character meets its Sino-Vietnamese reading even where it is not the commonest
    # character read so (阮 among the characters read nguyên/nguyễn)
    assert name_keys("Nguyễn Hiển") & name_keys("阮顯")


def test_unrelated_names_share_no_key() -> None:
    assert not name_keys("Nguyễn Văn An") & name_keys("Park Geun-hye")
    assert not name_keys("Wang Jian") & name_keys("Kim Jong-un")


def test_aliases_add_their_keys() -> None:
    both = person_keys(("王健", "Trần Văn Hùng"))
    assert name_keys("Wang Jian") & both and name_keys("Tran Van Hung") & both


def test_keys_are_the_same_in_another_process() -> None:
    code = "from hoptac.names.blocking import name_keys; print(sorted(name_keys('王健')))"
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert other.strip() == str(sorted(name_keys("王健")))


def test_one_name_in_three_scripts_shares_a_key_another_name_does_not() -> None:
    shared = name_keys("王健") & name_keys("Vương Kiện") & name_keys("Wang Jian")
    assert "p:jian + p:wang" in {described_keys("王健")[key] for key in shared}
    assert not name_keys("Li Qiang") & name_keys("王健")


def test_described_keys_are_the_keys() -> None:
    people = load_people(PEOPLE) + load_people(HELDOUT)
    names = {p[column] for p in people for column in ("vi", "hanzi", "latin", "hangul")}
    names |= {"Li Qieng", "Xi Jineing", "Kim", "王", "", "Nguyễn Văn Hùng Anh Minh"}
    for name in names:
        assert set(described_keys(name)) == name_keys(name), name
    assert described_keys("Kim")  # a one-syllable name keys on its sounds alone
    assert set(described_keys("Li Qieng").values()) >= {"d:qing + p:li"}  # the slip
