"""A rep's follow-up of a lead: status changes (new -> accepted -> contacted -> qualified or
disqualified, with a reason) and the contact deadline (SLA) that marketing sets per grade."""
from __future__ import annotations

from datetime import datetime, timedelta

from .actors import Actor
from .models import Lead, LeadStatus

ORDER = [s.value for s in LeadStatus]  # new, accepted, contacted, qualified, disqualified
OPEN = frozenset({LeadStatus.NEW.value, LeadStatus.ACCEPTED.value})  # not contacted yet: the SLA runs
REACHED = frozenset({LeadStatus.CONTACTED.value, LeadStatus.QUALIFIED.value, LeadStatus.DISQUALIFIED.value})


def status_problem(lead: Lead, new: str, reason: str | None, actor: Actor) -> str | None:
    """Why this status change is refused, or None. Reps move forward only; marketing may correct."""
    if new == LeadStatus.DISQUALIFIED.value and not (reason or lead.status_reason or "").strip():
        return "say why the lead is disqualified (status_reason)"
    if actor.is_rep and new != lead.status and _rank(new) < _rank(lead.status):
        return f"a lead that is {lead.status} cannot go back to {new}; ask marketing to correct it"
    return None


def status_changed(lead: Lead, now: datetime) -> None:
    """After `lead.status` changed: stamp it, note when the rep first reached the person (which stops
    the SLA clock), and drop a disqualification reason that no longer applies."""
    lead.status_changed_at = now
    if lead.status in REACHED:
        lead.contacted_at = lead.contacted_at or now
        lead.sla_due_at = None
    if lead.status != LeadStatus.DISQUALIFIED.value:
        lead.status_reason = None


def sla_due(lead: Lead, sla_hours: dict) -> datetime | None:
    """When an assigned, not yet contacted lead must be contacted by, from its grade; None when no SLA applies."""
    hours = sla_hours.get(lead.grade) if lead.grade else None
    if hours is None or lead.assigned_at is None or lead.owner_id is None or not is_open(lead):
        return None
    return lead.assigned_at + timedelta(hours=hours)


def is_open(lead: Lead) -> bool:
    """Not contacted yet. A lead not flushed yet has no status: it is new."""
    return (lead.status or LeadStatus.NEW.value) in OPEN


def is_overdue(lead: Lead, now: datetime) -> bool:
    return lead.sla_due_at is not None and is_open(lead) and lead.sla_due_at < now


def _rank(status: str) -> int:
    # qualified and disqualified are both ends: neither is "behind" the other.
    return min(ORDER.index(status), ORDER.index(LeadStatus.QUALIFIED.value))
