"""A request for assistance between two real nodes (`hoptac serve` processes on loopback),
driven with the commands an operator uses (`hoptac request ...`): Hanoi asks Beijing to
verify an identity; Beijing acknowledges, asks for more information, gets it, accepts and
answers; Hanoi closes. One node is SIGKILLed at a random point of the flow and restarted.
At the end both nodes hold the same state and the same history, field by field."""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.nodes import NodeProcess, run_cli, wait_for

KINDS = "message,request"


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    a = NodeProcess(tmp_path / "hanoi", "vn-hanoi-pd", "Công an thành phố Hà Nội")
    b = NodeProcess(tmp_path / "beijing", "cn-beijing-psb", "北京市公安局")
    for me, other in ((a, b), (b, a)):
        card = tmp_path / f"{other.node_id}.card.json"
        run_cli("peer", "card", "--data", str(other.home), "--output", str(card))
        run_cli(
            "peer", "add", str(card), "--data", str(me.home), "--yes",
            "--send", KINDS, "--receive", KINDS,
        )  # fmt: skip
    for node, user in ((a, "hn_officer"), (b, "bj_officer")):
        agency = str(node.sql("SELECT agency_id FROM exchange_node")[0][0])
        run_cli(
            "user", "add", "--data", str(node.home), "--agency", agency, "--role", "officer",
            "--username", user,
        )  # fmt: skip
    a.start()
    b.start()
    yield a, b
    for node in (a, b):
        node.stop()


def _state(node: NodeProcess, uid: str) -> str | None:
    rows = node.sql(f"SELECT state FROM assistance_requests WHERE uid = '{uid}'")
    return rows[0][0] if rows else None


def _show(node: NodeProcess, user: str, uid: str) -> dict[str, object]:
    out = run_cli("request", "show", uid, "--user", user, "--data", str(node.home), "--json")
    return dict(json.loads(out))


def test_a_request_runs_to_its_end_between_two_nodes_through_a_sigkill(
    pair: tuple[NodeProcess, NodeProcess],
) -> None:
    a, b = pair
    seed = int(os.environ.get("HOPTAC_TEST_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    users = {a: "hn_officer", b: "bj_officer"}
    uid = run_cli(
        "request", "new", "--data", str(a.home), "--user", "hn_officer", "--to", b.node_id,
        "--kind", "verify_identity", "--priority", "P2",
        "--title", "Xác minh danh tính Vương Kiện",
        "--summary", "Đề nghị xác minh hộ chiếu E12345678 của Vương Kiện (王健), sinh 1985.",
        "--basis", "Bản ghi nhớ hợp tác 2019", "--person", "Vương Kiện|1985|CN|E12345678",
    ).strip()  # fmt: skip
    # (who, action, details, the state both nodes reach)
    flow: list[tuple[NodeProcess, str, list[str], str]] = [
        (a, "send", [], "delivered"),
        (b, "acknowledge", [], "acknowledged"),
        (b, "request_info", ["--question", "Ảnh chân dung của đối tượng?"], "info_requested"),
        (a, "provide_info", ["--text", "Ảnh gửi kèm qua đường dây nóng."], "acknowledged"),
        (b, "accept", ["--partner-ref", "BJ-2026-118"], "accepted"),
        (b, "start", [], "in_execution"),
        (b, "answer", ["--text", "Đúng người; cư trú tại Triều Dương."], "answered"),
        (a, "close", [], "closed"),
    ]
    kill_after, victim = rng.randrange(len(flow)), rng.choice((a, b))
    for i, (node, action, details, reached) in enumerate(flow):
        run_cli(
            "request", "step", uid, action, "--user", users[node], "--data", str(node.home),
            *details,
        )  # fmt: skip
        if i == kill_after:  # the step's envelope may be queued, in flight or stored
            time.sleep(rng.uniform(0, 0.2))
            victim.kill()
            victim.start()
        for n in (a, b):
            what = f"{n.node_id} to reach {reached} (seed {seed})"
            wait_for(what, lambda n=n, reached=reached: _state(n, uid) == reached)
    ha, hb = _show(a, "hn_officer", uid), _show(b, "bj_officer", uid)
    assert ha["state"] == hb["state"] == "closed"
    shared_a = [h for h in ha["history"] if h["seq"] is not None]  # type: ignore[attr-defined]
    assert shared_a == hb["history"], f"seed {seed}"
    assert [h["action"] for h in shared_a] == [
        "send", "deliver", "acknowledge", "request_info", "provide_info", "accept", "start",
        "answer", "close",
    ]  # fmt: skip
    assert ha["partner_ref"] == "BJ-2026-118"
