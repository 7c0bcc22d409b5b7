"""Reading and editing leads: who may see which, filters, and audited edits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from sync.outbox import enqueue as enqueue_sync

from .actors import Actor
from .audit import record
from .badges.contact import name_key, normalise_email
from .event_settings import validate_answers
from .db import utcnow
from .followup import status_changed, status_problem
from .models import Event, Interaction, Lead
from .qualify import requalify

EDITABLE = ("first_name", "last_name", "email", "company", "job_title", "phone", "city", "country",
            "postal_code", "region", "company_size", "notes", "rating", "status", "status_reason")


class LeadEditRejected(Exception):
    def __init__(self, errors: dict):
        super().__init__(str(errors))
        self.errors = errors


@dataclass
class LeadFilter:
    q: str | None = None
    rating: str | None = None
    status: str | None = None
    staff_id: int | None = None
    incomplete: bool | None = None
    since: datetime | None = None
    until: datetime | None = None


def visible_leads(actor: Actor, event: Event) -> Select:
    """The leads of one event this actor may see: a rep only the leads assigned to them."""
    query = select(Lead).where(Lead.event_id == event.id)
    if actor.is_rep:
        query = query.where(Lead.owner_id == actor.user.id)
    return query


def can_see_lead(actor: Actor, lead: Lead) -> bool:
    if not actor.can_reach_event(lead.event_id):
        return False
    return not actor.is_rep or lead.owner_id == actor.user.id


def filtered(query: Select, flt: LeadFilter) -> Select:
    if flt.q:
        like = f"%{flt.q.lower()}%"
        query = query.where(or_(func.lower(Lead.email).like(like), func.lower(Lead.first_name).like(like),
                                func.lower(Lead.last_name).like(like), func.lower(Lead.company).like(like)))
    if flt.rating:
        query = query.where(Lead.rating == flt.rating)
    if flt.status:
        query = query.where(Lead.status == flt.status)
    if flt.incomplete is not None:
        query = query.where(Lead.incomplete.is_(flt.incomplete))
    if flt.since:
        query = query.where(Lead.last_met_at >= flt.since)
    if flt.until:
        query = query.where(Lead.last_met_at < flt.until)
    if flt.staff_id is not None:
        met = select(Interaction.lead_id).where(Interaction.staff_user_id == flt.staff_id)
        query = query.where(Lead.id.in_(met))
    return query


def page_of(session: Session, query: Select, page: int, per_page: int) -> tuple[list[Lead], int]:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(query.order_by(Lead.last_met_at.desc(), Lead.id.desc())
                           .limit(per_page).offset((page - 1) * per_page)).all()
    return list(rows), total


def update_lead(session: Session, lead: Lead, changes: dict, actor: Actor) -> Lead:
    """Apply qualification edits; answers merge (null removes one). Audited with before/after.

    Raises LeadEditRejected with per-field messages; nothing is changed then.
    """
    event = session.get(Event, lead.event_id)
    errors: dict = {}
    if "answers" in changes and (problems := validate_answers(event.settings, changes["answers"])):
        errors["answers"] = problems
    if "status" in changes and (
            problem := status_problem(lead, changes["status"], changes.get("status_reason"), actor)):
        errors["status"] = [problem]
    if changes.get("email"):
        email, problem = normalise_email(changes["email"])
        if problem:
            errors["email"] = [problem]
        else:
            changes = {**changes, "email": email}
            taken = session.scalar(select(Lead.id).where(Lead.event_id == lead.event_id, Lead.email == email,
                                                         Lead.id != lead.id))
            if taken:
                errors["email"] = [f"lead {taken} of this event already has this e-mail; merge them instead"]
    if errors:
        raise LeadEditRejected(errors)

    before, after = {}, {}
    for key in EDITABLE:
        if key in changes and changes[key] != getattr(lead, key):
            before[key], after[key] = getattr(lead, key), changes[key]
            setattr(lead, key, changes[key])
    if "answers" in changes:
        merged = {**lead.answers, **changes["answers"]}
        merged = {k: v for k, v in merged.items() if v is not None}
        if merged != lead.answers:
            before["answers"], after["answers"] = lead.answers, merged
            lead.answers = merged
    if after:
        lead.name_key = name_key(lead.first_name, lead.last_name, lead.company)
        lead.incomplete = not (lead.first_name or lead.last_name)
        if "status" in after:
            status_changed(lead, utcnow())
        requalify(session, event, [lead])
        record(session, actor, "lead.update", "lead", lead.id, lead.event_id, {"before": before, "after": after})
        enqueue_sync(session, lead.event_id, [lead.id])  # the CRMs get the edit (and a dead letter its fix)
        session.flush()
    return lead
