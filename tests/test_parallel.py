"""Work in forked processes (`hoptac.parallel`): results come back in order, a failure in
the worker is raised in the parent, and a worker that dies is reported, not waited for."""

from __future__ import annotations

import os

import pytest

from hoptac.parallel import fork_map, fork_start


def test_fork_map_gives_each_part_in_order_from_a_closure() -> None:
    base = 10
    assert fork_map(lambda x: (x + base, os.getpid()), range(6), 2)[3][0] == 13
    assert [r for r, _ in fork_map(lambda x: (x * x, 0), range(6), 2)] == [0, 1, 4, 9, 16, 25]


def test_fork_start_runs_beside_the_parent_and_hands_back_its_result() -> None:
    parent = os.getpid()
    finish = fork_start(lambda: (os.getpid(), [1, 2, 3]))
    pid, value = finish()
    assert pid != parent and value == [1, 2, 3]


def test_fork_start_raises_in_the_parent_what_the_worker_raised() -> None:
    def fail() -> None:
        raise ValueError("a bad part")

    with pytest.raises(ValueError, match="a bad part"):
        fork_start(fail)()


def test_fork_start_reports_a_worker_that_died() -> None:
    with pytest.raises(RuntimeError, match="ended with no result"):
        fork_start(lambda: os._exit(3))()


def test_fork_start_may_share_its_own_work_among_forked_workers() -> None:
    """As a screening's syllable-pair scoring does, beside the building of its key index."""
    assert fork_start(lambda: fork_map(lambda x: x + 1, range(4), 2))() == [1, 2, 3, 4]
