"""Pure ASGI middleware: request size limit and security headers."""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import threading
import time
from collections import Counter
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hoptac.errors import TOO_LARGE, TOO_MANY_REQUESTS
from hoptac.web import problems

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)


# Paths answered to programs (JSON, problem+json), not to people (HTML pages).
MACHINE_PATHS = ("/api/", "/exchange/")

# Swagger UI sets inline styles; its page alone may use them (still no inline script).
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
DOCS_PATH = "/api/v1/docs"


class _Refused(Exception):
    """The body is over the limit: the middleware answers instead of the app."""


def refusal_page(status: int, vi: str, en: str, back: str = "/") -> str:
    """A page answered before the app runs (no templates there): both languages."""
    return f"""<!doctype html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{status} · hoptac</title><link rel="stylesheet" href="/static/app.css"></head>
<body><main class="container"><section class="card narrow"><h1>{status}</h1>
<p>{vi}</p><p lang="en">{en}</p><p><a href="{back}">← hoptac</a></p></section></main>
</body></html>"""


UPLOAD_SUFFIXES = ("/import", "/evidence")  # the upload routes (POST): CSV, evidence files
MULTIPART_SLACK = 64 * 1024  # the form around the file: the file's own limit is exact


class BodyLimit:
    """Refuse bodies over `max_bytes` with 413 before the app reads them into memory;
    uploads (POST to a path ending in /import or /evidence) may carry a file of
    `upload_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int = 0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        if scope.get("method") == "POST" and str(scope.get("path", "")).endswith(UPLOAD_SUFFIXES):
            limit = max(limit, self.upload_bytes + MULTIPART_SLACK)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(scope, send, limit)
            return
        seen = 0
        refused = started = False

        async def limited() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    refused = True
                    raise _Refused
            return message

        async def guarded_send(message: Message) -> None:
            # The app may catch the refusal (FastAPI answers "error parsing the body"):
            # our answer replaces whatever it says then.
            nonlocal started
            if message["type"] == "http.response.start":
                if started:
                    return
                started = True
                if refused:
                    await self._reject(scope, send, limit)
                    return
            elif refused:
                return
            await send(message)

        try:
            await self.app(scope, limited, guarded_send)
        except _Refused:
            if not started:
                await self._reject(scope, send, limit)

    async def _reject(self, scope: Scope, send: Send, limit: int) -> None:
        megabytes = max(1, limit // (1024 * 1024))
        detail = f"The request body is larger than the limit of {limit} bytes."
        problem = problems.body(TOO_LARGE, detail, instance=str(scope.get("path", "")))
        html = refusal_page(
            413,
            f"Tệp hoặc biểu mẫu quá lớn (tối đa {megabytes} MB). "
            "Hãy chia tệp thành nhiều phần rồi tải lên lại.",
            f"The file or form is too large (at most {megabytes} MB). "
            "Split the file and upload the parts.",
        )
        await _answer(scope, send, 413, html, problem)


async def _answer(
    scope: Scope,
    send: Send,
    status: int,
    html: str,
    problem: dict[str, Any],
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> None:
    """A refusal made before the app runs: to a person at a browser a page they can read,
    in both languages; to a program a problem+json."""
    if not str(scope.get("path", "")).startswith(MACHINE_PATHS):
        body, content_type = html.encode(), b"text/html; charset=utf-8"
    else:
        body, content_type = json.dumps(problem).encode(), problems.MEDIA_TYPE.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        csp = (DOCS_CSP if scope.get("path") == DOCS_PATH else CSP).encode()

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", csp),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                ]
                if self.hsts or scope.get("scheme") == "https":
                    headers.append(
                        (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
                    )
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


log = logging.getLogger(__name__)


def now() -> float:
    """The rate limit's clock (tests move it)."""
    return time.monotonic()


MAX_SOURCES = 50_000  # counts kept per window; past that, new sources share one
OVERFLOW = "(many sources)"


def source(address: str) -> str:
    """Whom a count is kept for: the IPv4 address, or the IPv6 /64 (one subscriber's
    network: its addresses are free to it)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


PARTNER = "hoptac.partner"  # scope["state"] key: the request proved to come from a partner


def mark_partner(scope: Scope) -> None:
    """The request carries a pinned partner's valid signature (the inbox checked it): it
    is not an anonymous client's, and is given back to the address's count when it ends."""
    scope.setdefault("state", {})[PARTNER] = True


class RateLimit:
    """At most `per_minute[group]` POSTs a minute from one client address to each group of
    paths (sign-in, token, the hotline inbox); the next is answered 429 with Retry-After
    before the app runs (no password is hashed, no envelope opened). Fixed one-minute
    windows, counted in this process; the account lockout stays the guard of one account,
    this one is the guard of the node against guessing across accounts and floods.

    The inbox's limit guards the work done before a sender is known: a request that the
    inbox finds signed by a pinned partner (`mark_partner`) is given back to its address's
    count when it ends, and is counted instead against that partner's own allowance of
    envelopes (`PeerAllowance`). Unknown senders and bad signatures keep their count."""

    def __init__(
        self,
        app: ASGIApp,
        groups: dict[str, tuple[str, ...]],
        per_minute: dict[str, int],
    ) -> None:
        self.app = app
        self.groups = groups
        self.per_minute = per_minute
        self.minute = -1
        self.counts: dict[tuple[str, str], int] = {}  # this minute's, by (group, source)

    def _group(self, scope: Scope) -> str | None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            return None
        path = str(scope.get("path", ""))
        return next((g for g, paths in self.groups.items() if path in paths), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        group = self._group(scope)
        if group is None:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = source(str(client[0]) if client else "?")
        moment = now()
        minute = int(moment // 60)
        if minute != self.minute:  # a new window: the last one's counts are over
            self.minute, self.counts = minute, {}
        key = (group, address)
        if key not in self.counts and len(self.counts) >= MAX_SOURCES:
            key = (group, OVERFLOW)  # a flood of sources: the newcomers share one count
        count = self.counts[key] = self.counts.get(key, 0) + 1
        if count <= self.per_minute[group]:
            try:
                await self.app(scope, receive, send)
            finally:
                if scope.get("state", {}).get(PARTNER) and self.minute == minute:
                    self.counts[key] = max(0, self.counts.get(key, 1) - 1)
            return
        wait = max(1, int(60 - moment % 60))
        if count == self.per_minute[group] + 1:  # once a window: a flood is one line
            log.warning("rate limit: %s from %s over %d a minute", group, address, count - 1)
        await self._reject(scope, send, wait)

    async def _reject(self, scope: Scope, send: Send, wait: int) -> None:
        problem = problems.body(
            TOO_MANY_REQUESTS,
            f"Too many requests from this address; retry in {wait} s.",
            instance=str(scope.get("path", "")),
        )
        html = refusal_page(
            429,
            f"Quá nhiều lần thử từ địa chỉ này. Hãy đợi {wait} giây rồi thử lại.",
            f"Too many attempts from this address. Wait {wait} seconds and try again.",
            back="/login",
        )
        await _answer(scope, send, 429, html, problem, ((b"retry-after", str(wait).encode()),))


class PeerAllowance:
    """Envelopes a second that each pinned partner may deliver to the inbox: a token
    bucket per peer, filled at `per_second` up to a minute's worth (a backlog after an
    outage drains at full speed; a partner that keeps sending faster is slowed to
    `per_second`). `take` answers 0 when the envelopes fit, else the whole seconds to
    wait (the inbox's 429 Retry-After); nothing is taken then. Only partners whose
    signature verified get a bucket, so their number bounds the memory."""

    def __init__(self, per_second: int, burst: int) -> None:
        self.rate = float(max(1, per_second))
        self.burst = float(max(1, burst))
        self.buckets: dict[str, tuple[float, float]] = {}  # peer -> (tokens, when)
        self.refused: Counter[str] = Counter()  # requests answered 429, by peer, ever
        self._lock = threading.Lock()

    def take(self, peer: str, envelopes: int) -> int:
        with self._lock:
            moment = now()
            tokens, at = self.buckets.get(peer, (self.burst, moment))
            tokens = min(self.burst, tokens + max(0.0, moment - at) * self.rate)
            if tokens >= envelopes:
                self.buckets[peer] = (tokens - envelopes, moment)
                return 0
            self.buckets[peer] = (tokens, moment)
            self.refused[peer] += 1
            return max(1, math.ceil((envelopes - tokens) / self.rate))
