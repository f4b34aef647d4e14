"""This node's identity: its id, URL, agency and key pair (`init_node`), the card a partner
pins (`card`, `read_card`), and the node's own sealed copy of an envelope's content
(`open_row`)."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hoptac.auth import audit
from hoptac.auth.audit import Action
from hoptac.auth.service import find_agency
from hoptac.db.models import (
    Agency,
    EnvelopeRow,
    ExchangeNode,
)
from hoptac.errors import Conflict, FieldError, InvalidInput, NotFound
from hoptac.exchange import envelope as wire
from hoptac.exchange.envelope import Rejected
from hoptac.exchange.keys import CARD_CONTEXT, NodeKeys, b64, fingerprint, unb64
from hoptac.registry import schemas as registry_schemas
from hoptac.registry import service as registry_service
from hoptac.types import (
    AgencyLevel,
    Sharing,
)

log = logging.getLogger(__name__)


NODE_ID = re.compile(r"^[a-z0-9][a-z0-9.-]{1,62}$")


SYSTEM = "exchange"  # the audit log's actor for what the node does by itself


def utc(at: datetime) -> datetime:
    """Naive UTC (as stored) from an aware time."""
    return at.astimezone(UTC).replace(tzinfo=None)


def init_node(
    session: Session,
    keys_dir: Path,
    *,
    node_id: str,
    name: str,
    url: str,
    agency_ref: str | None = None,
) -> tuple[ExchangeNode, NodeKeys]:
    """Create this node's key pair (files in `keys_dir`) and identity row. The node serves
    the agency `agency_ref` (id, ref or name), or a new agency called `name` whose country
    is the node id's prefix (`vn-hanoi-pd` is in VN)."""
    errors = []
    if not NODE_ID.match(node_id):
        errors.append(FieldError("node_id", "lower-case letters, digits, dots and dashes"))
    if not url.startswith(("http://", "https://")):
        errors.append(FieldError("url", "must start with http:// or https://"))
    if not name.strip():
        errors.append(FieldError("name", "must not be empty"))
    if errors:
        raise InvalidInput("cannot create this node", errors=errors)
    if session.scalar(sa.select(ExchangeNode)) is not None:
        raise Conflict("this node already has an identity")
    if (keys_dir / "signing.key").exists():
        raise Conflict(f"{keys_dir} already holds keys: another node's directory?")
    agency = _agency(session, name.strip(), agency_ref, node_id)
    keys = NodeKeys.generate()
    node = ExchangeNode(
        node_id=node_id,
        name=name.strip(),
        url=url.rstrip("/"),
        agency_id=agency.id,
        signing_key=b64(keys.signing_public),
        encryption_key=b64(keys.encryption_public),
    )
    session.add(node)
    session.flush()
    keys.save(keys_dir)
    audit.record(session, Action.NODE_CREATED, username=SYSTEM, detail={"node_id": node_id})
    return node, keys


def _agency(session: Session, name: str, agency_ref: str | None, node_id: str) -> Agency:
    if agency_ref:
        return find_agency(session, agency_ref)
    prefix = node_id.split("-", 1)[0].upper()
    if len(prefix) != 2 or not prefix.isalpha():
        raise InvalidInput(
            "name the node's agency (--agency) or start the node id with its country code",
            errors=[FieldError("node_id", "e.g. vn-hanoi-pd, cn-beijing-psb")],
        )
    data = registry_schemas.AgencyIn(
        name_vi=name, country=prefix, level=AgencyLevel.PROVINCE, sharing=Sharing.ALL
    )
    return registry_service.create_own_agency(session, data, SYSTEM)


def this_node(session: Session) -> ExchangeNode:
    """The node's identity, read once per session (a request, a command): it is asked for
    several times in each send and receive, and changes only at `hoptac init`."""
    node: ExchangeNode | None = session.info.get(_NODE)
    if node is None or node not in session:
        node = session.scalar(sa.select(ExchangeNode))
        if node is None:
            raise NotFound("this node has no identity yet: run `hoptac init`")
        session.info[_NODE] = node
    return node


_NODE = "hoptac.exchange.identity"


def load_keys(session: Session, keys_dir: Path) -> NodeKeys:
    """The node's private keys, checked against the public keys it published."""
    node = this_node(session)
    keys = NodeKeys.load(keys_dir)
    if b64(keys.signing_public) != node.signing_key:
        raise InvalidInput(f"the keys in {keys_dir} are not this node's")
    return keys


def card(node: ExchangeNode, keys: NodeKeys) -> dict[str, Any]:
    """The public card a partner pins: ids, URL, public keys, fingerprint, self-signed."""
    body = {
        "v": wire.VERSION,
        "node_id": node.node_id,
        "name": node.name,
        "url": node.url,
        "signing_key": node.signing_key,
        "encryption_key": node.encryption_key,
        "fingerprint": keys.fingerprint,
    }
    return wire.sign_object(keys, CARD_CONTEXT, body)


def read_card(obj: Any) -> dict[str, Any]:
    """A partner's card, checked: shape, self-signature and fingerprint."""
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey

    fields = ("node_id", "name", "url", "signing_key", "encryption_key", "fingerprint", "sig")
    if not isinstance(obj, dict) or any(not isinstance(obj.get(f), str) for f in fields):
        raise InvalidInput(f"a card is a JSON object with the strings {', '.join(fields)}")
    if type(obj.get("v")) is not int or obj["v"] != wire.VERSION:
        raise InvalidInput(f"card version {obj.get('v')!r} is not supported (1)")
    if not NODE_ID.match(obj["node_id"]):
        raise InvalidInput(f"node_id {obj['node_id']!r} is not a node id")
    if not obj["url"].startswith(("http://", "https://")):
        raise InvalidInput("the card's url must start with http:// or https://")
    signing = unb64(obj["signing_key"], "signing_key", 32)
    encryption = unb64(obj["encryption_key"], "encryption_key", 32)
    if obj["fingerprint"] != fingerprint(signing, encryption):
        raise InvalidInput("the card's fingerprint does not match its keys")
    body = {k: v for k, v in obj.items() if k != "sig"}
    try:
        VerifyKey(signing).verify(CARD_CONTEXT + wire.canonical(body), unb64(obj["sig"], "sig", 64))
    except BadSignatureError:
        raise InvalidInput("the card is not signed by its own key") from None
    return obj


def open_row(keys: NodeKeys, row: EnvelopeRow) -> dict[str, Any]:
    try:
        body: dict[str, Any] = wire.open_sealed(row.sealed, keys)["body"]
    except Rejected:
        return {"subject": "(unreadable)", "text": "", "attachments": []}
    return body
