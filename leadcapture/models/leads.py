"""Leads (one per person per event), the interactions that made them, and consents."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime, utcnow


class Source(str, enum.Enum):
    CAMERA = "camera"
    WEDGE = "wedge"
    MANUAL = "manual"
    IMPORT = "import"
    API = "api"


class Rating(str, enum.Enum):
    HOT = "hot"
    WARM = "warm"
    COLD = "cold"


class LeadStatus(str, enum.Enum):
    NEW = "new"
    ACCEPTED = "accepted"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    DISQUALIFIED = "disqualified"


class Lead(Base):
    __tablename__ = "leads"
    __table_args__ = (
        # The identity the lead was created under; racing creators of the same
        # person collide here and the loser re-reads the winner's lead.
        UniqueConstraint("event_id", "dedup_key"),
        Index("ix_leads_event_email", "event_id", "email"),
        Index("ix_leads_event_registration", "event_id", "registration_id"),
        Index("ix_leads_event_name_key", "event_id", "name_key"),
        Index("ix_leads_event_last_met", "event_id", "last_met_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    dedup_key: Mapped[str] = mapped_column(String(400))
    name_key: Mapped[str | None] = mapped_column(String(400))
    email: Mapped[str | None] = mapped_column(String(254))
    registration_id: Mapped[str | None] = mapped_column(String(120))
    first_name: Mapped[str | None] = mapped_column(String(120))
    last_name: Mapped[str | None] = mapped_column(String(120))
    company: Mapped[str | None] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(50))
    city: Mapped[str | None] = mapped_column(String(120))
    country: Mapped[str | None] = mapped_column(String(2))
    attendee_id: Mapped[int | None] = mapped_column(ForeignKey("attendees.id", ondelete="SET NULL"))
    # True while the badge gave only an id or email that the roster could not resolve.
    incomplete: Mapped[bool] = mapped_column(Boolean, default=False)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    notes: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default=LeadStatus.NEW.value)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # Contact attributes that scoring and routing use (the badge rarely has them; people fill them in).
    postal_code: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(80))
    company_size: Mapped[int | None]
    # Kept current by qualify.requalify; None while the event has no scoring rules.
    score: Mapped[int | None]
    grade: Mapped[str | None] = mapped_column(String(1))
    score_explanation: Mapped[list | None] = mapped_column(JSON)  # [{rule, points, en, fr}]
    routing_rule: Mapped[str | None] = mapped_column(String(60))  # a rule id, "fallback" or "manual"
    routing_reason: Mapped[dict | None] = mapped_column(JSON)  # {en, fr}
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # contact the lead before this
    status_reason: Mapped[str | None] = mapped_column(String(500))  # why it was disqualified
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first reached contacted or beyond
    first_met_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_met_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped["Event"] = relationship()  # noqa: F821
    interactions: Mapped[list["Interaction"]] = relationship(
        back_populates="lead", order_by="Interaction.captured_at"
    )
    consents: Mapped[list["Consent"]] = relationship(back_populates="lead", order_by="Consent.captured_at")

    owner: Mapped["User | None"] = relationship()  # noqa: F821

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class Interaction(Base):
    """One scan or touch. `client_uuid` is made by the device, so a replayed upload is stored once."""

    __tablename__ = "interactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the device's clock
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(10))  # a Source value
    raw_payload: Mapped[str | None] = mapped_column(Text)
    badge_format: Mapped[str | None] = mapped_column(String(30))
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    notes: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[str | None] = mapped_column(String(10))
    # Who had met this person before this scan, frozen at ingest so replays answer the same.
    met_before: Mapped[list] = mapped_column(JSON, default=list)
    warnings: Mapped[list] = mapped_column(JSON, default=list)

    lead: Mapped[Lead] = relationship(back_populates="interactions")
    staff: Mapped["User | None"] = relationship()  # noqa: F821
    device: Mapped["Device | None"] = relationship()  # noqa: F821


class Consent(Base):
    """A visitor's answer to the event's consent text, as proof for GDPR."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interactions.id", ondelete="SET NULL"))
    purposes: Mapped[list] = mapped_column(JSON, default=list)
    granted: Mapped[bool] = mapped_column(Boolean)
    text_version: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(5))
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    captured_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lead: Mapped[Lead] = relationship(back_populates="consents")
    interaction: Mapped["Interaction | None"] = relationship()
