"""Work shared among forked processes: each a copy of this one, its arrays and memos
included, so that only each part's arguments and result cross a pipe. For the command line
and the bench, not from a threaded server (a fork copies one thread)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

A = TypeVar("A")
R = TypeVar("R")
_TASK: Callable[[Any], Any] | None = None  # the running fork_map's task, inherited by forks


def _run(part: Any) -> Any:
    assert _TASK is not None
    return _TASK(part)


def fork_map(task: Callable[[A], R], parts: Iterable[A], workers: int) -> list[R]:
    """`[task(p) for p in parts]`, in order, in `workers` forked processes. `task` may be
    any callable, a closure too: the workers inherit it rather than receive it."""
    global _TASK
    _TASK = task
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            return list(pool.map(_run, parts))
    finally:
        _TASK = None
