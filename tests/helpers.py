"""Small helpers shared by test modules."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def new_client_id() -> str:
    return str(uuid.uuid4())


def at(hour: int, minute: int = 0, day: int = 14) -> datetime:
    """A capture time on the test event's first day, given in UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=timezone.utc)
