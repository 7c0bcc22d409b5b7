"""The touch ledger: every meeting of a person at an event, read from the leads and their interactions.

Leads are per event; a person across events is the set of leads sharing a
normalised e-mail, plus the leads the CRM itself tied to the deal (its
contact/lead ids, stored at sync), which covers people without an e-mail.
A lead's first interaction is the scan that created it ("scan"); later ones
are repeat visits ("visit").
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Event, Interaction, Lead
from ..models.roi import DealLead
from .attribution import EventDates, Touch

CHUNK = 5000  # ids per IN (...): well under SQLite's and PostgreSQL's parameter limits


@dataclass
class Ledger:
    """Per deal: its touches and its source lead (the earliest-created lead linked to it)."""

    touches: dict[int, list[Touch]]
    source_lead: dict[int, int | None]
    events: dict[int, EventDates]


def _chunks(ids):
    ids = list(ids)
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def load_ledger(session: Session, deal_ids: list[int] | None = None) -> Ledger:
    """Touches of the people behind `deal_ids` (all deals when None); reads only."""
    query = select(DealLead.deal_id, DealLead.lead_id)
    links: dict[int, set[int]] = defaultdict(set)
    rows = session.execute(query).all() if deal_ids is None else [
        r for part in _chunks(deal_ids) for r in session.execute(query.where(DealLead.deal_id.in_(part)))]
    for deal_id, lead_id in rows:
        links[deal_id].add(lead_id)
    linked = {lead for leads in links.values() for lead in leads}
    info: dict[int, tuple[str | None, object]] = {}
    for part in _chunks(linked):
        for lead_id, email, first in session.execute(
                select(Lead.id, Lead.email, Lead.first_met_at).where(Lead.id.in_(part))):
            info[lead_id] = (email, first)
    # Everyone sharing an e-mail with a linked lead is the same person, whatever the event.
    by_email: dict[str, set[int]] = defaultdict(set)
    for part in _chunks({e for e, _f in info.values() if e}):
        for lead_id, email in session.execute(select(Lead.id, Lead.email).where(Lead.email.in_(part))):
            by_email[email].add(lead_id)
    person_leads = {deal: set(leads).union(*(by_email.get(info[l][0], ()) for l in leads if info[l][0]))
                    for deal, leads in links.items()}
    lead_touches: dict[int, list[Touch]] = defaultdict(list)
    for part in _chunks({lead for leads in person_leads.values() for lead in leads}):
        for lead_id, event_id, at, _id in session.execute(
                select(Interaction.lead_id, Interaction.event_id, Interaction.captured_at, Interaction.id)
                .where(Interaction.lead_id.in_(part)).order_by(Interaction.captured_at, Interaction.id)):
            kind = "visit" if lead_touches[lead_id] else "scan"
            lead_touches[lead_id].append(Touch(at, event_id, lead_id, kind))
    touches = {deal: [t for lead in sorted(leads) for t in lead_touches.get(lead, ())]
               for deal, leads in person_leads.items()}
    source = {deal: min(leads, key=lambda l: (info[l][1], l)) if leads else None for deal, leads in links.items()}
    events = {e.id: EventDates(e.starts_on, e.ends_on) for e in session.scalars(select(Event))}
    return Ledger(touches, source, events)
