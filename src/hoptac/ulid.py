"""ULIDs (https://github.com/ulid/spec): 48 bits of milliseconds and 80 random bits in
Crockford's base32, 26 characters that sort by time. Within one millisecond a process
increments the random part, so its ids also sort in the order it made them."""

from __future__ import annotations

import os
import re
import threading
import time

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PATTERN = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")

_lock = threading.Lock()
_last = (0, 0)  # (milliseconds, random part) of the last id made here


def new(now_ms: int | None = None) -> str:
    global _last
    with _lock:
        ms = now_ms if now_ms is not None else time.time_ns() // 1_000_000
        last_ms, last_random = _last
        if ms <= last_ms:
            ms, random = last_ms, last_random + 1
        else:
            random = int.from_bytes(os.urandom(10), "big")
        if random >= 1 << 80:  # 2^80 ids in one millisecond: move to the next one
            ms, random = ms + 1, int.from_bytes(os.urandom(10), "big")
        _last = (ms, random)
    value = (ms << 80) | random
    return "".join(ALPHABET[(value >> shift) & 31] for shift in range(125, -1, -5))


def is_valid(text: str) -> bool:
    return bool(PATTERN.match(text))


def milliseconds(text: str) -> int:
    """The time part of a ULID."""
    value = 0
    for char in text[:10]:
        value = value * 32 + ALPHABET.index(char)
    return value
