"""What a paired tablet downloads: the event's kiosk configuration and its attendee roster.

The tablet keeps both in IndexedDB so that it can show names and questions
with the network gone; the server stays the authority (every scan is parsed
again by `capture.ingest`).
"""
from __future__ import annotations

import hashlib

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .models import Attendee, Device, Event, Interaction, Lead
from .staff_pins import kiosk_staff, pin_stamp

# Short keys: a 20,000-person roster is sent as rows of values, not objects.
ROSTER_FIELDS = ("registration_id", "email", "first_name", "last_name", "company", "job_title", "city", "country")


def kiosk_config(session: Session, event: Event, device: Device, secret_key: str) -> dict:
    """Everything the kiosk needs to qualify visitors offline, except the roster."""
    settings = event.settings
    return {
        "device": {"id": device.id, "name": device.name},
        "event": {"slug": event.slug, "name": event.name, "timezone": event.timezone},
        "badge": settings.get("badge", {}),
        "questions": settings.get("questions", []),
        "consent": settings.get("consent", {"purposes": [], "texts": []}),
        "staff": [{"id": u.id, "name": u.name, "pin_stamp": pin_stamp(secret_key, u)}
                  for u in kiosk_staff(session, event)],
        "roster_version": roster_version(session, event),
    }


def roster_version(session: Session, event: Event) -> str:
    """Changes whenever an attendee is added, removed or updated; used as the roster's ETag."""
    count, newest, top_id = session.execute(
        select(func.count(), func.max(Attendee.updated_at), func.max(Attendee.id))
        .where(Attendee.event_id == event.id)).one()
    return hashlib.sha256(f"{event.id}:{count}:{newest}:{top_id}".encode()).hexdigest()[:20]


def roster(session: Session, event: Event) -> dict:
    """The event's attendees as {"fields": [...], "rows": [[...], ...]}."""
    columns = [getattr(Attendee, f) for f in ROSTER_FIELDS]
    rows = session.execute(select(*columns).where(Attendee.event_id == event.id).order_by(Attendee.id)).all()
    return {"fields": list(ROSTER_FIELDS), "rows": [list(r) for r in rows]}


def met_before(session: Session, event: Event, email: str | None, registration_id: str | None) -> list[dict]:
    """Earlier meetings with the person behind this e-mail or registration id: [{by, at}], oldest first."""
    keys = []
    if email:
        keys.append(Lead.email == email.strip().lower())
    if registration_id:
        keys.append(Lead.registration_id == registration_id.strip())
    if not keys:
        return []
    lead_ids = select(Lead.id).where(Lead.event_id == event.id, or_(*keys))
    interactions = session.scalars(
        select(Interaction).where(Interaction.lead_id.in_(lead_ids)).order_by(Interaction.captured_at))
    return [{"staff_id": i.staff_user_id,
             "by": i.staff.name if i.staff else (i.device.name if i.device else "unknown"),
             "at": i.captured_at.isoformat()} for i in interactions]
