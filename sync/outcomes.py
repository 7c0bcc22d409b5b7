"""Deals and opportunities pulled back from a CRM, linked to our leads (the ROI work stores them).

HubSpot links a deal to contacts: we know each contact's id from the push
(the outbox row's remote id). Salesforce links an opportunity to the leads
converted into it, by our external id, which is the device UUID of the lead's
first scan.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadcapture.models import CrmConnector, Interaction, OutboxRow

from .base import Outcome
from .configs import build


@dataclass(frozen=True)
class LinkedOutcome:
    outcome: Outcome
    lead_ids: tuple[int, ...]  # our leads behind it; empty when the deal came from elsewhere


def pull(session: Session, row: CrmConnector, since: datetime) -> list[LinkedOutcome]:
    """Outcomes changed since `since` (aware), each with our lead ids.

    Raises what the connector raises (TransientError, PauseConnector, SyncError)
    and crypto.SecretsUnreadable; reads only, commits nothing.
    """
    outcomes = build(row).pull_outcomes(since)
    contacts = {c for o in outcomes for c in o.contact_ids}
    keys = {k for o in outcomes for k in o.lead_keys}
    # One HubSpot contact can be several of our leads: the same person met at several events.
    by_contact: dict[str, set[int]] = {}
    if contacts:
        for remote_id, lead_id in session.execute(
                select(OutboxRow.remote_id, OutboxRow.lead_id)
                .where(OutboxRow.connector_id == row.id, OutboxRow.remote_id.in_(contacts))):
            by_contact.setdefault(remote_id, set()).add(lead_id)
    # A lead's key is the UUID of its first scan.
    first = select(func.min(Interaction.id)).group_by(Interaction.lead_id)
    by_key = dict(session.execute(
        select(Interaction.client_uuid, Interaction.lead_id)
        .where(Interaction.client_uuid.in_(keys), Interaction.id.in_(first)))
        .all()) if keys else {}
    linked = []
    for outcome in outcomes:
        leads = set().union(*(by_contact.get(c, set()) for c in outcome.contact_ids))
        leads |= {by_key[k] for k in outcome.lead_keys if k in by_key}
        linked.append(LinkedOutcome(outcome, tuple(sorted(leads))))
    return linked
