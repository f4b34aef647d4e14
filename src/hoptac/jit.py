"""Loops compiled by numba on first use (cached on disk beside their module), for the few
places where numpy's whole-array steps cost more than the work: see docs/screening.md.

numba is imported only when a loop first runs (its import alone takes a second or two:
the app and the tests that never screen a register do without it). Each compiled loop
sits beside the numpy code it replaces, kept as its reference; the tests hold the two to
the same results on generated inputs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_compiled: dict[Callable[..., Any], Callable[..., Any]] = {}


def compiled(loop: Callable[..., Any]) -> Callable[..., Any]:
    """`loop` compiled (numba, nopython, no GIL held), once per process."""
    kernel = _compiled.get(loop)
    if kernel is None:
        from numba import njit

        kernel = _compiled[loop] = njit(cache=True, nogil=True)(loop)
    return kernel


def is_compiled(loop: Callable[..., Any]) -> bool:
    """Whether `loop` has compiled in this process already (numba is then imported: a
    small batch may take the compiled path at no extra cost); not if compiling it failed."""
    kernel = _compiled.get(loop)
    return kernel is not None and bool(getattr(kernel, "signatures", ()))
