"""Keep leads' score, grade, owner and contact deadline current whenever they change.

Called by the write paths only: `capture.ingest_many` (new interaction),
`leads.update_lead` (edited answers, contact, rating) and the roster import
(completion), inside their transaction. The scoring and routing themselves are
the pure functions of scoring.py and routing.py; this module fetches what they
need in a few queries per batch (never per lead) and writes their results.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from .assignment import assign
from .db import is_sqlite, utcnow
from .facts import LeadFacts, facts_for
from .followup import is_open, sla_due
from .models import Event, Interaction, Lead, RoutingCounter, User
from .routing import Rep, Router, compile_routing, rep_emails
from .scoring import compile_scoring, grade_at_least


def requalify(session: Session, event: Event, leads: Iterable[Lead], meetings: dict | None = None,
              now: datetime | None = None) -> list[Lead]:
    """Re-score `leads` of `event`, route those now eligible and unowned; return the leads assigned now.

    `meetings` maps a lead to its [{"staff_id", "at"}] meetings when the caller
    has them (capture does); otherwise they are read in one query. Only changes
    objects in the session: the caller flushes and commits.
    """
    settings = event.settings or {}
    scorer = compile_scoring(settings.get("scoring"), settings.get("questions", []))
    routing = settings.get("routing")
    leads = list(dict.fromkeys(leads))
    if (scorer is None and not routing) or not leads:
        return []
    now = now or utcnow()
    # No flush in here: the routing lock must be taken before this transaction writes lead rows (see _lock).
    with session.no_autoflush:
        if meetings is None:
            meetings = _meetings(session, leads)
        attended = _events_attended(session, event, leads) if scorer is not None and scorer.uses_history else {}
        facts: dict[Lead, LeadFacts] = {}
        for lead in leads:
            lead_facts = facts_for(lead, meetings.get(lead, ()), event.tz, attended.get(lead.email, 0) + 1)
            if scorer is not None:
                result = scorer(lead_facts)
                if (lead.score, lead.grade, lead.score_explanation) != (result.score, result.grade, result.explanation):
                    lead.score, lead.grade, lead.score_explanation = result.score, result.grade, result.explanation
            facts[lead] = lead_facts.with_grade(lead.grade)
        if not routing:
            return []
        sla_hours = routing.get("sla_hours") or {}
        due = [lead for lead in leads if lead.owner_id is None and is_open(lead)
               and grade_at_least(lead.grade, routing.get("min_grade"))]
        assigned = _route(session, event, routing, due, facts, now, sla_hours) if due else []
        for lead in leads:
            if lead not in assigned and lead.owner_id is not None:
                lead.sla_due_at = sla_due(lead, sla_hours)  # the grade may have changed
    return assigned


def _route(session: Session, event: Event, routing: dict, due: list[Lead], facts: dict, now: datetime,
           sla_hours: dict) -> list[Lead]:
    _lock(session, event)
    router = _router(session, routing)
    rows = {(c.rule_id, c.user_id): c for c in session.scalars(
        select(RoutingCounter).where(RoutingCounter.event_id == event.id))}
    counts = {key: row.assigned for key, row in rows.items()}
    assigned = []
    for lead in due:
        route = router.route(facts[lead], counts)
        if route.owner_id is None:
            lead.routing_rule, lead.routing_reason = None, route.reason  # shown: why nobody has it yet
            continue
        assign(session, lead, route.owner_id, route.rule_id, route.reason, now, sla_hours)
        assigned.append(lead)
        if route.counter is not None:
            counts[route.counter] = counts.get(route.counter, 0) + 1
    for key, value in counts.items():
        if key in rows:
            rows[key].assigned = value
        else:
            session.add(RoutingCounter(event_id=event.id, rule_id=key[0], user_id=key[1], assigned=value))
    return assigned


def lock_routing(session: Session, event: Event) -> None:
    """Take the event's routing lock now if it routes leads; callers that write leads in bulk
    call this before their first write (see _lock for why the order matters)."""
    if (event.settings or {}).get("routing"):
        _lock(session, event)


def _lock(session: Session, event: Event) -> None:
    """Serialise routing per event so two workers never read the same turn counters.

    PostgreSQL: FOR NO KEY UPDATE on the event row; it does not block the
    inserts that reference the event, and it is taken before this transaction
    writes any lead row, so routers always lock in the same order. SQLite
    needs nothing: every write transaction there already holds the database.
    """
    if not is_sqlite(session):
        session.execute(select(Event.id).where(Event.id == event.id).with_for_update(key_share=True))


def router_for(session: Session, event: Event) -> Router | None:
    """The event's compiled routing rules with its reps as they are now (for the rule tester)."""
    return _router(session, (event.settings or {}).get("routing"))


def _router(session: Session, routing: dict | None) -> Router | None:
    emails = rep_emails(routing)
    users = session.scalars(select(User).where(User.email.in_(emails), User.active.is_(True))) if emails else []
    reps = {u.email: Rep(id=u.id, email=u.email, name=u.name, capacity=u.capacity, away=u.away,
                         countries=tuple(u.territory_countries or ()), regions=tuple(u.territory_regions or ()),
                         postal_prefixes=tuple(u.territory_postal_prefixes or ())) for u in users}
    return compile_routing(routing, reps)


def _meetings(session: Session, leads: list[Lead]) -> dict:
    ids = {lead.id: lead for lead in leads if lead.id is not None}
    found: dict = defaultdict(list)
    if ids:
        rows = session.execute(select(Interaction.lead_id, Interaction.staff_user_id, Interaction.captured_at)
                               .where(Interaction.lead_id.in_(ids)))
        for lead_id, staff_id, at in rows:
            found[ids[lead_id]].append({"staff_id": staff_id, "at": at})
    return found


def _events_attended(session: Session, event: Event, leads: list[Lead]) -> dict[str, int]:
    """e-mail -> how many other events have a lead with it."""
    emails = {lead.email for lead in leads if lead.email}
    if not emails:
        return {}
    return dict(session.execute(
        select(Lead.email, func.count(distinct(Lead.event_id)))
        .where(Lead.email.in_(emails), Lead.event_id != event.id).group_by(Lead.email)).all())
