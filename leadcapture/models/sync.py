"""CRM sync: configured connectors and the transactional outbox of leads waiting for them."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime, utcnow


class OutboxStatus(str, enum.Enum):
    PENDING = "pending"  # waiting for a push (possibly claimed by a worker, or backing off)
    DONE = "done"  # the CRM has the lead's latest version
    DEAD = "dead"  # the CRM refused it for good: a person must fix the lead or retry
    DISCARDED = "discarded"  # a person decided this lead never goes to this CRM


class CrmConnector(Base):
    """One configured CRM connection, for one event or (event_id NULL) for every event.

    `config` holds the non-secret fields a connector declares; `secrets` the
    Fernet token of a JSON object of the secret ones (see sync.crypto). `state`
    is the connector's own memory (custom properties created, marketing events
    created), and the pause/failure columns let several workers agree that the
    CRM asked us to wait.
    """

    __tablename__ = "crm_connectors"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # a key of sync.registry.CONNECTORS
    name: Mapped[str] = mapped_column(String(80), unique=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    config: Mapped[dict] = mapped_column(JSON, default=dict)
    secrets: Mapped[str | None] = mapped_column(Text)
    state: Mapped[dict] = mapped_column(JSON, default=dict)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # consecutive failed batches
    last_error: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Deals pulled back for ROI: changes up to this time are stored; the next pull is due at outcomes_due_at.
    outcomes_pulled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcomes_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped["Event | None"] = relationship()  # noqa: F821


class OutboxRow(Base):
    """One lead for one connector. Changes to the lead coalesce into this row.

    `version` grows with every change; a worker marks a row done only if the
    version it pushed is still the latest, so an edit made during a push is
    pushed again. `claim_token` marks the worker that holds the row until
    `next_attempt_at` (its lease) passes.
    """

    __tablename__ = "sync_outbox"
    __table_args__ = (
        UniqueConstraint("connector_id", "lead_id"),
        Index("ix_sync_outbox_due", "connector_id", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connector_id: Mapped[int] = mapped_column(ForeignKey("crm_connectors.id", ondelete="CASCADE"))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING.value)
    version: Mapped[int] = mapped_column(Integer, default=1)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remote_id: Mapped[str | None] = mapped_column(String(100))
    # What the connector already did for this lead (note written, attendance recorded...).
    remote_state: Mapped[dict] = mapped_column(JSON, default=dict)
    last_error: Mapped[str | None] = mapped_column(Text)
    discard_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    connector: Mapped[CrmConnector] = relationship()
    lead: Mapped["Lead"] = relationship()  # noqa: F821
