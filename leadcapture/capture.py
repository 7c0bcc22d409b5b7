"""The one write path for scans: badge -> lead, interaction, consent, audit.

Every scan goes through `ingest` (one) or `ingest_many` (a batch): the kiosk,
the offline replay, imports and the API. A scan is identified by the UUID its
device made, so sending it again returns what was stored and changes nothing.
These functions only flush; the caller commits.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from .actors import Actor
from .audit import audit_values
from .badges import BadgeError, parse_badge
from .badges.contact import CONTACT_FIELDS, clean_contact, name_key
from .db import utcnow
from .event_settings import consent_problem, validate_answers
from .models import Attendee, AuditEntry, Consent, Event, Interaction, Lead, User, event_members
from .models.people import Role

# Racing writers of the same person collide on a unique key; each retry sees the winner's rows.
MAX_ATTEMPTS = 4


@dataclass
class Scan:
    client_id: str  # the device's UUID for this scan, canonical lowercase form
    captured_at: datetime  # aware; the device's clock
    source: str = "api"
    payload: str | None = None
    contact: dict | None = None  # typed-in or corrected fields; they win over the badge's
    staff_id: int | None = None
    answers: dict = field(default_factory=dict)
    notes: str | None = None
    rating: str | None = None
    consent: dict | None = None  # {granted, purposes, language, text_version}


class ScanRejected(Exception):
    """A scan that cannot be stored as it is; `errors` maps field -> messages."""

    def __init__(self, errors: dict):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class IngestResult:
    created: bool  # False when this client_id had been stored before
    lead: Lead
    interaction: Interaction

    @property
    def met_before(self) -> list[dict]:
        return self.interaction.met_before

    @property
    def new_lead(self) -> bool:
        return not self.interaction.met_before


@dataclass
class _Prepared:
    index: int
    scan: Scan
    contact: dict
    registration_id: str | None
    badge_format: str | None
    needs_lookup: bool
    warnings: list[str]


def ingest(session: Session, event: Event, scan: Scan, actor: Actor) -> IngestResult:
    """Store one scan. Raises ScanRejected with per-field messages."""
    result = ingest_many(session, event, [scan], actor)[0]
    if isinstance(result, ScanRejected):
        raise result
    return result


def ingest_many(session: Session, event: Event, scans: list[Scan], actor: Actor) -> list[IngestResult | ScanRejected]:
    """Store a batch of scans; one result per scan, in order. A bad scan does not stop the others."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            with session.begin_nested():
                return _ingest_batch(session, event, scans, actor)
        except IntegrityError:
            if attempt == MAX_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _ingest_batch(session: Session, event: Event, scans: list[Scan], actor: Actor) -> list:
    results: list = [None] * len(scans)
    prepared: list[_Prepared] = []
    for i, scan in enumerate(scans):
        try:
            prepared.append(_prepare(event, scan, i))
        except ScanRejected as exc:
            results[i] = exc
    if not prepared:
        return results

    stored = _stored_interactions(session, [p.scan.client_id for p in prepared])
    staff = _event_staff(session, event, actor, prepared)
    roster = _RosterIndex(session, event, prepared)
    leads = _LeadIndex(session, event, prepared)
    history = _meeting_history(session, leads.known_ids())
    fresh: dict[str, IngestResult] = {}
    new_rows: list[tuple[_Prepared, Interaction]] = []

    for p in prepared:
        scan = p.scan
        replay = stored.get(scan.client_id) or (
            fresh[scan.client_id].interaction if scan.client_id in fresh else None)
        if replay is not None:
            if replay.event_id != event.id:
                results[p.index] = ScanRejected(
                    {"client_id": ["this client_id was already used by a scan of another event"]})
            else:
                results[p.index] = IngestResult(created=False, lead=replay.lead, interaction=replay)
            continue
        staff_id = scan.staff_id if scan.staff_id is not None else (actor.user.id if actor.user else None)
        if staff_id is not None and staff_id not in staff:
            results[p.index] = ScanRejected({"staff": [f"user {staff_id} does not work this event"]})
            continue
        attendee = roster.match(p)
        if attendee is not None:
            for key in CONTACT_FIELDS:
                if getattr(attendee, key) and not p.contact.get(key):
                    p.contact[key] = getattr(attendee, key)
            p.registration_id = p.registration_id or attendee.registration_id
        elif p.needs_lookup:
            p.warnings.append("not found in the event's attendee roster; the lead stays incomplete until it is")
        lead = leads.find(p) or leads.create(p, scan.captured_at)
        staff_user = staff.get(staff_id)
        met_entry = {
            "staff_id": staff_id,
            "by": staff_user.name if staff_user else (actor.device.name if actor.device else actor.label),
            "at": scan.captured_at.isoformat(),
        }
        earlier = [m for m in history[lead] if m["at"] <= met_entry["at"]]
        interaction = Interaction(
            client_uuid=scan.client_id, event_id=event.id, lead=lead,
            device_id=actor.device.id if actor.device else None, staff_user_id=staff_id,
            captured_at=scan.captured_at, received_at=utcnow(), source=scan.source,
            raw_payload=scan.payload, badge_format=p.badge_format, answers=scan.answers,
            notes=scan.notes, rating=scan.rating, met_before=sorted(earlier, key=lambda m: m["at"]),
            warnings=p.warnings,
        )
        session.add(interaction)
        _merge_into_lead(lead, p, attendee)
        leads.reindex(lead)
        if scan.consent is not None:
            session.add(Consent(
                event_id=event.id, lead=lead, interaction=interaction, purposes=scan.consent["purposes"],
                granted=scan.consent["granted"], text_version=scan.consent["text_version"],
                language=scan.consent["language"], captured_at=scan.captured_at,
                captured_by_user_id=staff_id, device_id=interaction.device_id,
            ))
        history[lead].append(met_entry)
        result = IngestResult(created=True, lead=lead, interaction=interaction)
        fresh[scan.client_id] = result
        results[p.index] = result
        new_rows.append((p, interaction))

    session.flush()
    if new_rows:
        session.execute(insert(AuditEntry), [
            audit_values(actor, "scan.ingest", "interaction", i.id, event.id,
                         {"lead_id": i.lead_id, "client_id": i.client_uuid, "source": i.source,
                          "format": i.badge_format})
            for _p, i in new_rows
        ])
    return results


def _prepare(event: Event, scan: Scan, index: int) -> _Prepared:
    """Parse the badge and check the scan against the event; raise ScanRejected."""
    errors: dict = {}
    contact: dict = {}
    registration_id = badge_format = None
    needs_lookup = False
    warnings: list[str] = []
    if scan.payload is not None:
        try:
            parsed = parse_badge(scan.payload, event.settings)
        except BadgeError as exc:
            errors["payload"] = [str(exc)]
        else:
            contact, registration_id = dict(parsed.contact), parsed.registration_id
            badge_format, needs_lookup, warnings = parsed.format, parsed.needs_lookup, list(parsed.warnings)
    if scan.contact:
        typed = dict(scan.contact)
        typed_reg = typed.pop("registration_id", None)
        email_given = typed.get("email")
        typed = clean_contact(typed, [])
        if email_given and "email" not in typed:
            errors["contact"] = {"email": [f"{email_given!r} is not a valid e-mail address"]}
        contact.update(typed)
        registration_id = typed_reg or registration_id
        if any(contact.get(k) for k in ("first_name", "last_name")):
            needs_lookup = False
    if problems := validate_answers(event.settings, scan.answers):
        errors["answers"] = problems
    if scan.consent is not None and (problem := consent_problem(event.settings, scan.consent)):
        errors["consent"] = [problem]
    if not errors and not (contact.get("email") or registration_id
                           or name_key(contact.get("first_name"), contact.get("last_name"), None)):
        errors["payload"] = ["the scan gives no e-mail, registration id or name to identify the visitor"]
    if errors:
        raise ScanRejected(errors)
    scan.captured_at = scan.captured_at.astimezone(timezone.utc)
    return _Prepared(index, scan, contact, registration_id, badge_format, needs_lookup, warnings)


def _stored_interactions(session: Session, client_ids: list[str]) -> dict[str, Interaction]:
    rows = session.scalars(
        select(Interaction).where(Interaction.client_uuid.in_(set(client_ids)))
        .options(selectinload(Interaction.lead))
    )
    return {i.client_uuid: i for i in rows}


def _event_staff(session: Session, event: Event, actor: Actor, prepared: list[_Prepared]) -> dict[int, User]:
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


class _RosterIndex:
    """The event's attendees that the batch's e-mails and registration ids point at."""

    def __init__(self, session: Session, event: Event, prepared: list[_Prepared]):
        emails = {p.contact["email"] for p in prepared if p.contact.get("email")}
        regs = {p.registration_id for p in prepared if p.registration_id}
        self.by_email: dict[str, Attendee] = {}
        self.by_reg: dict[str, Attendee] = {}
        if not (emails or regs):
            return
        rows = session.scalars(select(Attendee).where(
            Attendee.event_id == event.id,
            or_(Attendee.email.in_(emails), Attendee.registration_id.in_(regs)),
        ))
        for a in rows:
            if a.email:
                self.by_email.setdefault(a.email, a)
            if a.registration_id:
                self.by_reg[a.registration_id] = a

    def match(self, p: _Prepared) -> Attendee | None:
        return (self.by_reg.get(p.registration_id) if p.registration_id else None) or (
            self.by_email.get(p.contact.get("email")) if p.contact.get("email") else None)


class _LeadIndex:
    """Existing and just-created leads of the event, by e-mail, registration id and name."""

    def __init__(self, session: Session, event: Event, prepared: list[_Prepared]):
        self.session, self.event = session, event
        self.by_email: dict[str, Lead] = {}
        self.by_reg: dict[str, Lead] = {}
        self.by_name: dict[str, Lead] = {}
        emails = {p.contact["email"] for p in prepared if p.contact.get("email")}
        regs = {p.registration_id for p in prepared if p.registration_id}
        names = {k for p in prepared if (k := _name_key(p.contact))}
        self.existing = list(session.scalars(select(Lead).where(
            Lead.event_id == event.id,
            or_(Lead.email.in_(emails), Lead.registration_id.in_(regs), Lead.name_key.in_(names)),
        ))) if (emails or regs or names) else []
        for lead in self.existing:
            self._index(lead)

    def known_ids(self) -> list[int]:
        return [lead.id for lead in self.existing]

    def _index(self, lead: Lead) -> None:
        if lead.email:
            self.by_email.setdefault(lead.email, lead)
        if lead.registration_id:
            self.by_reg.setdefault(lead.registration_id, lead)
        if lead.name_key:
            self.by_name.setdefault(lead.name_key, lead)

    def find(self, p: _Prepared) -> Lead | None:
        email = p.contact.get("email")
        if email and email in self.by_email:
            return self.by_email[email]
        if p.registration_id and p.registration_id in self.by_reg:
            return self.by_reg[p.registration_id]
        key = _name_key(p.contact)
        lead = self.by_name.get(key) if key else None
        # Same name and company but two different e-mails: two people.
        if lead is not None and not (email and lead.email and lead.email != email):
            return lead
        return None

    def create(self, p: _Prepared, met_at: datetime) -> Lead:
        email, key = p.contact.get("email"), _name_key(p.contact)
        dedup = f"email:{email}" if email else f"reg:{p.registration_id}" if p.registration_id else f"name:{key}"
        lead = Lead(event_id=self.event.id, dedup_key=dedup, name_key=key, answers={},
                    first_met_at=met_at, last_met_at=met_at, incomplete=False)
        self.session.add(lead)
        return lead

    def reindex(self, lead: Lead) -> None:
        self._index(lead)


def _name_key(contact: dict) -> str | None:
    return name_key(contact.get("first_name"), contact.get("last_name"), contact.get("company"))


def _meeting_history(session: Session, lead_ids: list[int]) -> defaultdict:
    """lead -> earlier meetings [{staff_id, by, at}], to tell staff who met this visitor before."""
    history: defaultdict = defaultdict(list)
    if not lead_ids:
        return history
    rows = session.scalars(
        select(Interaction).where(Interaction.lead_id.in_(lead_ids))
        .options(selectinload(Interaction.staff), selectinload(Interaction.device), selectinload(Interaction.lead))
    )
    for i in rows:
        by = i.staff.name if i.staff else (i.device.name if i.device else "unknown")
        history[i.lead].append({"staff_id": i.staff_user_id, "by": by, "at": i.captured_at.isoformat()})
    return history


def _merge_into_lead(lead: Lead, p: _Prepared, attendee: Attendee | None) -> None:
    """Fill the lead's blanks from the scan (edits go through the lead update path), merge answers."""
    for key, value in p.contact.items():
        if value and not getattr(lead, key):
            setattr(lead, key, value)
    if p.registration_id and not lead.registration_id:
        lead.registration_id = p.registration_id
    if attendee is not None and lead.attendee_id is None:
        lead.attendee_id = attendee.id
    lead.name_key = lead.name_key or _name_key(p.contact)
    scan = p.scan
    answered = {k: v for k, v in scan.answers.items() if v is not None}
    if answered:
        lead.answers = {**(lead.answers or {}), **answered}
    if scan.notes:
        lead.notes = f"{lead.notes}\n{scan.notes}" if lead.notes else scan.notes
    if scan.rating:
        lead.rating = scan.rating
    lead.first_met_at = min(lead.first_met_at, scan.captured_at)
    lead.last_met_at = max(lead.last_met_at, scan.captured_at)
    lead.incomplete = not (lead.first_name or lead.last_name)
