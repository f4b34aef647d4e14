"""The API contract a generated client can trust: a typed client is generated from the
live OpenAPI document with openapi-python-client (the version a partner used), and used
against the running app over HTTP. Successes parse as their models; every error parses
as the one `Problem` model (the token endpoint's as its OAuth2 `TokenError`).

openapi-python-client cannot share the app's environment (it pins typer below the app's),
so it is installed with pip into a directory of its own (kept between runs) and run, with
the client it generates, in a subprocess. Skipped, saying why, when pip cannot get it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD, totp_code
from tests.helpers.live import serve

GENERATOR = "openapi-python-client==0.29.1"
VALIDATOR = "openapi-spec-validator==0.9.0"
TOOLS = Path(tempfile.gettempdir()) / "hoptac-test-openapi-python-client-0.29.1"


def _tools() -> Path:
    """The generator and the spec validator, installed once into a directory of their own."""
    ready = TOOLS / ".installed"
    if ready.exists():
        return TOOLS
    try:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--target", str(TOOLS), GENERATOR, VALIDATOR, "python-dateutil", "attrs"],
            check=True, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        output = getattr(exc, "stderr", "") or str(exc)
        pytest.skip(f"cannot install {GENERATOR} with pip: {output.strip()[-300:]}")
    ready.touch()
    return TOOLS


def _run(tools: Path, *args: str, cwd: Path) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(cwd), str(tools)])}
    done = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def live(app: Any) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in a thread."""
    with serve(app, lifespan="off") as url:
        yield url


SCRIPT = """
import json, sys
from hoptac_client import AuthenticatedClient, Client
from hoptac_client.api.auth import auth_token
from hoptac_client.api.agencies import agencies_get, agencies_list
from hoptac_client.api.people import people_create, people_get, people_update
from hoptac_client.models import (
    BodyAuthToken, PersonIn, PersonOut, PersonPatch, Problem, TokenError, TokenOut,
    PageAgencyOut, AgencyOut,
)

base, code = sys.argv[1], sys.argv[2]
out = {}
anonymous = Client(base_url=base, raise_on_unexpected_status=True)
refused = auth_token.sync(client=anonymous, body=BodyAuthToken(username="hcmc_officer",
                                                                password="wrong"))
assert isinstance(refused, TokenError), refused
out["refused"] = [refused.error, refused.status]
got = auth_token.sync(client=anonymous, body=BodyAuthToken(
    username="hcmc_officer", password=sys.argv[3], totp=code, grant_type="password"))
assert isinstance(got, TokenOut), got
api = AuthenticatedClient(base_url=base, token=got.access_token,
                          raise_on_unexpected_status=True)
page = agencies_list.sync(client=api, limit=2)
assert isinstance(page, PageAgencyOut), page
out["list"] = [page.total, page.limit, page.offset, len(page.items)]
one = agencies_get.sync(page.items[0].id, client=api)
assert isinstance(one, AgencyOut), one
out["get"] = [one.id, one.created_at.tzinfo is not None]
made = people_create.sync(client=api, body=PersonIn(full_name="Lê Văn Khách"))
assert isinstance(made, PersonOut), made
out["create"] = [made.full_name, made.version]

def problem(name, answer):
    assert isinstance(answer, Problem), (name, answer)
    out[name] = [answer.status, answer.type_, answer.title, answer.instance,
                 [[e.field, e.message] for e in answer.errors]]

problem("404", people_get.sync(2**31 - 1, client=api))
problem("412", people_update.sync(made.id, client=api, body=PersonPatch(position="x"),
                                  if_match='"999"'))
problem("422", people_create.sync(client=api, body=PersonIn(full_name="   ")))
problem("409", people_create.sync(client=api, body=PersonIn(full_name="A", ref="dup-1")) and
        people_create.sync(client=api, body=PersonIn(full_name="B", ref="dup-1")))
problem("401", agencies_list.sync(client=AuthenticatedClient(base_url=base, token="nope")))
star = people_update.sync(made.id, client=api, body=PersonPatch(position="y"), if_match="*")
assert isinstance(star, PersonOut), star
out["if-match *"] = star.position
print(json.dumps(out))
"""


def test_a_generated_client_parses_every_answer(
    app: Any, live: str, world: dict[str, Any], tmp_path: Path
) -> None:
    tools = _tools()
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(app.openapi()))
    _run(tools, "-c", f"from openapi_spec_validator import validate; import json; "
         f"validate(json.load(open({str(spec)!r})))", cwd=tmp_path)  # fmt: skip
    (tmp_path / "config.yaml").write_text("post_hooks: []\n")
    generated = _run(
        tools, "-m", "openapi_python_client", "generate", "--path", str(spec), "--meta", "none",
        "--output-path", str(tmp_path / "hoptac_client"), "--config", "config.yaml",
        cwd=tmp_path,
    )  # fmt: skip
    assert "Warning" not in generated, generated
    code = totp_code("hcmc_officer")
    (tmp_path / "use.py").write_text(textwrap.dedent(SCRIPT))
    out = json.loads(_run(tools, "use.py", live, code, PASSWORD, cwd=tmp_path))
    assert out["refused"] == ["invalid_grant", 400]
    assert out["list"] == [3, 2, 0, 2]
    assert out["get"][1] is True  # the timestamp says UTC
    assert out["create"] == ["Lê Văn Khách", 1]
    people = "/api/v1/people"
    assert out["404"] == [404, "/problems/not-found", "Not found", f"{people}/2147483647", []]
    assert out["412"][:3] == [412, "/problems/stale-edit", "The record has changed"]
    assert out["412"][3].startswith(f"{people}/")
    assert out["422"][:4] == [422, "/problems/invalid-input", "Invalid input", people]
    assert [e[0] for e in out["422"][4]] == ["full_name"]
    assert out["409"] == [409, "/problems/conflict", "Conflict", people, [["ref", "already used"]]]
    assert out["401"][:3] == [401, "/problems/unauthenticated", "Authentication required"]
    assert out["if-match *"] == "y"
