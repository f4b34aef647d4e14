"""Each resource lists with the filters it declares (`Resource.filters`), and only those:
a filter it does not apply is refused (422) and named, not silently ignored, and the
OpenAPI document shows each resource's own."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from hoptac.web.resources import RESOURCES
from tests.conftest import token
from tests.helpers.problems import assert_problem


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/api/v1/sources", "country"),  # shown on every list before, applied to agencies only
        ("/api/v1/people", "topic"),
        ("/api/v1/commitments", "q"),
        ("/api/v1/agencies", "cache_buster"),
    ],
)
def test_a_filter_the_resource_does_not_apply_is_refused(
    client: TestClient, world: dict[str, Any], path: str, param: str
) -> None:
    r = client.get(path, params={param: "VN"}, headers=token(client, "hcmc_officer"))
    assert_problem(r, 422)
    assert param in [e["field"] for e in r.json()["errors"]]


def test_a_declared_filter_still_applies(client: TestClient, world: dict[str, Any]) -> None:
    headers = token(client, "hcmc_officer")
    kr = client.get("/api/v1/agencies", params={"country": "KR"}, headers=headers).json()
    assert kr["total"] == 1 and kr["items"][0]["country"] == "KR"


def test_the_openapi_document_shows_each_resources_own_filters(app: Any) -> None:
    spec = app.openapi()
    for name, res in RESOURCES.items():
        params = {p["name"] for p in spec["paths"][f"/api/v1/{name}"]["get"]["parameters"]}
        assert params == set(res.filters.model_fields), name
