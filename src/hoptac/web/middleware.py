"""Pure ASGI middleware: request size limit and security headers."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


class _TooLarge(Exception):
    pass


TOO_LARGE_PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>413 · hoptac</title><link rel="stylesheet" href="/static/app.css"></head>
<body><main class="container"><section class="card narrow"><h1>413</h1>
<p>Tệp hoặc biểu mẫu quá lớn (tối đa {mb} MB). Hãy chia tệp thành nhiều phần rồi tải lên lại.</p>
<p lang="en">The file or form is too large (at most {mb} MB). Split the file and upload the
parts.</p><p><a href="/">← hoptac</a></p></section></main></body></html>"""


UPLOAD_SUFFIX = "/import"  # the CSV upload routes (POST)
MULTIPART_SLACK = 64 * 1024  # the form around the file: the file's own limit is exact


class BodyLimit:
    """Refuse bodies over `max_bytes` with 413 before the app reads them into memory;
    uploads (POST to a path ending in /import) may carry a file of `upload_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int = 0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        if scope.get("method") == "POST" and str(scope.get("path", "")).endswith(UPLOAD_SUFFIX):
            limit = max(limit, self.upload_bytes + MULTIPART_SLACK)
        page = not str(scope.get("path", "")).startswith(MACHINE_PATHS)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(send, limit, page)
            return
        seen = 0
        started = False

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(send, limit, page)

    async def _reject(self, send: Send, limit: int, page: bool) -> None:
        detail = f"The request body is larger than the limit of {limit} bytes."
        if page:  # a person at a browser: a page they can read, in both languages
            megabytes = max(1, limit // (1024 * 1024))
            body = TOO_LARGE_PAGE.format(mb=megabytes).encode()
            content_type = b"text/html; charset=utf-8"
        else:
            body = json.dumps(
                {
                    "type": "/problems/request-too-large",
                    "title": "Request too large",
                    "status": 413,
                    "detail": detail,
                }
            ).encode()
            content_type = b"application/problem+json"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
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
                    headers.append((b"strict-transport-security", b"max-age=63072000"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
