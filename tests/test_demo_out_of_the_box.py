"""A newcomer's trial after `make run`: what the README promises holds on the demo data.

- `王健` finds `Vương Kiện` and `Wang Jian` (the person search), `nguyen hai trung` finds
  `Nguyễn Hải Trung` (the people search);
- the hotline works at once: the node has an identity and a demo partner, with messages;
- the "hotel stays" register holds hotel stays only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hoptac.cli.main import app as cli_app
from hoptac.db.models import EnvelopeRow, Register, RegisterRecord
from hoptac.exchange import demo as exchange_demo
from hoptac.exchange import identity, peering
from hoptac.registry.demo import DEMO_PASSWORD, DEMO_USER
from hoptac.screening import search
from hoptac.screening.demo import REGISTER_NAME
from hoptac.settings import get_settings
from hoptac.types import RegisterKind
from tests.conftest import login

README = Path("README.md").read_text(encoding="utf-8")


def _load(cli: CliRunner) -> str:
    result = cli.invoke(cli_app, ["demo", "load"])
    assert result.exit_code == 0, result.output
    return result.output


def _demo_principal(session: Session) -> Any:
    from hoptac.cli.common import as_user

    return as_user(session, DEMO_USER)


def test_the_readmes_cross_script_search_is_true_on_the_demo(
    cli: CliRunner, factory: sessionmaker[Session]
) -> None:
    assert "`王健` finds\n`Vương Kiện` and `Wang Jian`" in README  # the promise checked here
    _load(cli)
    with factory() as session:
        found = search.search(session, _demo_principal(session), "王健", audited=False).found
    names = {(f.kind, f.name.casefold()) for f in found[:5]}
    assert ("notice", "vương kiện") in names or ("notice", "王健") in names
    assert ("record", "wang jian") in names


def test_the_readmes_diacritics_free_people_search_is_true_on_the_demo(
    cli: CliRunner, client: TestClient
) -> None:
    assert "`nguyen hai trung` finds\n`Nguyễn Hải Trung`" in README
    _load(cli)
    login(client, DEMO_USER, DEMO_PASSWORD)
    page = client.get("/people", params={"q": "nguyen hai trung"}).text
    assert "Nguyễn Hải Trung" in page


def test_the_hotline_works_right_after_make_run(
    cli: CliRunner, client: TestClient, factory: sessionmaker[Session]
) -> None:
    output = _load(cli)
    assert exchange_demo.NODE_ID in output
    assert (get_settings().keys_dir / "signing.key").exists()
    with factory() as session:
        assert identity.this_node(session).node_id == exchange_demo.NODE_ID
        assert [p.node_id for p in peering.peers(session)] == [exchange_demo.PARTNER_ID]
        received = session.scalars(
            sa.select(EnvelopeRow.kind).where(EnvelopeRow.direction == "in")
        ).all()
        assert sorted(received) == sorted(
            ["message"] * len(exchange_demo.MESSAGES) + ["request"] * len(exchange_demo.REQUESTS)
        )
    login(client, DEMO_USER, DEMO_PASSWORD)
    page = client.get("/hotline")
    assert page.status_code == 200
    assert "Chiết Giang" in page.text
    thread = re.search(r'href="(/hotline/peers/[^"]+)"', page.text)
    assert thread, page.text
    conversation = client.get(thread.group(1))
    assert conversation.status_code == 200 and "Vương Kiện" in conversation.text
    # and the partner's requests for assistance, waiting to be acknowledged
    requests = client.get("/requests")
    assert requests.status_code == 200
    for request in exchange_demo.REQUESTS:
        assert request["title"] in requests.text
    # loading again touches nothing: still one identity, one partner, the same messages
    assert exchange_demo.NODE_ID not in _load(cli)
    with factory() as session:
        assert len(peering.peers(session)) == 1


def test_the_hotel_stays_register_holds_hotel_stays(
    cli: CliRunner, factory: sessionmaker[Session]
) -> None:
    _load(cli)
    with factory() as session:
        register = session.scalars(sa.select(Register).where(Register.name == REGISTER_NAME)).one()
        assert register.kind == RegisterKind.HOTEL
        sources = set(
            session.scalars(
                sa.select(RegisterRecord.source).where(RegisterRecord.register_id == register.id)
            )
        )
    assert sources == {"hotel"}
