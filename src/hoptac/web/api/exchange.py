"""The exchange between nodes (docs/exchange-protocol.md). Not for people: a partner node
calls these, and is authenticated by the signatures on what it sends, not by a login.

GET  /exchange/v1/card    this node's public card
POST /exchange/v1/inbox   {"envelopes": [...]} -> {"receipts": [...], "rejected": [...]}
"""

# No `from __future__ import annotations`: FastAPI reads the signatures at runtime.
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from hoptac.db.engine import transaction
from hoptac.errors import InvalidInput
from hoptac.exchange import identity
from hoptac.exchange import inbox as exchange_inbox
from hoptac.web import problems
from hoptac.web.api import RESPONSES, operation_id
from hoptac.web.deps import DB, client_of, node_keys
from hoptac.web.middleware import PeerAllowance, mark_partner

router = APIRouter(
    prefix="/exchange/v1",
    tags=["exchange"],
    responses=RESPONSES,
    generate_unique_id_function=operation_id,
)

MAX_BATCH = 1000  # envelopes in one POST
# Envelopes answered in a request that no fresh envelope of a partner vouches for (a
# stranger's, a forger's, or a partner's retry of envelopes stored before): bounded work.
ANONYMOUS_BATCH = 25


@router.get("/card", summary="This node's public card", name="exchange_card")
def get_card(request: Request, db: DB) -> dict[str, Any]:
    return identity.card(identity.this_node(db), node_keys(request))


@router.post("/inbox", summary="Deliver envelopes to this node", name="exchange_inbox")
async def inbox(request: Request) -> JSONResponse:
    try:
        obj = json.loads(await request.body())
    except (ValueError, RecursionError):  # not JSON, or nested past the parser's limit
        raise InvalidInput('the body must be JSON: {"envelopes": [...]}') from None
    envelopes = obj.get("envelopes") if isinstance(obj, dict) else None
    if not isinstance(envelopes, list) or not 1 <= len(envelopes) <= MAX_BATCH:
        raise InvalidInput(f'the body must be {{"envelopes": [1 to {MAX_BATCH} envelopes]}}')
    keys, client = node_keys(request), client_of(request)
    allowance: PeerAllowance = request.app.state.peer_allowance

    def store() -> exchange_inbox.Received | int:
        # stored and committed before the receipts go out: a receipt means on disk
        with transaction(request.app.state.sessionmaker) as session:
            partner = exchange_inbox.partner_of(session, envelopes[0])
            if partner is None:
                # Until a sender is known the node does the work of a few envelopes: the
                # first ANONYMOUS_BATCH are answered (receipts or signed refusals), the
                # rest left unanswered (the sender sends them again).
                return exchange_inbox.receive(session, keys, envelopes[:ANONYMOUS_BATCH], client)
            # The partner's envelopes only: others in the same request are left unanswered.
            own = [e for e in envelopes if isinstance(e, dict) and e.get("from") == partner.node_id]
            wait = allowance.take(partner.node_id, len(own))
            if wait:
                return wait  # counted as an anonymous request: its count is not given back
            mark_partner(request.scope)  # within its allowance: not an anonymous request
            return exchange_inbox.receive(session, keys, own, client)

    received = await run_in_threadpool(store)
    if isinstance(received, int):
        return problems.problem(
            429,
            f"More envelopes than this partner's allowance; retry in {received} s.",
            instance=request.url.path,
            headers={"Retry-After": str(received)},
        )
    return JSONResponse({"receipts": received.receipts, "rejected": received.rejected})
