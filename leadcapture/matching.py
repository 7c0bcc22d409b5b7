"""Which lead, attendee and staff member a batch of scans points at: one query each per batch.

Each lookup repeats the event condition inside every OR branch so that SQLite
uses the (event_id, email), (event_id, registration_id) and (event_id,
name_key) indexes instead of walking all the event's leads.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from .actors import Actor
from .badges.contact import name_key
from .models import Attendee, Device, Event, Interaction, Lead, User, event_members
from .models.people import Role


@dataclass
class Prepared:
    """A scan that passed validation, with its parsed identity."""

    index: int
    scan: object  # capture.Scan
    contact: dict
    registration_id: str | None
    badge_format: str | None
    needs_lookup: bool
    warnings: list[str]
    name_key: str | None = None

    def __post_init__(self):
        self.name_key = contact_name_key(self.contact)

    @property
    def email(self) -> str | None:
        return self.contact.get("email")

    @property
    def dedup_key(self) -> str:
        """The identity a lead created from this scan is stored under (unique per event)."""
        if self.email:
            return f"email:{self.email}"
        return f"reg:{self.registration_id}" if self.registration_id else f"name:{self.name_key}"


def contact_name_key(contact: dict) -> str | None:
    return name_key(contact.get("first_name"), contact.get("last_name"), contact.get("company"))


def _keys(prepared: list[Prepared]) -> tuple[set, set, set]:
    emails = {p.email for p in prepared if p.email}
    regs = {p.registration_id for p in prepared if p.registration_id}
    names = {p.name_key for p in prepared if p.name_key}
    return emails, regs, names


def event_staff(session: Session, event: Event, actor: Actor, prepared: list[Prepared]) -> dict[int, User]:
    """Users named as staff who may scan for this event: its members, and admins."""
    wanted = {p.scan.staff_id for p in prepared if p.scan.staff_id is not None}
    if actor.user is not None:
        wanted.add(actor.user.id)
    if not wanted:
        return {}
    member_ids = select(event_members.c.user_id).where(event_members.c.event_id == event.id)
    users = session.scalars(
        select(User).where(User.id.in_(wanted), User.active.is_(True),
                           or_(User.id.in_(member_ids), User.role == Role.ADMIN.value))
    )
    return {u.id: u for u in users}


class RosterIndex:
    """The event's attendees that the batch's e-mails and registration ids point at."""

    def __init__(self, session: Session, event: Event, prepared: list[Prepared]):
        emails, regs, _names = _keys(prepared)
        self.by_email: dict[str, Attendee] = {}
        self.by_reg: dict[str, Attendee] = {}
        branches = []
        if emails:
            branches.append(and_(Attendee.event_id == event.id, Attendee.email.in_(emails)))
        if regs:
            branches.append(and_(Attendee.event_id == event.id, Attendee.registration_id.in_(regs)))
        if not branches:
            return
        for a in session.scalars(select(Attendee).where(or_(*branches))):
            if a.email:
                self.by_email.setdefault(a.email, a)
            if a.registration_id:
                self.by_reg[a.registration_id] = a

    def match(self, p: Prepared) -> Attendee | None:
        return (self.by_reg.get(p.registration_id) if p.registration_id else None) or (
            self.by_email.get(p.email) if p.email else None)


class LeadIndex:
    """Existing leads of the event and leads created in this batch, by e-mail, registration id and name.

    New leads are transient Lead objects (not in the session) until the caller
    inserts them all at once; `created` lists them.
    """

    def __init__(self, session: Session, event: Event, prepared: list[Prepared]):
        self.event = event
        self.by_email: dict[str, Lead] = {}
        self.by_reg: dict[str, Lead] = {}
        self.by_name: dict[str, Lead] = {}
        self.by_dedup: dict[str, Lead] = {}
        self.created: list[Lead] = []
        emails, regs, names = _keys(prepared)
        dedup_keys = {p.dedup_key for p in prepared}
        branches = [and_(Lead.event_id == event.id, column.in_(values))
                    for column, values in ((Lead.email, emails), (Lead.registration_id, regs),
                                           (Lead.name_key, names), (Lead.dedup_key, dedup_keys)) if values]
        self.existing = list(session.scalars(select(Lead).where(or_(*branches)))) if branches else []
        for lead in self.existing:
            self.add(lead)

    def add(self, lead: Lead) -> None:
        self.by_dedup[lead.dedup_key] = lead
        if lead.email:
            self.by_email.setdefault(lead.email, lead)
        if lead.registration_id:
            self.by_reg.setdefault(lead.registration_id, lead)
        if lead.name_key:
            self.by_name.setdefault(lead.name_key, lead)

    def find(self, p: Prepared) -> Lead | None:
        """E-mail first, then registration id, then name + company (unless the e-mails differ)."""
        if p.email and p.email in self.by_email:
            return self.by_email[p.email]
        if p.registration_id and p.registration_id in self.by_reg:
            return self.by_reg[p.registration_id]
        lead = self.by_name.get(p.name_key) if p.name_key else None
        # Same name and company but two different e-mails: two people.
        if lead is not None and not (p.email and lead.email and lead.email != p.email):
            return lead
        # The lead first stored under this identity, whose e-mail or id was edited since.
        return self.by_dedup.get(p.dedup_key)

    def create(self, p: Prepared, met_at: datetime) -> Lead:
        """A new transient lead keyed by its strongest identity (the unique dedup_key)."""
        lead = Lead(event_id=self.event.id, dedup_key=p.dedup_key, name_key=p.name_key, answers={},
                    first_met_at=met_at, last_met_at=met_at, incomplete=False)
        self.created.append(lead)
        return lead


def meeting_history(session: Session, leads: list[Lead]) -> defaultdict:
    """lead -> its earlier meetings [{staff_id, by, at}], in one query, to tell staff who met them before."""
    history: defaultdict = defaultdict(list)
    by_id = {lead.id: lead for lead in leads}
    if not by_id:
        return history
    staff, device = aliased(User), aliased(Device)
    rows = session.execute(
        select(Interaction.lead_id, Interaction.staff_user_id, Interaction.captured_at, staff.name, device.name)
        .outerjoin(staff, staff.id == Interaction.staff_user_id)
        .outerjoin(device, device.id == Interaction.device_id)
        .where(Interaction.lead_id.in_(by_id))
    )
    for lead_id, staff_id, captured_at, staff_name, device_name in rows:
        history[by_id[lead_id]].append(
            {"staff_id": staff_id, "by": staff_name or device_name or "unknown", "at": captured_at.isoformat()})
    return history
