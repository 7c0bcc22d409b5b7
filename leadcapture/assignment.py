"""Giving a lead to an owner: automatically by routing, or by hand by marketing (audited).

Both write the owner, the rule that chose them and why, the contact deadline,
and queue the owner's notification in the same transaction, so a lead is
never assigned without its notification nor notified without being assigned.
Only flushes: the caller commits.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.outbox import enqueue as enqueue_sync

from .actors import Actor
from .audit import record
from .db import utcnow
from .followup import sla_due
from .models import Event, Lead, Role, User, event_members
from .notify.queue import enqueue_assignment

MANUAL = "manual"


class AssignmentRejected(Exception):
    """A reassignment that cannot be done; the message says why."""


def assign(session: Session, lead: Lead, owner_id: int, rule_id: str, reason: dict, now: datetime,
           sla_hours: dict) -> None:
    """Make `owner_id` the lead's owner, say why, start the SLA clock and queue the notification."""
    lead.owner_id = owner_id
    lead.routing_rule = rule_id
    lead.routing_reason = reason
    lead.assigned_at = now
    lead.sla_due_at = sla_due(lead, sla_hours)
    enqueue_assignment(session, lead, owner_id)


def reassign(session: Session, lead: Lead, owner: User | None, actor: Actor, now: datetime | None = None) -> Lead:
    """Give the lead to `owner` (None: nobody) by hand. Marketing and admins only; audited.

    Raises AssignmentRejected when the actor may not reassign or the new owner
    does not work the lead's event.
    """
    if actor.user is None or actor.user.role not in (Role.ADMIN.value, Role.MARKETING.value) \
            or not actor.can_reach_event(lead.event_id):
        raise AssignmentRejected("only marketing and admins of this event can reassign leads")
    if owner is not None and not _works_event(session, owner, lead.event_id):
        raise AssignmentRejected(f"{owner.email} does not work this event; add them to it first")
    if (owner.id if owner else None) == lead.owner_id:
        return lead
    before = {"owner_id": lead.owner_id, "routing_rule": lead.routing_rule}
    now = now or utcnow()
    if owner is None:
        lead.owner_id = lead.assigned_at = lead.sla_due_at = None
        lead.routing_rule = MANUAL
        lead.routing_reason = {"en": f"unassigned by {actor.label}", "fr": f"désattribué par {actor.label}"}
    else:
        event = session.get(Event, lead.event_id)
        assign(session, lead, owner.id, MANUAL,
               {"en": f"reassigned by {actor.label}", "fr": f"réattribué par {actor.label}"}, now,
               (event.settings.get("routing") or {}).get("sla_hours") or {})
    record(session, actor, "lead.reassign", "lead", lead.id, lead.event_id,
           {"before": before, "after": {"owner_id": lead.owner_id, "routing_rule": MANUAL}})
    enqueue_sync(session, lead.event_id, [lead.id])  # the new owner reaches the CRMs
    session.flush()
    return lead


def _works_event(session: Session, user: User, event_id: int) -> bool:
    if not user.active:
        return False
    if user.role == Role.ADMIN.value:
        return True
    return session.scalar(select(event_members.c.user_id).where(
        event_members.c.event_id == event_id, event_members.c.user_id == user.id)) is not None
