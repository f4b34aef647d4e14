"""The exchange in one process: envelopes, the inbox's refusals, delivery state, H2.

Two nodes, each with its own database (node A on the backend under test, node B on
SQLite), talk through `inbox.receive` and `outbox.settle` directly: the HTTP transport
and real processes are in test_exchange_nodes.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hoptac import ulid
from hoptac.auth.principal import Principal
from hoptac.db.engine import transaction
from hoptac.db.models import AuditEvent, EnvelopeRow, ExchangePermission
from hoptac.errors import Conflict, Forbidden, InvalidInput, NotFound
from hoptac.exchange import envelope as wire
from hoptac.exchange import hotline, identity, inbox, outbox, peering
from hoptac.exchange.envelope import Envelope, Rejected
from hoptac.exchange.keys import NodeKeys
from hoptac.types import Role
from tests.conftest import fresh_database
from tests.helpers.exchange import MARKER, Node, make_node, send, two_nodes


def _partner_of(node: Node, tmp_path: Path, node_id: str, name: str) -> Node:
    """Another node, on its own SQLite database, that `node` has added as a peer."""
    other = make_node(fresh_database("sqlite", tmp_path)[0], tmp_path / node_id, node_id, name)
    with transaction(node.factory) as s:
        peering.add_peer(s, other.card())
    return other


@pytest.fixture
def nodes(backend: str, tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    with two_nodes(backend, tmp_path) as pair:
        yield pair


def _deliver(src: Node, dst: Node) -> inbox.Received:
    """What the sender does, minus HTTP: post the outbox, settle the answer."""
    with src.factory() as s:
        peer = peering.peer_by_node(s, dst.node_id)
        batch = outbox.next_batch(s, peer, 1000, 10_000_000)
        wires = [json.loads(r.wire) for r in batch]
    with transaction(dst.factory) as s:
        received = inbox.receive(s, dst.keys, wires)
    with transaction(src.factory) as s:
        peer = peering.peer_by_node(s, dst.node_id)
        rows = list(
            s.scalars(sa.select(EnvelopeRow).where(EnvelopeRow.seq.in_([r.seq for r in batch])))
        )
        outbox.settle(s, peer, rows, {"receipts": received.receipts, "rejected": received.rejected})
    return received


def _row(node: Node, envelope_id: str) -> EnvelopeRow:
    with node.factory() as s:
        row = s.scalar(sa.select(EnvelopeRow).where(EnvelopeRow.envelope_id == envelope_id))
        assert row is not None
        return row


def _count(node: Node, model: Any = EnvelopeRow) -> int:
    with node.factory() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def _rejections(node: Node) -> list[dict[str, Any]]:
    """Every refused envelope logged, in order (one audit row per request lists them)."""
    with node.factory() as s:
        rows = s.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "exchange.rejected")
            .order_by(AuditEvent.id)
        ).all()
        return [e for r in rows for e in (r.detail or {}).get("envelopes", [])]


# ---- envelopes, pure ---------------------------------------------------------------------


def _sealed(sender: NodeKeys, recipient: NodeKeys, **kwargs: Any) -> Envelope:
    return wire.seal(
        sender,
        sender="vn-hanoi-pd",
        recipient="cn-beijing-psb",
        recipient_key=recipient.encryption_public,
        kind="message",
        body={"subject": "s", "text": MARKER, "priority": "routine"},
        **kwargs,
    )


def test_an_envelope_round_trips_and_only_the_recipient_opens_it() -> None:
    a, b, c = NodeKeys.generate(), NodeKeys.generate(), NodeKeys.generate()
    env = _sealed(a, b, handling="H2", reliability="A", accuracy=1)
    parsed = Envelope.from_json(json.loads(env.wire()))
    assert parsed == env
    wire.verify(parsed, a.signing_public)
    assert wire.open_body(parsed, b)["text"] == MARKER
    assert MARKER.encode() not in env.wire()
    with pytest.raises(Rejected) as info:
        wire.open_body(parsed, c)
    assert info.value.code == "bad_payload"
    with pytest.raises(Rejected) as info:
        wire.verify(parsed, c.signing_public)
    assert info.value.code == "bad_signature"


@pytest.mark.parametrize("field", ["payload", "sig", "handling", "created_at"])
def test_one_flipped_byte_anywhere_breaks_the_signature(field: str) -> None:
    a, b = NodeKeys.generate(), NodeKeys.generate()
    env = _sealed(a, b)
    if field in ("payload", "sig"):
        raw = bytearray(getattr(env, field))
        raw[len(raw) // 2] ^= 0x01
        env = replace(env, **{field: bytes(raw)})
    elif field == "handling":
        env = replace(env, handling="H0" if env.handling != "H0" else "H1")
    else:
        env = replace(env, created_at="2020-01-01T00:00:00.000Z")
    with pytest.raises(Rejected) as info:
        wire.verify(env, a.signing_public)
    assert info.value.code == "bad_signature"


def test_a_payload_lifted_into_another_peers_envelope_is_refused() -> None:
    """C re-signs A's sealed payload as its own: the sealed header still says A."""
    a, b, c = NodeKeys.generate(), NodeKeys.generate(), NodeKeys.generate()
    env = _sealed(a, b)
    stolen = replace(env, sender="kr-busan-mpa", sig=b"")
    stolen = replace(stolen, sig=c.signing.sign(stolen.signed_bytes()).signature)
    wire.verify(stolen, c.signing_public)  # a valid signature of C's ...
    with pytest.raises(Rejected, match="another envelope"):
        wire.open_body(stolen, b)  # ... over a payload sealed for A's envelope


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda o: o.pop("sig"), "malformed"),
        (lambda o: o.update(v=2), "version"),
        (lambda o: o.update(v=True), "version"),
        (lambda o: (o.update(v=2), o.pop("sig"), o.update(extra=1)), "version"),
        (lambda o: o.update(accuracy=1.0), "malformed"),
        (lambda o: o.update(created_at="2026-1-2T4:5:6.7Z"), "malformed"),
        (lambda o: o.update(id="not-a-ulid"), "malformed"),
        (lambda o: o.update(kind="gossip"), "kind_unknown"),
        (lambda o: o.update(handling="H9"), "malformed"),
        (lambda o: o.update(handling="H3", handling_note=None), "malformed"),
        (lambda o: o.update(reliability="Z"), "malformed"),
        (lambda o: o.update(accuracy=5), "malformed"),
        (lambda o: o.update(accuracy=True), "malformed"),
        (lambda o: o.update(created_at="yesterday"), "malformed"),
        (lambda o: o.update(payload="%%%"), "malformed"),
        (lambda o: o.update(payload="A" * (wire.MAX_PAYLOAD * 4 // 3 + 8)), "too_large"),
        (lambda o: o.update(extra=1), "malformed"),
    ],
)
def test_a_malformed_envelope_is_refused_with_its_reason(change: Any, code: str) -> None:
    obj = _sealed(NodeKeys.generate(), NodeKeys.generate()).to_json()
    change(obj)
    with pytest.raises(Rejected) as info:
        Envelope.from_json(obj)
    assert info.value.code == code
    assert info.value.reason


def test_ulids_are_unique_sortable_and_carry_their_time() -> None:
    ids = [ulid.new() for _ in range(2000)]
    assert len(set(ids)) == len(ids) and ids == sorted(ids)
    assert all(ulid.is_valid(i) for i in ids)
    now = int(datetime.now(UTC).timestamp() * 1000)
    assert abs(ulid.milliseconds(ids[-1]) - now) < 5_000


def test_key_files_are_owner_only_and_refused_otherwise(tmp_path: Path) -> None:
    keys = NodeKeys.generate()
    keys.save(tmp_path / "keys")
    for f in (tmp_path / "keys").iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    assert NodeKeys.load(tmp_path / "keys").signing_public == keys.signing_public
    os.chmod(tmp_path / "keys" / "signing.key", 0o644)
    with pytest.raises(InvalidInput, match="readable by others"):
        NodeKeys.load(tmp_path / "keys")
    with pytest.raises(FileExistsError):
        keys.save(tmp_path / "keys")  # never overwrites a node's keys


# ---- peers and cards -------------------------------------------------------------------


def test_a_card_that_lies_about_its_fingerprint_or_signature_is_refused(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    card = b.card()
    forged = {**card, "fingerprint": a.card()["fingerprint"]}
    with pytest.raises(InvalidInput, match="fingerprint"):
        identity.read_card(forged)
    renamed = {**card, "url": "http://evil.test"}
    with pytest.raises(InvalidInput, match="not signed"):
        identity.read_card(renamed)
    # the same node id with other keys is not silently re-pinned
    other = NodeKeys.generate()
    impostor = {
        **card,
        "signing_key": base64.b64encode(other.signing_public).decode(),
        "encryption_key": base64.b64encode(other.encryption_public).decode(),
        "fingerprint": other.fingerprint,
    }
    impostor["sig"] = base64.b64encode(
        other.signing.sign(
            b"hoptac/v1/card\x00"
            + wire.canonical({k: v for k, v in impostor.items() if k != "sig"})
        ).signature
    ).decode()
    with transaction(a.factory) as s, pytest.raises(Conflict, match="other keys"):
        peering.add_peer(s, impostor)
    for field in ("signing_key", "sig", "url"):
        with pytest.raises(InvalidInput, match="strings"):
            identity.read_card({**card, field: 7})
    with pytest.raises(InvalidInput, match="version"):
        identity.read_card({**card, "v": 2})


def test_a_partners_new_keys_are_pinned_only_after_the_old_pin_is_revoked(
    nodes: tuple[Node, Node], tmp_path: Path
) -> None:
    a, b = nodes
    send(a, b)
    _deliver(a, b)
    waiting = send(a, b, subject="queued before the partner changed keys")
    # B's node is rebuilt with new keys under the same id
    new_b = make_node(
        fresh_database("sqlite", tmp_path)[0], tmp_path / "b2", b.node_id, "北京市公安局"
    )
    with transaction(new_b.factory) as s:
        peering.add_peer(s, a.card())
    with transaction(a.factory) as s, pytest.raises(Conflict):
        peering.add_peer(s, new_b.card(), keys=a.keys)
    with transaction(a.factory) as s:
        peering.revoke_peer(s, b.node_id)
    old = wire.seal(
        b.keys,
        sender=b.node_id,
        recipient=a.node_id,
        recipient_key=a.keys.encryption_public,
        kind="message",
        body={"subject": "x", "text": "y", "priority": "routine"},
    )
    _refused(a, old.to_json(), "unknown_sender")  # the old keys are no longer trusted
    with transaction(a.factory) as s:
        peer = peering.add_peer(s, new_b.card(), keys=a.keys)
        assert peer.fingerprint == new_b.keys.fingerprint and peer.active
    # what waited in the outbox was sealed again: the rebuilt node opens it
    _deliver(a, new_b)
    assert _row(a, waiting.envelope_id).status == "delivered"
    with transaction(new_b.factory) as s:
        shown = hotline.read_message(s, new_b.keys, new_b.principal(), waiting.envelope_id)
    assert shown.body["subject"] == "queued before the partner changed keys"
    assert _count(a) == 2  # both messages: the one delivered under the old keys stays


# ---- the inbox -------------------------------------------------------------------------


def test_a_message_is_delivered_read_and_answered(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    sent = send(a, b, priority="urgent")
    assert _row(a, sent.envelope_id).status == "queued"
    received = _deliver(a, b)
    assert len(received.receipts) == 1 and not received.rejected
    row = _row(a, sent.envelope_id)
    assert row.status == "delivered" and row.receipt is not None
    # B reads it: A learns so from B's status envelope
    with transaction(b.factory) as s:
        message = hotline.read_message(s, b.keys, b.principal(), sent.envelope_id)
        assert message.body["text"] == f"Nội dung {MARKER}" and message.needs_ack
    _deliver(b, a)
    assert _row(a, sent.envelope_id).read_at is not None
    # B answers: the original shows answered
    with transaction(b.factory) as s:
        reply = hotline.send_message(
            s,
            b.keys,
            b.principal(),
            to=a.node_id,
            subject="Re",
            text="Đã nhận",
            in_reply_to=sent.envelope_id,
        )
    _deliver(b, a)
    with a.factory() as s:
        rows, total = hotline.list_envelopes(s, a.principal(), a.keys)
        listed = {m["id"]: m for m in rows}
    assert total == len(rows) == 2
    assert listed[sent.envelope_id]["status"] == "answered"
    assert listed[reply.envelope_id]["thread"] == sent.envelope_id


def test_a_retried_envelope_is_stored_once_and_acknowledged_again(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    sent = send(a, b)
    obj = json.loads(_row(a, sent.envelope_id).wire)
    for _ in range(3):
        with transaction(b.factory) as s:
            again = inbox.receive(s, b.keys, [obj])
        assert len(again.receipts) == 1 and not again.rejected
    assert _count(b) == 1


def _refused(b: Node, obj: Any, code: str) -> None:
    before = _count(b)
    with transaction(b.factory) as s:
        out = inbox.receive(s, b.keys, [obj], client="198.51.100.7")
    assert not out.receipts
    assert [r["code"] for r in out.rejected] == [code], out.rejected
    assert _count(b) == before  # nothing stored
    assert _rejections(b)[-1]["code"] == code  # ... but logged


def test_the_inbox_refuses_each_bad_envelope_with_a_reason_and_stores_nothing(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    good = json.loads(_row(a, send(a, b).envelope_id).wire)

    flipped = dict(good)
    raw = bytearray(base64.b64decode(good["payload"]))
    raw[10] ^= 0x01
    flipped["payload"] = base64.b64encode(bytes(raw)).decode()
    _refused(b, flipped, "bad_signature")

    bad_sig = dict(good)
    sig = bytearray(base64.b64decode(good["sig"]))
    sig[0] ^= 0x80
    bad_sig["sig"] = base64.b64encode(bytes(sig)).decode()
    _refused(b, bad_sig, "bad_signature")

    stranger = NodeKeys.generate()
    unknown = wire.seal(
        stranger,
        sender="la-vientiane-pd",
        recipient=b.node_id,
        recipient_key=b.keys.encryption_public,
        kind="message",
        body={"subject": "x", "text": "y", "priority": "routine"},
    )
    _refused(b, unknown.to_json(), "unknown_sender")

    elsewhere = wire.seal(
        a.keys,
        sender=a.node_id,
        recipient="kr-busan-mpa",
        recipient_key=b.keys.encryption_public,
        kind="message",
        body={"subject": "x", "text": "y", "priority": "routine"},
    )
    _refused(b, elsewhere.to_json(), "wrong_node")

    def sealed(**kw: Any) -> dict[str, Any]:
        fields = {
            "sender": a.node_id,
            "recipient": b.node_id,
            "recipient_key": b.keys.encryption_public,
            "kind": "message",
            "body": {"subject": "x", "text": "y", "priority": "routine"},
        } | kw
        return wire.seal(a.keys, **fields).to_json()

    _refused(b, sealed(kind="hit"), "kind_not_allowed")  # the agreement allows messages
    _refused(b, sealed(created_at=datetime.now(UTC) + timedelta(hours=1)), "clock")
    _refused(b, sealed(created_at=datetime.now(UTC) - timedelta(days=8)), "expired")
    _refused(b, sealed(body={"subject": "x"}), "bad_payload")
    message = {"subject": "x", "text": "y", "priority": "routine"}
    _refused(b, sealed(body={**message, "attachments": 5}), "bad_payload")
    _refused(b, sealed(body={**message, "in_reply_to": {"id": 1}}), "bad_payload")
    _refused(b, sealed(body={**message, "thread": 12}), "bad_payload")
    _refused(b, sealed(body={**message, "author": 5}), "bad_payload")
    attached = {"name": "a.txt", "type": 5, "data": "QUJD", "size": 3,
                "sha256": hashlib.sha256(b"ABC").hexdigest()}  # fmt: skip
    _refused(b, sealed(body={**message, "attachments": [attached]}), "bad_payload")
    _refused(
        b,
        sealed(
            envelope_id=ulid.new(),
            body={
                "subject": "x",
                "text": "y",
                "priority": "routine",
                "attachments": [{"name": "a.pdf", "data": "QUJD", "size": 3, "sha256": "0" * 64}],
            },
        ),
        "bad_payload",
    )
    big = {"n": base64.b64encode(os.urandom(wire.MAX_PAYLOAD)).decode()}
    with pytest.raises(Rejected) as info:
        sealed(body=big)
    assert info.value.code == "too_large"  # the sender refuses to make it ...
    oversized = dict(good, payload="A" * (wire.MAX_PAYLOAD * 4 // 3 + 8))
    _refused(b, oversized, "too_large")  # ... and the receiver to take one

    # the same id again with other content: a replay, not a retry
    _deliver(a, b)
    replay = sealed(envelope_id=good["id"])
    _refused(b, replay, "replayed")
    assert _count(b) == 1


def test_a_batch_stores_the_good_envelopes_around_a_bad_one_in_order(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    ids = [send(a, b, subject=f"n{i}").envelope_id for i in range(5)]
    with a.factory() as s:
        objs = [json.loads(_row(a, i).wire) for i in ids]
    objs[2]["sig"] = base64.b64encode(b"\x00" * 64).decode()
    with transaction(b.factory) as s:
        out = inbox.receive(s, b.keys, objs)
    assert [r["envelope"] for r in out.receipts] == [ids[i] for i in (0, 1, 3, 4)]
    assert [r["id"] for r in out.rejected] == [ids[2]]
    with b.factory() as s:
        stored = s.scalars(sa.select(EnvelopeRow.envelope_id).order_by(EnvelopeRow.seq)).all()
    assert stored == [ids[i] for i in (0, 1, 3, 4)]


def test_a_forged_receipt_does_not_mark_a_message_delivered(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    sent = send(a, b)
    env = Envelope.from_json(json.loads(_row(a, sent.envelope_id).wire))
    forged = wire.receipt(NodeKeys.generate(), env, b.node_id, datetime.now(UTC))
    with transaction(a.factory) as s:
        peer = peering.peer_by_node(s, b.node_id)
        rows = list(s.scalars(sa.select(EnvelopeRow)))
        settled = outbox.settle(s, peer, rows, {"receipts": [forged]})
        assert (settled.delivered, settled.rejected) == (0, 0) and len(settled.pending) == 1
        outbox.mark_tried(s, settled.pending, "", datetime.now(UTC))
    row = _row(a, sent.envelope_id)
    assert row.status == "sent" and "receipt refused" in (row.last_error or "")


def test_the_database_holds_no_readable_message(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    send(a, b, attachments=[hotline.Attachment("a.txt", "text/plain", MARKER.encode() * 3)])
    _deliver(a, b)
    with b.factory() as s:
        hotline.read_message(s, b.keys, b.principal(), _only_message(b))
        s.commit()
    for node in (a, b):
        with node.factory() as s:
            rows = s.scalars(sa.select(EnvelopeRow)).all()
            blob = b"".join(r.wire + r.sealed for r in rows)
            audit = json.dumps([e.detail for e in s.scalars(sa.select(AuditEvent))])
        assert MARKER.encode() not in blob and MARKER not in audit
        if node.url.startswith("sqlite:///"):
            raw = Path(node.url.removeprefix("sqlite:///")).read_bytes()
            assert MARKER.encode() not in raw and "Nội dung".encode() not in raw


def _only_message(node: Node) -> str:
    with node.factory() as s:
        return str(
            s.scalar(sa.select(EnvelopeRow.envelope_id).where(EnvelopeRow.kind == "message"))
        )


# ---- handling codes --------------------------------------------------------------------


def test_h2_is_not_forwarded_or_exported_without_the_providers_permission(
    nodes: tuple[Node, Node], tmp_path: Path
) -> None:
    a, b = nodes
    c = _partner_of(b, tmp_path, "kr-busan-mpa", "부산경찰청")
    sent = send(a, b, handling="H2")
    _deliver(a, b)
    with b.factory() as s, pytest.raises(Forbidden, match="H2"):
        hotline.forward(s, b.keys, b.principal(), sent.envelope_id, c.node_id)
    with b.factory() as s:
        denied = s.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "hotline.forward_denied")
        ).all()
        assert len(denied) == 1 and denied[0].outcome == "denied"
        assert s.scalar(sa.select(sa.func.count()).where(EnvelopeRow.direction == "out")) == 0
        rows, withheld = hotline.export(s, b.keys, b.principal())
        assert (rows, withheld) == ([], 1)
    # A (the provider) permits passing it to C, and export
    with transaction(a.factory) as s:
        hotline.grant(s, a.keys, a.principal(), sent.envelope_id, c.node_id)
        hotline.grant(s, a.keys, a.principal(), sent.envelope_id, "export")
    _deliver(a, b)
    assert _count(b, ExchangePermission) == 2
    with transaction(b.factory) as s:
        forwarded = hotline.forward(s, b.keys, b.principal(), sent.envelope_id, c.node_id)
        assert forwarded.handling == "H2" and forwarded.status == "queued"
        assert forwarded.origin_id == sent.envelope_id
        rows, withheld = hotline.export(s, b.keys, b.principal())
        assert withheld == 0 and MARKER in rows[0]["text"]
    # nobody but the provider grants: B cannot grant on A's message, nor on its copy
    with b.factory() as s, pytest.raises(InvalidInput, match="provider"):
        hotline.grant(s, b.keys, b.principal(), sent.envelope_id, "export")
    with b.factory() as s, pytest.raises(InvalidInput, match="provider"):
        hotline.grant(s, b.keys, b.principal(), forwarded.envelope_id, "export")


def test_a_forwarded_h2_copy_stays_under_the_providers_permissions(
    nodes: tuple[Node, Node], tmp_path: Path
) -> None:
    """B may pass A's H2 message to C (A said so); the copy B sent is still A's
    information: it goes no further (to D) and is not exported without A's leave."""
    a, b = nodes
    c = _partner_of(b, tmp_path, "kr-busan-mpa", "부산경찰청")
    d = _partner_of(b, tmp_path, "la-vientiane-ps", "Lào")
    sent = send(a, b, handling="H2")
    with transaction(a.factory) as s:  # granted before the message even left: one batch
        hotline.grant(s, a.keys, a.principal(), sent.envelope_id, c.node_id)
    _deliver(a, b)
    assert _row(a, sent.envelope_id).status == "delivered"
    assert _count(b, ExchangePermission) == 1  # the permission in the same batch held
    with transaction(b.factory) as s:
        copy = hotline.forward(s, b.keys, b.principal(), sent.envelope_id, c.node_id)
    with b.factory() as s, pytest.raises(Forbidden):
        hotline.forward(s, b.keys, b.principal(), copy.envelope_id, d.node_id)
    with b.factory() as s:
        rows, withheld = hotline.export(s, b.keys, b.principal())
    assert withheld == 2 and all(MARKER not in str(r.get("text")) for r in rows)


def test_a_partner_cannot_file_its_message_into_another_partners_thread(
    nodes: tuple[Node, Node], tmp_path: Path
) -> None:
    a, b = nodes
    c = _partner_of(b, tmp_path, "kr-busan-mpa", "부산경찰청")
    with transaction(c.factory) as s:
        peering.add_peer(s, b.card())
    sent = send(a, b)
    _deliver(a, b)
    intruder = wire.seal(
        c.keys, sender=c.node_id, recipient=b.node_id, recipient_key=b.keys.encryption_public,
        kind="message", body={"subject": "x", "text": "y", "priority": "routine",
                              "thread": sent.envelope_id},
    )  # fmt: skip
    with transaction(b.factory) as s:
        inbox.receive(s, b.keys, [intruder.to_json()])
    assert _row(b, intruder.id).thread_id == intruder.id


def test_only_signed_final_refusals_drop_a_message(nodes: tuple[Node, Node]) -> None:
    """A refusal must be signed by the partner, and only a final one (not one the partner
    can cure, such as not having pinned us yet) takes the message out of the outbox."""
    a, b = nodes
    sent = send(a, b)
    stranger = NodeKeys.generate()

    def settle(refusal: dict[str, Any]) -> outbox.Settled:
        with transaction(a.factory) as s:
            peer = peering.peer_by_node(s, b.node_id)
            rows = list(s.scalars(sa.select(EnvelopeRow)))
            return outbox.settle(s, peer, rows, {"receipts": [], "rejected": [refusal]})

    forged = wire.refusal(stranger, b.node_id, a.node_id, sent.envelope_id, "too_large", "no")
    assert settle(forged).rejected == 0  # not B's signature
    curable = wire.refusal(b.keys, b.node_id, a.node_id, sent.envelope_id, "unknown_sender", "?")
    assert settle(curable).pending and _row(a, sent.envelope_id).status == "queued"
    final = wire.refusal(b.keys, b.node_id, a.node_id, sent.envelope_id, "too_large", "big")
    assert settle(final).rejected == 1
    assert _row(a, sent.envelope_id).status == "rejected"


def test_only_the_nodes_own_officers_use_the_hotline(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    own = a.principal()
    viewer = replace(own, role=Role.VIEWER)
    stranger = replace(own, agency_id=own.agency_id + 999)
    with a.factory() as s:
        with pytest.raises(Forbidden):
            hotline.conversations(s, viewer)
        with pytest.raises(NotFound):
            hotline.conversations(s, stranger)
        assert hotline.unread_total(s, stranger) is None
        with pytest.raises(NotFound):
            hotline.send_message(s, a.keys, stranger, to=b.node_id, subject="s", text="t")


def test_bad_message_input_is_refused_field_by_field(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    with a.factory() as s, pytest.raises(InvalidInput) as info:
        hotline.send_message(
            s,
            a.keys,
            a.principal(),
            to=b.node_id,
            subject="",
            text="",
            priority="asap",
            handling="H3",
            reliability="Q",
            accuracy=7,
            attachments=[
                hotline.Attachment("big.bin", "", b"x" * (hotline.MAX_ATTACHMENTS_BYTES + 1))
            ],
        )
    fields = {e.field for e in info.value.errors}
    assert fields == {
        "subject",
        "body",
        "priority",
        "handling_note",
        "reliability",
        "accuracy",
        "attachments",
    }
    assert _count(a) == 0
    with a.factory() as s, pytest.raises(NotFound):
        hotline.send_message(s, a.keys, a.principal(), to="xx-nowhere", subject="s", text="t")


def test_the_listing_checks_who_asks_itself(nodes: tuple[Node, Node]) -> None:
    """`list_envelopes` refuses a viewer and another agency's officer on its own, not
    only when its callers remember to ask (code health: access checks in the service)."""
    a, b = nodes
    send(a, b)
    with a.factory() as s:
        agency = identity.this_node(s).agency_id
        viewer = Principal(None, "viewer", agency, Role.VIEWER)
        stranger = Principal(None, "other", agency + 999, Role.OFFICER)
        with pytest.raises(Forbidden):
            hotline.list_envelopes(s, viewer, None)
        with pytest.raises(NotFound):
            hotline.list_envelopes(s, stranger, None)
        rows, total = hotline.list_envelopes(s, a.principal(), None, limit=1, offset=0)
        assert total == 1 and len(rows) == 1


def test_a_received_message_over_the_limits_is_refused(nodes: tuple[Node, Node]) -> None:
    """One set of rules for a message body, sent or received: a partner's subject past
    200 characters is a bad payload, as it could not have been sent from here."""
    a, b = nodes
    with transaction(a.factory) as s:
        peer = peering.peer_by_node(s, b.node_id)
        row = outbox.enqueue(
            s, a.keys, peer, "message",
            {"subject": "x" * 201, "text": "t", "priority": "routine", "thread": None,
             "in_reply_to": None, "author": None, "attachments": []},
        )  # fmt: skip
    with transaction(b.factory) as s:
        out = inbox.receive(s, b.keys, [json.loads(row.wire)])
    assert [(r["code"], r["reason"]) for r in out.rejected] == [
        ("bad_payload", "subject: 1 to 200 characters")
    ]
