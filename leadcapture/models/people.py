"""Users of the system, their API tokens, and an event's attendee roster."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime, utcnow
from .events import event_members


class Role(str, enum.Enum):
    ADMIN = "admin"
    MARKETING = "marketing"
    STAFF = "staff"
    REP = "rep"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # a Role value
    password_hash: Mapped[str | None] = mapped_column(String(255))
    pin_hash: Mapped[str | None] = mapped_column(String(255))  # 4-6 digit kiosk PIN
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Territory of a sales rep, used by routing.
    territory_countries: Mapped[list] = mapped_column(JSON, default=list)
    territory_regions: Mapped[list] = mapped_column(JSON, default=list)
    territory_postal_prefixes: Mapped[list] = mapped_column(JSON, default=list)
    # Routing: a rep's share of the round-robin (relative weight; 0 takes no new leads), and leave.
    capacity: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    away: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Language of the e-mails this user receives.
    locale: Mapped[str] = mapped_column(String(5), default="fr", server_default="fr")
    # The rep's user id in each CRM ({"hubspot": owner id, "salesforce": user id}), for lead owners.
    crm_ids: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    events: Mapped[list["Event"]] = relationship(secondary=event_members, back_populates="members")  # noqa: F821

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN.value


class ApiToken(Base):
    """A user's bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class Attendee(Base):
    """One registered visitor of an event, as given by the organiser's roster."""

    __tablename__ = "attendees"
    __table_args__ = (
        UniqueConstraint("event_id", "registration_id"),
        Index("ix_attendees_event_email", "event_id", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    registration_id: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    first_name: Mapped[str | None] = mapped_column(String(120))
    last_name: Mapped[str | None] = mapped_column(String(120))
    company: Mapped[str | None] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(50))
    city: Mapped[str | None] = mapped_column(String(120))
    country: Mapped[str | None] = mapped_column(String(2))
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
