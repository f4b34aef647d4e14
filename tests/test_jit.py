"""`hoptac.jit`: a loop counts as compiled (small batches then take the compiled path) only
once it has compiled, not when it is merely registered or when compiling it failed."""

from __future__ import annotations

import pytest

from hoptac.jit import compiled, is_compiled


def _add(a: int, b: int) -> int:
    return a + b


def _untypable(a: int) -> object:
    return object()  # no nopython type: numba refuses it


def test_a_loop_counts_as_compiled_once_it_has_compiled() -> None:
    kernel = compiled(_add)
    assert kernel is compiled(_add)  # once per process
    if not is_compiled(_add):  # (another test may have run it in this process)
        assert kernel(2, 3) == 5
    assert is_compiled(_add)


def test_a_loop_that_fails_to_compile_does_not_count() -> None:
    kernel = compiled(_untypable)
    assert not is_compiled(_untypable)
    with pytest.raises(Exception, match=r"(?i)typ"):
        kernel(1)
    assert not is_compiled(_untypable)
