"""Leads as connectors see them: plain, read-only snapshots with their source attribution.

`load_records(session, claims)` reads everything a batch needs in a handful
of queries (never one per lead), so the worker's database work stays flat
while the CRM calls dominate.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from leadcapture.models import Consent, Interaction, Lead, User

SOURCE = "Trade show"


@dataclass(frozen=True)
class Attribution:
    """Where a lead came from; the same facts go to every CRM."""

    event_id: int
    event_name: str
    event_slug: str
    event_starts_on: date
    event_ends_on: date
    campaign_name: str | None
    campaign_id: str | None
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    booth: str | None
    device: str | None
    staff_name: str | None
    staff_email: str | None
    captured_at: datetime  # first meeting, aware UTC
    consent_granted: bool | None  # None: never asked
    consent_version: str | None
    consent_at: datetime | None
    score: int | None
    grade: str | None
    owner_name: str | None
    owner_email: str | None
    owner_crm_ids: dict = field(default_factory=dict)  # {"hubspot": ..., "salesforce": ...}
    source: str = SOURCE


@dataclass(frozen=True)
class LeadRecord:
    """One lead to push. `key` is stable from the lead's first scan (its device-made UUID) and
    unique across installations, so it is the CRM-side external id. `trace_id` names this
    version of the lead (outbox row and version): stable across retries of the same change."""

    row_id: int
    version: int
    lead_id: int
    key: str
    trace_id: str
    state: dict
    email: str | None
    first_name: str | None
    last_name: str | None
    company: str | None
    job_title: str | None
    phone: str | None
    city: str | None
    country: str | None
    rating: str | None
    status: str
    answers: tuple[tuple[str, str], ...]  # (question label, answer label), in the event's order
    notes: str | None
    attribution: Attribution

    def as_dict(self) -> dict:
        """A JSON-ready view (webhook body, file drop): contact, qualification and attribution."""
        a = self.attribution
        return {
            "lead_id": self.lead_id, "key": self.key, "email": self.email, "first_name": self.first_name,
            "last_name": self.last_name, "company": self.company, "job_title": self.job_title,
            "phone": self.phone, "city": self.city, "country": self.country, "rating": self.rating,
            "status": self.status, "answers": [{"question": q, "answer": v} for q, v in self.answers],
            "notes": self.notes,
            "attribution": {
                "source": a.source, "event": {"id": a.event_id, "name": a.event_name, "slug": a.event_slug},
                "campaign": {"name": a.campaign_name, "id": a.campaign_id},
                "utm": {"source": a.utm_source, "medium": a.utm_medium, "campaign": a.utm_campaign},
                "booth": a.booth, "device": a.device,
                "staff": {"name": a.staff_name, "email": a.staff_email},
                "captured_at": iso_utc(a.captured_at),
                "consent": {"granted": a.consent_granted, "version": a.consent_version,
                            "at": iso_utc(a.consent_at) if a.consent_at else None},
                "score": a.score, "grade": a.grade,
                "owner": {"name": a.owner_name, "email": a.owner_email},
            },
        }


@dataclass(frozen=True)
class Claim:
    """An outbox row a worker holds: what load_records needs to build a LeadRecord."""

    row_id: int
    lead_id: int
    version: int
    attempts: int
    state: dict


def iso_utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def load_records(session: Session, claims: list[Claim]) -> list[LeadRecord]:
    """Snapshots for the claimed rows, in the same order; rows whose lead is gone are left out."""
    lead_ids = [c.lead_id for c in claims]
    leads = {lead.id: lead for lead in session.scalars(
        select(Lead).where(Lead.id.in_(lead_ids)).options(selectinload(Lead.event)))}
    first_ids = select(func.min(Interaction.id)).where(Interaction.lead_id.in_(lead_ids)).group_by(
        Interaction.lead_id)
    first_scan = {i.lead_id: i for i in session.scalars(
        select(Interaction).where(Interaction.id.in_(first_ids))
        .options(selectinload(Interaction.staff), selectinload(Interaction.device)))}
    consents: dict[int, Consent] = {}
    for consent in session.scalars(select(Consent).where(Consent.lead_id.in_(lead_ids))
                                   .order_by(Consent.captured_at, Consent.id)):
        consents[consent.lead_id] = consent  # the latest answer wins
    owner_ids = {lead.owner_id for lead in leads.values() if lead.owner_id}
    owners = {u.id: u for u in session.scalars(select(User).where(User.id.in_(owner_ids)))} if owner_ids else {}

    records = []
    for claim in claims:
        lead = leads.get(claim.lead_id)
        if lead is None:
            continue
        scan = first_scan.get(lead.id)
        records.append(_record(claim, lead, scan, consents.get(lead.id), owners.get(lead.owner_id)))
    return records


def _record(claim: Claim, lead: Lead, scan: Interaction | None, consent: Consent | None,
            owner: User | None) -> LeadRecord:
    event = lead.event
    staff = scan.staff if scan is not None else None
    granted = None
    if consent is not None:
        granted = consent.granted and consent.withdrawn_at is None
    attribution = Attribution(
        event_id=event.id, event_name=event.name, event_slug=event.slug,
        event_starts_on=event.starts_on, event_ends_on=event.ends_on,
        campaign_name=event.campaign_name, campaign_id=event.campaign_id,
        utm_source=event.utm_source, utm_medium=event.utm_medium, utm_campaign=event.utm_campaign,
        booth=(event.settings or {}).get("booth") or (scan.device.name if scan and scan.device else None),
        device=scan.device.name if scan and scan.device else None,
        staff_name=staff.name if staff else None, staff_email=staff.email if staff else None,
        captured_at=lead.first_met_at,
        consent_granted=granted, consent_version=consent.text_version if consent else None,
        consent_at=consent.captured_at if consent else None,
        # Score and grade arrive with the scoring work; until then the lead has none.
        score=getattr(lead, "score", None), grade=getattr(lead, "grade", None),
        owner_name=owner.name if owner else None, owner_email=owner.email if owner else None,
        owner_crm_ids=dict(owner.crm_ids or {}) if owner else {},
    )
    # A lead made outside a scan has no device UUID; its database id is then the best stable key.
    key = scan.client_uuid if scan is not None else f"lead-{lead.id}"
    return LeadRecord(
        row_id=claim.row_id, version=claim.version, lead_id=lead.id, key=key,
        trace_id=f"{claim.row_id}-{claim.version}", state=dict(claim.state),
        email=lead.email, first_name=lead.first_name, last_name=lead.last_name, company=lead.company,
        job_title=lead.job_title, phone=lead.phone, city=lead.city, country=lead.country,
        rating=lead.rating, status=lead.status, answers=_labelled_answers(event, lead.answers or {}),
        notes=lead.notes, attribution=attribution,
    )


def _labelled_answers(event, answers: dict) -> tuple[tuple[str, str], ...]:
    """Answers with the question and option labels a person reads (English first, as CRMs mostly are)."""
    labelled = []
    for question in (event.settings or {}).get("questions", []):
        value = answers.get(question["id"])
        if value in (None, "", []):
            continue
        options = {o["id"]: _label(o.get("label"), o["id"]) for o in question.get("options", [])}
        values = value if isinstance(value, list) else [value]
        shown = ", ".join(options.get(v, str(v)) for v in values)
        labelled.append((_label(question.get("label"), question["id"]), shown))
    return tuple(labelled)


def _label(label, fallback: str) -> str:
    if isinstance(label, dict):
        return label.get("en") or next(iter(label.values()), fallback)
    return label or fallback
