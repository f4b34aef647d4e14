"""Work shared among forked processes: each a copy of this one, its arrays and memos
included, so that only each part's arguments and result cross a pipe. For the command line
and the bench, not from a threaded server (a fork copies one thread). Bulk work pauses the
garbage collector (`gc_paused`)."""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
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


def fork_start(task: Callable[[], R]) -> Callable[[], R]:
    """`task()` in a process forked now, while this one goes on; the function returned
    waits for its result (or raises what it raised)."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def run() -> None:
        try:
            result: tuple[bool, Any] = (True, task())
        except BaseException as exc:  # handed to the parent, which raises it
            result = (False, exc)
        send.send(result)
        send.close()

    process = context.Process(target=run)  # not a daemon: it may fork workers of its own
    process.start()
    send.close()

    def finish() -> R:
        try:
            ok, value = receive.recv()
        except EOFError:  # it died (killed, out of memory)
            ok, value = False, None
        finally:
            receive.close()
            process.join()
        if not ok:
            if value is None:
                raise RuntimeError(f"a forked worker ended with no result ({process.exitcode})")
            raise value
        return value  # type: ignore[no-any-return]

    return finish


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: reading or keying a register makes millions of
    objects and no cycles, and each full collection would walk every object the process
    holds (the reading table, the memos, the rows read so far), a large part of the time."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
