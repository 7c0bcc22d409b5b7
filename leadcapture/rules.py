"""An event's scoring and routing rules as a whole: check, apply (all or nothing), export, rescore.

The web editor, the JSON import (web and `leadcapture rules import`) and the
demo all go through `apply_rules`; the export is what `export_rules` returns.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.outbox import enqueue as enqueue_sync

from .actors import Actor
from .audit import record
from .models import Event, Lead, Notification, Role, User, event_members
from .qualify import requalify
from .routing import rep_emails
from .rule_settings import check_rules

RESCORE_CHUNK = 2000  # leads per requalify call when rescoring a whole event


class RulesRejected(Exception):
    """A rule set that was not applied; `problems` has one sentence per rule and what is wrong."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def export_rules(event: Event) -> dict:
    """The event's rule set as JSON-ready data: {"scoring": ..., "routing": ...}."""
    settings = event.settings or {}
    return {"scoring": settings.get("scoring"), "routing": settings.get("routing")}


def validate_rules(session: Session, event: Event, raw) -> tuple[dict | None, list[str]]:
    """Check a rule set against the event's questions and people. Returns (clean, []) or (None, problems)."""
    clean, problems = check_rules(raw, (event.settings or {}).get("questions", []))
    if problems:
        return None, problems
    return (None, problems) if (problems := _people_problems(session, event, clean["routing"])) else (clean, [])


def apply_rules(session: Session, event: Event, raw, actor: Actor) -> dict:
    """Replace the event's rules with `raw`, audited, and rescore its leads; returns the clean rules.

    Raises RulesRejected and changes nothing when any rule is wrong.
    """
    clean, problems = validate_rules(session, event, raw)
    if problems:
        raise RulesRejected(problems)
    before = export_rules(event)
    event.settings = {**(event.settings or {}), **clean}  # a new dict: JSON columns miss in-place changes
    record(session, actor, "rules.update", "event", event.id, event.id, {"before": before, "after": clean})
    rescore_event(session, event)
    session.flush()
    return clean


def rescore_event(session: Session, event: Event) -> int:
    """Re-score every lead of the event with its current rules (and route the ones now due); returns the count."""
    ids = list(session.scalars(select(Lead.id).where(Lead.event_id == event.id).order_by(Lead.id)))
    for start in range(0, len(ids), RESCORE_CHUNK):
        chunk = session.scalars(select(Lead).where(Lead.id.in_(ids[start:start + RESCORE_CHUNK]))).all()
        requalify(session, event, chunk)
        enqueue_sync(session, event.id, [lead.id for lead in chunk])  # new scores and owners reach the CRMs
        session.flush()
        # Done with these rows: a session that kept 50,000 leads would slow every later flush down.
        for obj in [*chunk, *(o for o in session.identity_map.values() if isinstance(o, Notification))]:
            session.expunge(obj)
    return len(ids)


def _people_problems(session: Session, event: Event, routing: dict | None) -> list[str]:
    """Reps and the fallback owner must be active users who work this event."""
    emails = rep_emails(routing)
    if not emails:
        return []
    members = set(session.scalars(select(event_members.c.user_id).where(event_members.c.event_id == event.id)))
    users = {u.email: u for u in session.scalars(select(User).where(User.email.in_(emails)))}

    def problem(email: str) -> str | None:
        user = users.get(email)
        if user is None:
            return f"{email} is not a user (deleted, or never created)"
        if not user.active:
            return f"{email} is deactivated"
        if user.id not in members and user.role != Role.ADMIN.value:
            return f"{email} does not work this event; add them to it first"
        return None

    problems = []
    for n, rule in enumerate(routing["rules"], 1):
        for email in rule["reps"]:
            if (why := problem(email)) is not None:
                problems.append(f"routing rule #{n} \"{rule['id']}\": rep {why}")
    if routing.get("fallback_owner") and (why := problem(routing["fallback_owner"])) is not None:
        problems.append(f"routing: fallback owner {why}")
    return problems
