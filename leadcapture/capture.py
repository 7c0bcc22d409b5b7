"""The one write path for scans: badge -> lead, interaction, consent, audit.

Every scan goes through `ingest` (one) or `ingest_many` (a batch): the kiosk,
the offline replay, imports and the API. A scan is identified by the UUID its
device made, so sending it again returns what was stored and changes nothing.
These functions only flush; the caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from sync.outbox import enqueue as enqueue_sync

from .actors import Actor
from .audit import audit_values
from .badges import BadgeError, parse_badge
from .badges.contact import CONTACT_FIELDS, clean_contact, name_key
from .db import insert_all, is_sqlite, utcnow
from .event_settings import consent_problem, validate_answers
from .matching import LeadIndex, Prepared, RosterIndex, event_staff, meeting_history
from .models import Attendee, AuditEntry, Consent, Event, Interaction, Lead
from .qualify import lock_routing, requalify

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


def ingest(session: Session, event: Event, scan: Scan, actor: Actor) -> IngestResult:
    """Store one scan. Raises ScanRejected with per-field messages."""
    result = ingest_many(session, event, [scan], actor)[0]
    if isinstance(result, ScanRejected):
        raise result
    return result


def ingest_many(session: Session, event: Event, scans: list[Scan], actor: Actor) -> list[IngestResult | ScanRejected]:
    """Store a batch of scans; one result per scan, in order. A bad scan does not stop the others."""
    if is_sqlite(session):
        # BEGIN IMMEDIATE already holds the database: no other writer can race us to a key.
        return _ingest_batch(session, event, scans, actor)
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
    prepared: list[Prepared] = []
    for i, scan in enumerate(scans):
        try:
            prepared.append(_prepare(event, scan, i))
        except ScanRejected as exc:
            results[i] = exc
    if not prepared:
        return results

    stored = _stored_interactions(session, [p.scan.client_id for p in prepared])
    staff = event_staff(session, event, actor, prepared)
    roster = RosterIndex(session, event, prepared)
    leads = LeadIndex(session, event, prepared)
    history = meeting_history(session, leads.existing)
    device_id = actor.device.id if actor.device else None
    pending: list[_NewScan] = []
    pending_ids: set[str] = set()
    replays: list[tuple[int, str]] = []  # (result index, client_id stored earlier in this batch)

    for p in prepared:
        scan = p.scan
        if scan.client_id in stored:
            replay = stored[scan.client_id]
            results[p.index] = (IngestResult(created=False, lead=replay.lead, interaction=replay)
                                if replay.event_id == event.id else ScanRejected(
                                    {"client_id": ["this client_id was already used by a scan of another event"]}))
            continue
        if scan.client_id in pending_ids:  # sent twice in one batch: the second is a replay
            replays.append((p.index, scan.client_id))
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
        met = {"staff_id": staff_id,
               "by": staff_user.name if staff_user else (actor.device.name if actor.device else actor.label),
               "at": scan.captured_at.isoformat()}
        earlier = sorted((m for m in history[lead] if m["at"] <= met["at"]), key=lambda m: m["at"])
        _merge_into_lead(lead, p, attendee)
        leads.add(lead)
        history[lead].append(met)
        pending.append(_NewScan(p, lead, staff_id, earlier))
        pending_ids.add(scan.client_id)

    if pending:
        # The routing lock comes before this transaction writes anything (see qualify.lock_routing).
        lock_routing(session, event)
        insert_all(session, leads.created, key="dedup_key")
        # Score and route each touched lead once, with the meetings already in hand (no per-lead query).
        requalify(session, event, [n.lead for n in pending], meetings=history)
        new_interactions = _new_interactions(event, pending, device_id)
        insert_all(session, new_interactions, key="client_uuid")
        interactions = {i.client_uuid: i for i in new_interactions}
        _insert_consents(session, event, pending, interactions, device_id)
        session.flush()
        # Same transaction as the leads: each touched lead owes its CRMs one (coalesced) push.
        enqueue_sync(session, event.id, {n.lead.id for n in pending})
        session.connection().execute(insert(AuditEntry.__table__), [
            audit_values(actor, "scan.ingest", "interaction", interactions[n.client_id].id, event.id,
                         {"lead_id": n.lead.id, "client_id": n.client_id, "source": n.prepared.scan.source,
                          "format": n.prepared.badge_format})
            for n in pending
        ])
        for n in pending:
            results[n.prepared.index] = IngestResult(created=True, lead=n.lead, interaction=interactions[n.client_id])
        for index, client_id in replays:
            results[index] = IngestResult(created=False, lead=interactions[client_id].lead,
                                          interaction=interactions[client_id])
    return results


@dataclass
class _NewScan:
    """A scan to store: its lead (maybe new) and who had met the visitor before."""

    prepared: Prepared
    lead: Lead
    staff_id: int | None
    met_before: list[dict]

    @property
    def client_id(self) -> str:
        return self.prepared.scan.client_id


def _new_interactions(event: Event, pending: list[_NewScan], device_id: int | None) -> list[Interaction]:
    received = utcnow()
    return [Interaction(
        client_uuid=n.client_id, event_id=event.id, lead_id=n.lead.id, device_id=device_id,
        staff_user_id=n.staff_id, captured_at=n.prepared.scan.captured_at, received_at=received,
        source=n.prepared.scan.source, raw_payload=n.prepared.scan.payload, badge_format=n.prepared.badge_format,
        answers=n.prepared.scan.answers, notes=n.prepared.scan.notes, rating=n.prepared.scan.rating,
        met_before=n.met_before, warnings=n.prepared.warnings,
    ) for n in pending]


def _insert_consents(session: Session, event: Event, pending: list[_NewScan], interactions: dict,
                     device_id: int | None) -> None:
    rows = [{
        "event_id": event.id, "lead_id": n.lead.id, "interaction_id": interactions[n.client_id].id,
        "purposes": consent["purposes"], "granted": consent["granted"], "text_version": consent["text_version"],
        "language": consent["language"], "captured_at": n.prepared.scan.captured_at,
        "captured_by_user_id": n.staff_id, "device_id": device_id,
    } for n in pending if (consent := n.prepared.scan.consent) is not None]
    if rows:
        session.connection().execute(insert(Consent.__table__), rows)  # Core: no ORM objects needed


def _prepare(event: Event, scan: Scan, index: int) -> Prepared:
    """Parse the badge and check the scan against the event; raise ScanRejected."""
    errors: dict = {}
    contact: dict = {}
    registration_id = badge_format = None
    needs_lookup = False
    warnings: list[str] = []
    if scan.payload is not None:
        try:
            parsed = parse_badge(scan.payload, event.settings, country=event.country)
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
    return Prepared(index, scan, contact, registration_id, badge_format, needs_lookup, warnings)


def _stored_interactions(session: Session, client_ids: list[str]) -> dict[str, Interaction]:
    rows = session.scalars(
        select(Interaction).where(Interaction.client_uuid.in_(set(client_ids)))
        .options(selectinload(Interaction.lead))
    )
    return {i.client_uuid: i for i in rows}


def _merge_into_lead(lead: Lead, p: Prepared, attendee: Attendee | None) -> None:
    """Fill the lead's blanks from the scan (edits go through the lead update path), merge answers."""
    for key, value in p.contact.items():
        if value and not getattr(lead, key):
            setattr(lead, key, value)
    if p.registration_id and not lead.registration_id:
        lead.registration_id = p.registration_id
    if attendee is not None and lead.attendee_id is None:
        lead.attendee_id = attendee.id
    lead.name_key = lead.name_key or p.name_key
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
