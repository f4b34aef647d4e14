"""The app's routes as the route tests walk them: every (method, path), which of them are
public, and which end the caller's own sign-in."""

from __future__ import annotations

from typing import Any

PUBLIC = {
    ("GET", "/problems/{slug}"),  # what each problem type means: public, no data
    ("GET", "/login"),
    ("POST", "/login"),
    # the second step: only a session whose password was right gets past it
    ("GET", "/login/code"),
    ("POST", "/login/code"),
    # a one-time password's change: only a session past every factor gets to it
    ("GET", "/login/password"),
    ("POST", "/login/password"),
    ("GET", "/lang/{code}"),
    ("GET", "/healthz"),
    ("POST", "/api/v1/auth/token"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/docs"),
    # node to node: a partner is authenticated by the signatures on what it sends
    ("GET", "/exchange/v1/card"),
    ("POST", "/exchange/v1/inbox"),
}
# What every signed-in user does to the own account, viewers included: signing out.
SIGN_OUT = {("POST", "/logout"), ("POST", "/logout/everywhere"), ("POST", "/api/v1/auth/revoke")}


def routes(app: Any) -> list[tuple[str, str]]:
    out = []
    routes = list(app.routes)
    while routes:
        route = routes.pop(0)
        if hasattr(route, "original_router"):  # FastAPI's wrapper of an included router
            routes.extend(route.original_router.routes)
            continue
        methods = getattr(route, "methods", None)
        if methods and isinstance(getattr(route, "path", None), str):
            for method in sorted(methods):
                if method != "HEAD":
                    out.append((method, route.path))
    return out
