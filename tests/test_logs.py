"""Input cannot forge a log line, and a crash answers a generic problem with no internals."""

from __future__ import annotations

import io
import logging
import logging.config
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hoptac.logs import CONFIG, escape

FORGED = "Trần Văn A\r\n2026-11-26 10:00:00 INFO hoptac.auth: login admin ok \x1b[2J"


@pytest.fixture
def server_logging() -> Iterator[io.StringIO]:
    """The server's logging configuration, its streams captured; restored afterwards."""
    names = [*CONFIG["loggers"]]
    saved = {
        n: (
            logging.getLogger(n).handlers[:],
            logging.getLogger(n).level,
            logging.getLogger(n).propagate,
        )
        for n in names
    }
    logging.config.dictConfig(CONFIG)
    out = io.StringIO()
    for n in names:
        for handler in logging.getLogger(n).handlers:
            assert isinstance(handler, logging.StreamHandler)
            handler.setStream(out)
    yield out
    for n, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(n)
        logger.handlers, logger.level, logger.propagate = handlers, level, propagate


def test_control_characters_are_escaped_in_every_server_log_line(
    server_logging: io.StringIO,
) -> None:
    logging.getLogger("hoptac.exchange.inbox").warning("envelope from %s rejected", FORGED)
    # uvicorn's access line holds the decoded path: %0A in a URL is a line break there
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "10.0.0.9", "GET", "/people/1\n2026 INFO forged", "1.1", 404
    )
    lines = server_logging.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert "rejected" in lines[0] and "\\x0d\\x0a2026-11-26" in lines[0]
    assert "\\x1b[2J" in lines[0] and "\x1b" not in lines[0]
    assert "10.0.0.9" in lines[1] and "/people/1\\x0a2026 INFO forged" in lines[1]


def test_a_traceback_cannot_forge_a_line_either(server_logging: io.StringIO) -> None:
    try:
        raise ValueError(f"bad name {FORGED}")
    except ValueError:
        logging.getLogger("hoptac.web.app").exception("crash on %s", "a\nb")
    lines = server_logging.getvalue().splitlines()
    assert lines[0].endswith("crash on a\\x0ab")
    assert lines[1] == "  | Traceback (most recent call last):"
    assert all(line.startswith("  | ") for line in lines[1:])  # no line reads as an entry
    assert any("login admin ok" in line for line in lines[1:])
    assert "\x1b" not in server_logging.getvalue()


def test_escape_leaves_text_in_every_script_alone() -> None:
    assert escape("Vương Kiện 王健 왕건 O'Neil") == "Vương Kiện 王健 왕건 O'Neil"
    assert escape("a\tb\u2028c\x85") == "a\\x09b\\u2028c\\x85"


def test_serve_hands_the_escaping_configuration_to_uvicorn(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from hoptac.cli.main import app

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.update(kw))
    result = cli.invoke(app, ["serve", "--port", "8999"])
    assert result.exit_code == 0, result.output
    assert seen["log_config"] is CONFIG


def test_a_crash_answers_a_generic_problem_without_internals(app: Any) -> None:
    def boom() -> None:
        raise RuntimeError("password=hunter2 at /srv/hoptac/secret.py line 3")

    app.add_api_route("/api/v1/boom", boom)
    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        api = client.get("/api/v1/boom")
        page = client.get("/boom")
    assert api.status_code == 500
    assert api.headers["content-type"] == "application/problem+json"
    assert api.json() == {
        "type": "/problems/internal",
        "title": "Internal error",
        "status": 500,
        "detail": "An unexpected error occurred; nothing was saved.",
        "instance": "/api/v1/boom",
        "errors": [],
    }
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    for answer in (api.text, page.text):
        assert "hunter2" not in answer and "Traceback" not in answer and "secret.py" not in answer
