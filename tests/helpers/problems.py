"""The one error shape, asserted in one place: RFC 9457 problem details as the node sends
them (`hoptac.web.problems`), and the token endpoint's OAuth2 errors (RFC 6749 §5.2)."""

from __future__ import annotations

from typing import Any

from hoptac.errors import OAUTH_ERRORS, PROBLEM_TYPES

MEDIA_TYPE = "application/problem+json"
MEMBERS = {"type", "title", "status", "detail", "instance", "errors"}


def assert_problem(
    response: Any,
    status: int,
    *,
    type: str | None = None,
    instance: str | None = None,
    detail: str | None = None,
    fields: set[str] | None = None,
    errors: list[dict[str, str]] | None = None,
    media_type: str = MEDIA_TYPE,
) -> dict[str, Any]:
    """Assert that `response` is a problem of `status` in the canonical shape, and return
    its body. `type`: the slug or URI expected; `detail`: a part of the detail; `fields`:
    fields that `errors` must name; `errors`: the exact list. `instance` defaults to the
    path that was asked for."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == media_type, response.headers["content-type"]
    body: dict[str, Any] = response.json()
    assert set(body) >= MEMBERS, sorted(MEMBERS - set(body))
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"], body
    assert isinstance(body["title"], str) and body["title"], body
    # the type resolves to a known problem, whose title and status it carries
    if body["type"] != "about:blank":
        assert body["type"].startswith("/problems/"), body["type"]
        kind = PROBLEM_TYPES[body["type"].removeprefix("/problems/")]
        assert (kind.title, kind.status) == (body["title"], status), body
    if type is not None:
        assert body["type"] in (type, f"/problems/{type}"), body["type"]
    request = getattr(response, "request", None)
    expected = instance if instance is not None else (request.url.path if request else None)
    if expected is not None:
        assert body["instance"] == expected, body["instance"]
    assert isinstance(body["errors"], list)
    for e in body["errors"]:
        assert set(e) == {"field", "message"}, e
        assert isinstance(e["field"], str) and isinstance(e["message"], str), e
        assert not e["field"].startswith("body."), e  # one spelling: no location prefix
    if detail is not None:
        assert detail in body["detail"], body["detail"]
    if fields is not None:
        assert fields <= {e["field"] for e in body["errors"]}, body["errors"]
    if errors is not None:
        assert body["errors"] == errors, body["errors"]
    return body


def assert_oauth_error(response: Any, error: str) -> dict[str, Any]:
    """The token endpoint's refusal: a 400, application/json, never cached, with the
    OAuth2 `error` code and the problem members of that code's type."""
    body = assert_problem(
        response,
        400,
        type=OAUTH_ERRORS[error].type,
        media_type="application/json",
        instance="/api/v1/auth/token",
    )
    assert body["error"] == error and body["error_description"] == body["detail"]
    assert response.headers["cache-control"] == "no-store"
    return body
