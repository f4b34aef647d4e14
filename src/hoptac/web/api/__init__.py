"""The JSON API. Every router here declares the errors as `Problem`s (`RESPONSES`) and
names its operations itself (`operation_id`: `agencies_get`, `hotline_messages_send`),
so that a client generated from the OpenAPI document has short, stable method names."""

from __future__ import annotations

from fastapi.routing import APIRoute

from hoptac.web.problems import RESPONSES


def operation_id(route: APIRoute) -> str:
    """The route's name is its operation id: each route names itself, once."""
    return route.name


__all__ = ["RESPONSES", "operation_id"]
