"""The audit log: a model, not a log line. Event names are stable and documented here."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from hoptac.auth.principal import Principal
from hoptac.db.models import AuditEvent


class Action(StrEnum):
    LOGIN = "auth.login"
    LOGIN_FAILED = "auth.login_failed"
    LOGOUT = "auth.logout"
    TOKEN_ISSUED = "auth.token_issued"
    USER_CREATED = "auth.user_created"
    RECORD_CREATED = "record.created"
    RECORD_UPDATED = "record.updated"
    RECORD_READ = "record.read"  # one record of personal data shown (notice, register record)
    RECORDS_LISTED = "records.listed"  # a page of register records shown: register, offset
    HITS_LISTED = "screening.hits_listed"  # a page of the review queue shown: its filters
    IMPORTED = "screening.imported"  # one committed batch of an upload: counts in detail
    JOB_STARTED = "screening.job_started"
    JOB_FINISHED = "screening.job_finished"  # hits stored
    JOB_FAILED = "screening.job_failed"
    HIT_READ = "screening.hit_read"
    HIT_DECIDED = "screening.hit_decided"  # confirmed or rejected, with the reason
    SEARCHED = "screening.searched"  # a person search over registers and notices
    NODE_CREATED = "exchange.node_created"
    PEER_PINNED = "exchange.peer_pinned"
    PEER_REVOKED = "exchange.peer_revoked"
    ENVELOPE_REJECTED = "exchange.rejected"  # refused at the inbox: code and reason in detail
    MESSAGE_SENT = "hotline.sent"
    MESSAGE_READ = "hotline.read"  # a thread or an attachment opened
    MESSAGES_LISTED = "hotline.listed"  # subjects shown: a conversation or the API's list
    MESSAGE_ACKNOWLEDGED = "hotline.acknowledged"
    FORWARD_DENIED = "hotline.forward_denied"  # H2 without the provider's permission
    PERMISSION_GRANTED = "hotline.permission_granted"
    DEMO_LOADED = "demo.loaded"
    EXPORTED = "data.exported"


def record(
    session: Session,
    action: Action,
    *,
    principal: Principal | None = None,
    username: str | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    outcome: str = "ok",
    client: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an audit row to the caller's transaction: it commits or rolls back with the change."""
    session.add(
        AuditEvent(
            user_id=principal.user_id if principal else None,
            username=principal.username if principal else username,
            agency_id=principal.agency_id if principal else None,
            action=str(action),
            object_type=object_type,
            object_id=object_id,
            outcome=outcome,
            client=client,
            detail=detail,
        )
    )
