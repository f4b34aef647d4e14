"""Finding 6's fuzzing, widened until it would have found what the attacker did (an offset
of 2^63, an id of 31 digits, a register id of 30 nines, JSON nested 100,000 deep):

- schemathesis in its negative mode: requests that break the OpenAPI schema (integers
  past their bounds, wrong types) to every operation, which must be refused with a 4xx;
- the form routes (not in the OpenAPI schema): every POST page route, with a valid
  session and CSRF token, gets fields filled with boundary integers, long and odd text;
- the inbox, anonymous: bodies of every JSON shape, deep nesting and huge numbers.

Each asserts no 5xx. Bounded and derandomized, both databases."""

from __future__ import annotations

import json
import re
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from tests.conftest import login, token
from tests.helpers.routes import SIGN_OUT
from tests.helpers.routes import routes as _routes

EXAMPLES = 12

NASTY_NUMBERS = ["0", "-1", "2147483647", "2147483648", "9223372036854775807",
                 "9223372036854775808", "-9223372036854775809", "9" * 30, "1e309", "NaN",
                 "0x10", " 1 ", "1.5", "١٢"]  # fmt: skip
NASTY_TEXT = ["", " ", "\t\n", "a" * 10_001, "x" * 300, "%00", "<script>x</script>",
              "' OR 1=1 --", "\u202e", "𝔘𝔫𝔦", "Nguyễn", "王健", "0,5", "2024-13-45",
              "../../etc/passwd"]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(NASTY_NUMBERS + NASTY_TEXT),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=40),
)
# Field names the page forms use (the handlers read most of them from the raw form).
FIELDS = ["register_id", "threshold", "engine", "q", "offset", "ref", "sharing", "shared_with",
          "name_vi", "name_en", "country", "level", "parent_id", "title", "kind", "party_ids",
          "signed", "topics", "description", "due", "owed_by_id", "owed_to_id", "status",
          "reason", "full_name", "rank", "position", "agency_id", "host_ids", "visitor_ids",
          "start", "end", "to", "subject", "body", "priority", "handling", "handling_note",
          "reliability", "accuracy", "in_reply_to", "grantee", "role", "version", "text",
          "url", "username", "password", "new_password", "code", "next", "acknowledge"]  # fmt: skip
PATHS = {
    "{record_id:int}": ["1", "2147483648", "9" * 30],
    "{record_id}": ["1", "9" * 30, "x"],
    "{resource}": ["agreements", "commitments", "nope"],
    "{node_id}": ["kr-busan-pd", "x" * 100],
    "{thread_id}": ["01J00000000000000000000000", "%00"],
    "{envelope_id}": ["01J00000000000000000000000", "9" * 30],
    "{index:int}": ["0", "9" * 30],
    "{code}": ["vi", "xx"],
}


def _fuzzed(
    examples: int = EXAMPLES,
) -> Any:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )


def test_requests_that_break_the_schema_are_refused_never_crashed(
    app: Any, client: TestClient, world: dict[str, Any]
) -> None:
    headers = token(client, "hcmc_officer")
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    statuses: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SIGN_OUT:
            continue

        @_fuzzed()
        @given(case=operation.as_strategy(GenerationMode.NEGATIVE))
        def run(case: Any) -> None:
            response = case.call(headers=headers)
            statuses.append(response.status_code)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path}: {response.status_code} "
                f"{response.text[:300]}\n{case.as_curl_command()}"
            )

        try:
            run()
        except Unsatisfiable:  # nothing in this operation can be made invalid
            continue
    assert len(statuses) > 200
    assert sum(400 <= s < 500 for s in statuses) > len(statuses) // 2  # mostly refused


def test_form_routes_take_boundary_and_odd_values_without_a_server_error(
    app: Any, client: TestClient, world: dict[str, Any]
) -> None:
    login(client, "hcmc_admin")
    page = client.get("/").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    csrf = found.group(1)
    posts = [path for method, path in _routes(app) if method == "POST"]
    posts = [p for p in posts if not p.startswith(("/api/", "/exchange/"))]
    posts = [p for p in posts if ("POST", p) not in SIGN_OUT and not p.startswith("/login")]
    assert len(posts) >= 10
    seen: list[int] = []
    for path in posts:
        _form_fuzz(client, path, csrf, seen)()
    assert client.get("/").status_code == 200  # still signed in: the fuzzing reached the forms
    assert len(seen) >= len(posts) * 5


def _form_fuzz(client: TestClient, path: str, csrf: str, seen: list[int]) -> Any:
    holes = [h for h in PATHS if h in path]

    @_fuzzed()
    @given(
        fields=st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=8),
        filled=st.tuples(*[st.sampled_from(PATHS[h]) for h in holes]),
    )
    def run(fields: dict[str, str], filled: tuple[str, ...]) -> None:
        url = path
        for hole, value in zip(holes, filled, strict=True):
            url = url.replace(hole, value)
        response = client.post(url, data={**fields, "csrf_token": csrf}, follow_redirects=False)
        seen.append(response.status_code)
        assert response.status_code < 500, (url, fields, response.text[:300])

    return run


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)  # fmt: skip


def test_the_inbox_takes_any_json_and_deep_nesting_without_a_server_error(
    client: TestClient,
) -> None:
    @_fuzzed(60)
    @given(body=JSON_VALUES, wrap=st.booleans())
    def run(body: Any, wrap: bool) -> None:
        content = json.dumps({"envelopes": body} if wrap else body)
        r = client.post("/exchange/v1/inbox", content=content)
        assert r.status_code < 500, (content[:200], r.text[:300])

    run()
    for depth in (1_000, 100_000):
        for shape in (b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth):
            r = client.post("/exchange/v1/inbox", content=b'{"envelopes": [' + shape + b"]}")
            assert r.status_code == 422
    r = client.post("/exchange/v1/inbox", content=b'{"envelopes": [' + b"9" * 5000 + b"]}")
    assert r.status_code < 500
