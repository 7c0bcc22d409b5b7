"""Round-robin turn counters of routing rules, shared by every server worker through the database."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class RoutingCounter(Base):
    """How many leads a rule of an event has given a rep; read and bumped in the ingest transaction."""

    __tablename__ = "routing_counters"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    assigned: Mapped[int] = mapped_column(default=0)
