"""schemathesis against the OpenAPI schema: generated requests to every operation, as a
signed-in officer, never get a 5xx. Bounded (EXAMPLES per operation, derandomized) so
that `make test` stays fast and repeatable; both databases (PostgreSQL refuses what
SQLite takes, e.g. NUL characters in text)."""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from tests.conftest import token

EXAMPLES = 20


def test_no_generated_request_gets_a_server_error(
    app: Any, client: TestClient, world: dict[str, Any]
) -> None:
    headers = token(client, "hcmc_officer")
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    # The sign-out operation ends the token it is sent with (or, `everywhere`, all of its
    # account's): it gets its own account's token, or it would end the fuzzing of the rest.
    spare = token(client, "hcmc_admin")
    called: list[int] = []
    for operation in operations:
        sign_out = operation.path == "/api/v1/auth/revoke"
        _fuzz(operation, spare if sign_out else headers, called)()
    assert len(called) >= len(operations) * 5
    assert called.count(401) < len(called) // 10  # signed in throughout, not refused


def _fuzz(operation: Any, headers: dict[str, str], called: list[int]) -> Any:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        called.append(response.status_code)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path}: {response.status_code} "
            f"{response.text[:300]}\n{case.as_curl_command()}"
        )

    return run
