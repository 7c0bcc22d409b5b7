"""Append to the audit log; the caller's transaction decides whether it sticks."""
from __future__ import annotations

from sqlalchemy.orm import Session

from .actors import Actor
from .models import AuditEntry


def audit_values(actor: Actor, action: str, entity_type: str, entity_id: int | None,
                 event_id: int | None, details: dict | None = None) -> dict:
    return {
        "actor_kind": actor.kind, "actor_id": actor.id, "actor_label": actor.label,
        "event_id": event_id, "action": action, "entity_type": entity_type,
        "entity_id": entity_id, "details": details or {},
    }


def record(session: Session, actor: Actor, action: str, entity_type: str, entity_id: int | None,
           event_id: int | None = None, details: dict | None = None) -> AuditEntry:
    entry = AuditEntry(**audit_values(actor, action, entity_type, entity_id, event_id, details))
    session.add(entry)
    return entry
