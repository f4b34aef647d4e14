"""Where the app may send a browser back to after a login or a language switch: a path of
this app, never another site. One validator for every `next` parameter."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

MAX_NEXT = 2000


def local_path(target: str | None) -> str:
    """`target` if it is a path of this app (`/…`, with its query), else `/`.

    Refused, because some browser reads each as another host or scheme: anything not
    starting with exactly one `/` (`//host`, `/\\host`, `https://…`, `javascript:…`, a
    relative `host/path`); a backslash anywhere (browsers read it as `/`); any control,
    format or space character anywhere (browsers drop tabs and line breaks inside a URL,
    so `/\\t/evil.example` becomes `//evil.example`, and strip leading spaces); a value
    that a URL parser reads with a scheme or a host; anything longer than MAX_NEXT."""
    if not target or len(target) > MAX_NEXT:
        return "/"
    if not target.startswith("/") or target.startswith(("//", "/\\")) or "\\" in target:
        return "/"
    if any(unicodedata.category(ch)[0] in "CZ" for ch in target):
        return "/"  # Cc, Cf, Cs, Co, Cn; Zs, Zl, Zp
    try:
        parts = urlsplit(target)
    except ValueError:
        return "/"
    if parts.scheme or parts.netloc:
        return "/"
    return target
