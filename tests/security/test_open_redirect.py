"""Finding 2 (outside attack): `GET /login?next=/%09/evil.example` led, after a first
login, to a "continue" link `/\t/evil.example`, which Chromium follows to evil.example.
Every `next` goes through one validator (`hoptac.web.paths.local_path`): a path of this
app, or `/`."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from hoptac.web.paths import local_path

BYPASSES = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/\x00/evil.example",
    "/\x0b/evil.example",
    " //evil.example",
    "\t//evil.example",
    "https://evil.example",
    "HTTPS://evil.example",
    "http:/evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    ".evil.example",
    "/\u2028/evil.example",  # line separator
    "/\u3000/evil.example",  # ideographic space
    "/\u200b/evil.example",  # zero-width space (format)
    "/\ufeff/evil.example",
    "/" + "a" * 3000,
    "",
]

KEPT = ["/", "/agencies/3", "/people?q=Nguyễn Hải Trung", "/screening/hits/7?x=1#top",
        "/%09/evil.example", "/%2F%2Fevil.example"]  # fmt: skip


@pytest.mark.parametrize("target", BYPASSES)
def test_no_known_bypass_leaves_the_app(target: str) -> None:
    assert local_path(target) == "/"


@pytest.mark.parametrize("target", [t for t in KEPT if " " not in t])
def test_paths_of_the_app_are_kept(target: str) -> None:
    # percent-encoded characters stay encoded: a browser reads them as a path
    assert local_path(target) == target


def test_a_path_with_a_space_is_refused_rather_than_guessed() -> None:
    assert local_path("/people?q=Nguyễn Hải") == "/"


@pytest.mark.parametrize("target", ["/%09/evil.example", "/\t/evil.example", "//evil.example"])
def test_the_login_form_and_the_language_switch_keep_only_local_paths(
    client: TestClient, target: str
) -> None:
    page = client.get("/login", params={"next": target})
    (kept,) = re.findall(r'name="next" value="([^"]*)"', page.text)
    assert kept in ("/", "/%09/evil.example")
    switched = client.get("/lang/en", params={"next": target}, follow_redirects=False)
    location = switched.headers["location"]
    assert location.startswith("/") and not location.startswith("//")
    assert "\t" not in location
