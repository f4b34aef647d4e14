"""The test vectors of docs/exchange-protocol.md, checked against the code: a partner that
builds its own node relies on them, so a vector that no longer matches fails here."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from nacl.public import PrivateKey
from nacl.signing import SigningKey

from hoptac.assistance.schemas import StepBody
from hoptac.exchange import envelope as wire
from hoptac.exchange.envelope import Envelope
from hoptac.exchange.keys import NodeKeys
from hoptac.screening.schemas import NoticeWire

DOC = (Path(__file__).parents[1] / "docs" / "exchange-protocol.md").read_text(encoding="utf-8")
VECTORS = DOC[DOC.index("### Test vector") :]
STATUS_WIRE = "so the signature must come out exactly as below"


def _keys(row: str) -> tuple[str, str]:
    """The sender's and recipient's keys from a row of the fixed-keys table."""
    match = re.search(rf"^\| {row} \| `([0-9a-f]{{64}})` \| `([0-9a-f]{{64}})` \|$", VECTORS, re.M)
    assert match, f"no {row} row in the fixed keys table"
    return match.group(1), match.group(2)


def _nodes() -> tuple[NodeKeys, NodeKeys]:
    sign_a, sign_b = _keys("Ed25519 seed")
    box_a, box_b = _keys("X25519 secret")
    return (
        NodeKeys(SigningKey(bytes.fromhex(sign_a)), PrivateKey(bytes.fromhex(box_a))),
        NodeKeys(SigningKey(bytes.fromhex(sign_b)), PrivateKey(bytes.fromhex(box_b))),
    )


def _wire_after(marker: str) -> dict[str, Any]:
    start = VECTORS.index(marker)
    block = re.search(r"```\n(\{.*?\})\n```", VECTORS[start:], re.S)
    assert block, f"no wire form after {marker!r}"
    return dict(json.loads(block.group(1)))


def _check(env_obj: dict[str, Any], sender: NodeKeys, recipient: NodeKeys) -> dict[str, Any]:
    """The envelope verifies with the sender's public key, re-signs to the same `sig`, and
    opens with the recipient's secret; its body."""
    env = Envelope.from_json(env_obj)
    wire.verify(env, sender.signing_public)
    assert sender.signing.sign(env.signed_bytes()).signature == env.sig
    assert (
        env.wire()
        == json.dumps(env_obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )
    return wire.open_body(env, recipient)


def test_the_status_vector_verifies_and_opens() -> None:
    a, b = _nodes()
    body = _check(_wire_after(STATUS_WIRE), a, b)
    assert body == {"of": "01JDQ3Z8K6E5V7ZP1W0M4N2C9A", "status": "read"}
    digest = re.search(r"digest \(SHA-256 of the wire form\) \| `([0-9a-f]{64})`", VECTORS)
    assert digest and Envelope.from_json(_wire_after(STATUS_WIRE)).digest() == digest.group(1)


def test_the_request_vector_verifies_opens_and_is_a_valid_first_step() -> None:
    a, b = _nodes()
    start = VECTORS.index("A **`request`** envelope")
    documented = json.loads(re.search(r"```json\n(\{.*?\})\n```", VECTORS[start:], re.S).group(1))  # type: ignore[union-attr]
    body = _check(_wire_after("and the wire form is"), a, b)
    assert body == documented
    step = StepBody.model_validate(body)
    assert step.step.seq == 1 and step.data is not None and step.data.kind == "verify_identity"
    sig = re.search(r"must give this `sig`:\n`([A-Za-z0-9+/=]+)`", VECTORS)
    assert sig and sig.group(1) == _wire_after("and the wire form is")["sig"]


def test_the_notice_vector_verifies_opens_and_is_a_valid_notice() -> None:
    a, b = _nodes()
    start = VECTORS.index("A **`notice`** envelope")
    documented = json.loads(re.search(r"```json\n(\{.*?\})\n```", VECTORS[start:], re.S).group(1))  # type: ignore[union-attr]
    env_obj = _wire_after("and its wire form is")
    body = _check(env_obj, a, b)
    assert body == documented
    notice = NoticeWire.model_validate(body)
    assert notice.version == 3 and notice.data.status == "executed"
    assert env_obj["kind"] == "notice"
    sig = re.search(r"must give the `sig`\n`([A-Za-z0-9+/=]+)`", VECTORS)
    assert sig and sig.group(1) == env_obj["sig"]
