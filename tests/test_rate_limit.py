"""Sign-in, token and inbox POSTs are rate-limited per client address: the next one over
the limit is answered 429 with Retry-After before the app runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from hoptac.db.models import EnvelopeRow
from hoptac.exchange import hotline, identity, peering
from hoptac.settings import Settings
from hoptac.web import middleware
from tests.conftest import audit_rows, fresh_database, post_login

LIMIT = 3


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        home=tmp_path,
        database_url=database_url,
        rate_login_per_minute=LIMIT,
        rate_token_per_minute=LIMIT,
        rate_inbox_per_minute=LIMIT,
    )


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    moment = [600.0]  # the start of a minute
    monkeypatch.setattr(middleware, "now", lambda: moment[0])
    return moment


def test_sign_in_attempts_over_the_limit_get_429_and_reach_nothing(
    client: TestClient, app: Any, factory: Any, world: dict[str, Any], clock: list[float]
) -> None:
    guess = {"username": "hcmc_officer", "password": "wrong guess 1"}
    for _ in range(LIMIT):
        assert post_login(client, guess).status_code == 401  # the form, refused
    before = len(audit_rows(factory, "auth.login_failed"))
    clock[0] += 30
    r = post_login(client, guess)
    assert r.status_code == 429
    assert r.headers["retry-after"] == "30"
    assert "Quá nhiều lần thử" in r.text
    assert r.headers["x-frame-options"] == "DENY"  # the security headers wrap it too
    assert len(audit_rows(factory, "auth.login_failed")) == before  # the app never ran
    assert client.post("/login/code", data={}).status_code == 429  # the same group
    # another address, and the same one in the next minute, are served
    with TestClient(app, client=("10.0.0.2", 4000)) as other:
        assert post_login(other, guess).status_code == 401
    clock[0] += 30
    assert post_login(client, guess).status_code == 401
    assert client.get("/login").status_code == 200  # GETs are never limited


def test_the_token_endpoint_and_the_inbox_answer_problems(
    client: TestClient, clock: list[float]
) -> None:
    for path in ("/api/v1/auth/token", "/exchange/v1/inbox"):
        for _ in range(LIMIT):
            assert client.post(path, data={}).status_code != 429
        r = client.post(path, data={})
        assert r.status_code == 429, path
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["status"] == 429 and r.headers["retry-after"] == "60"


def test_an_ipv6_network_counts_once_and_a_flood_of_sources_shares_one_count(
    app: Any, clock: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert middleware.source("2001:db8:1:2:aaaa::1") == middleware.source("2001:db8:1:2::99")
    assert middleware.source("2001:db8:1:3::1") != middleware.source("2001:db8:1:2::1")
    assert middleware.source("10.0.0.7") == "10.0.0.7"

    def attempt(address: str) -> int:
        with TestClient(app, client=(address, 4000)) as c:
            return c.post("/api/v1/auth/token", data={}).status_code

    # one subscriber's /64: its many addresses share the limit
    codes = [attempt(f"2001:db8:1:2::{i}") for i in range(1, LIMIT + 2)]
    assert codes[:LIMIT] != [429] * LIMIT and codes[-1] == 429
    # past MAX_SOURCES counts in a window, newcomers share one count (memory stays bounded)
    monkeypatch.setattr(middleware, "MAX_SOURCES", 3)
    codes = [attempt(f"10.1.0.{i}") for i in range(1, 10)]
    assert 429 in codes and codes[0] != 429
    clock[0] += 60  # the next window starts afresh
    assert attempt("10.1.0.99") != 429


# ---- the hotline's inbox: partners are not anonymous clients ----------------------------


@pytest.fixture
def inbox(
    settings: Settings, factory: Any, tmp_path: Path, backend: str
) -> Iterator[tuple[Any, Any, Any]]:
    """The app as node B (its database under test, no sender), a partner A pinned both
    ways (on SQLite), and a stranger C that B never pinned (but that pinned B)."""
    from hoptac.db.engine import transaction
    from tests.helpers.exchange import make_node as _node

    settings.exchange_sender = False
    with transaction(factory) as s:
        identity.init_node(
            s, settings.keys_dir, node_id="cn-beijing-psb", name="北京市公安局", url="http://b.test"
        )
        b_card = identity.card(identity.this_node(s), identity.load_keys(s, settings.keys_dir))
    url_a, cleanup_a = fresh_database("sqlite", tmp_path)
    url_c, cleanup_c = fresh_database("sqlite", tmp_path)
    a = _node(url_a, tmp_path / "a", "vn-hanoi-pd", "Công an thành phố Hà Nội")
    c = _node(url_c, tmp_path / "c", "la-vientiane-pd", "Vientiane")
    for n in (a, c):
        with transaction(n.factory) as s:
            peering.add_peer(s, b_card)
    with transaction(factory) as s:
        peering.add_peer(s, a.card())
    yield a, c, factory
    for n in (a, c):
        n.factory.kw["bind"].dispose()
    cleanup_a()
    cleanup_c()


def _wires(node: Any, count: int) -> list[dict[str, Any]]:
    """`count` messages queued on `node` for cn-beijing-psb, as its sender would post them."""
    from hoptac.db.engine import transaction

    with transaction(node.factory) as s:
        rows = [
            hotline.send_message(
                s, node.keys, node.principal(), to="cn-beijing-psb", subject="S", text=f"T {i}"
            )
            for i in range(count)
        ]
    return [json.loads(r.wire) for r in rows]


def _post(app: Any, address: str, envelopes: list[dict[str, Any]]) -> Any:
    with TestClient(app, client=(address, 4000)) as c:
        return c.post("/exchange/v1/inbox", json={"envelopes": envelopes})


def _stored(factory: Any) -> int:
    with factory() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(EnvelopeRow)) or 0)


def test_a_pinned_partner_is_not_held_to_the_anonymous_limit(
    app: Any, inbox: tuple[Any, Any, Any], clock: list[float]
) -> None:
    a, _, factory = inbox
    wires = _wires(a, 3 * LIMIT)
    for wire in wires:  # one POST each, three times the anonymous limit, in one minute
        r = _post(app, "10.0.0.5", [wire])
        assert r.status_code == 200 and len(r.json()["receipts"]) == 1
    assert _stored(factory) == 3 * LIMIT
    # its requests were given back: an unsigned one from that address is not over the limit
    assert _post(app, "10.0.0.5", [{"junk": 1}]).status_code == 200


def test_unknown_senders_and_bad_signatures_still_meet_the_limit_and_cost_a_bounded_batch(
    app: Any, inbox: tuple[Any, Any, Any], clock: list[float]
) -> None:
    from hoptac.web.api.exchange import ANONYMOUS_BATCH

    a, c, factory = inbox
    strangers = _wires(c, ANONYMOUS_BATCH + 5)  # well signed, by a node B never pinned
    r = _post(app, "10.0.0.9", strangers)
    assert r.status_code == 200 and r.json()["receipts"] == []
    # the node did a bounded batch's work: the others are left unanswered
    assert [x["code"] for x in r.json()["rejected"]] == ["unknown_sender"] * ANONYMOUS_BATCH
    forged = _wires(a, 5)
    for wire in forged:
        wire["sig"] = wire["sig"][:10] + ("A" if wire["sig"][10] != "A" else "B") + wire["sig"][11:]
    r = _post(app, "10.0.0.9", forged)
    assert [x["code"] for x in r.json()["rejected"]] == ["bad_signature"] * 5
    for _ in range(LIMIT - 2):
        assert _post(app, "10.0.0.9", forged).status_code == 200
    flood = _post(app, "10.0.0.9", strangers)
    assert flood.status_code == 429 and flood.headers["retry-after"] == "60"
    assert _post(app, "10.0.0.9", forged).status_code == 429  # forged ones too
    assert _stored(factory) == 0
    # the partner, elsewhere, is not touched by the flood
    r = _post(app, "10.0.0.5", _wires(a, 1))
    assert r.status_code == 200 and len(r.json()["receipts"]) == 1


def test_a_copy_of_a_partners_envelope_does_not_make_a_strangers_request_a_partners(
    app: Any, inbox: tuple[Any, Any, Any], clock: list[float]
) -> None:
    """The review's attack: a captured envelope of partner A in front of a stranger's
    batch. Already stored (or addressed to another node), it vouches for nothing: the
    request keeps its anonymous count, only a bounded part is answered, A's allowance is
    untouched, and the stranger's envelopes behind it are never A's to spend."""
    from hoptac.web.api.exchange import ANONYMOUS_BATCH

    a, c, _ = inbox
    app.state.peer_allowance = middleware.PeerAllowance(per_second=1, burst=60)
    (captured,) = _wires(a, 1)
    assert _post(app, "10.0.0.5", [captured]).status_code == 200  # delivered by A
    strangers = _wires(c, 60)
    for _ in range(LIMIT):
        r = _post(app, "10.0.0.66", [captured, *strangers])
        assert r.status_code == 200
        assert len(r.json()["receipts"]) + len(r.json()["rejected"]) == ANONYMOUS_BATCH
    assert _post(app, "10.0.0.66", [captured, *strangers]).status_code == 429
    # A's allowance was not spent by the replays: a fresh batch of 59 still fits
    r = _post(app, "10.0.0.5", _wires(a, 59))
    assert r.status_code == 200 and len(r.json()["receipts"]) == 59
    # a fresh envelope of A followed by a stranger's: only A's are answered
    (fresh,) = _wires(a, 1)
    app.state.peer_allowance = middleware.PeerAllowance(per_second=1000, burst=60_000)
    r = _post(app, "10.0.0.77", [fresh, *strangers[:3]])
    assert [x["envelope"] for x in r.json()["receipts"]] == [fresh["id"]]
    assert r.json()["rejected"] == []


def test_a_partner_over_its_allowance_waits_as_told_and_nothing_is_stored(
    app: Any, inbox: tuple[Any, Any, Any], clock: list[float]
) -> None:
    a, _, factory = inbox
    app.state.peer_allowance = middleware.PeerAllowance(per_second=2, burst=4)
    assert _post(app, "10.0.0.5", _wires(a, 4)).status_code == 200  # the burst
    r = _post(app, "10.0.0.5", _wires(a, 3))
    assert r.status_code == 429 and r.headers["retry-after"] == "2"  # 3 envelopes at 2/s
    assert r.headers["content-type"] == "application/problem+json"
    assert _stored(factory) == 4
    clock[0] += 1.5
    assert _post(app, "10.0.0.5", _wires(a, 3)).status_code == 200
    assert _stored(factory) == 7
    assert app.state.peer_allowance.refused == {"vn-hanoi-pd": 1}
