"""Notifications waiting to be sent (e-mail to a rep, webhook), written in the transaction that assigns."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime, utcnow


class NotificationStatus(str, enum.Enum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # refused for good (e.g. the mail server rejects the address); kept to be looked at
    SKIPPED = "skipped"  # the channel is not configured (no webhook URL)


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # the recipient
    channel: Mapped[str] = mapped_column(String(10))  # "email" or "webhook"
    kind: Mapped[str] = mapped_column(String(30))  # "lead.assigned"
    status: Mapped[str] = mapped_column(String(10), default=NotificationStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A sender leases the rows it works on; a sender that dies leaves them to others when the lease ends.
    claimed_by: Mapped[str | None] = mapped_column(String(36))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lead: Mapped["Lead"] = relationship()  # noqa: F821
    user: Mapped["User | None"] = relationship()  # noqa: F821
