"""The notification queue: rows written in the assigning transaction, claimed by senders with a lease.

A sender claims due rows for `LEASE` (FOR UPDATE SKIP LOCKED on PostgreSQL, so
several senders never claim one row; SQLite serialises writers anyway), then
delivers them with no transaction open, then marks each one. A row is marked
sent only after the server accepted it; a sender that dies mid-way leaves its
rows to be claimed again when the lease ends.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..models import Lead, Notification, NotificationStatus

CHANNELS = ("email", "webhook")
LEASE = timedelta(minutes=5)  # longer than any delivery attempt (SMTP and HTTP time out after 30 s)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
PENDING = NotificationStatus.PENDING.value


def enqueue_assignment(session: Session, lead: Lead, owner_id: int) -> None:
    """Queue "lead.assigned" for the owner on every channel; the sender skips channels not configured."""
    for channel in CHANNELS:
        session.add(Notification(event_id=lead.event_id, lead=lead, user_id=owner_id, channel=channel,
                                 kind="lead.assigned"))


def claim_due(session: Session, now: datetime, limit: int = 50, channels=CHANNELS) -> tuple[str, list[int]]:
    """Lease up to `limit` due rows of `channels` to a new claim token and commit; returns (token, ids)."""
    token = uuid.uuid4().hex
    ids = list(session.scalars(
        select(Notification.id)
        .where(Notification.status == PENDING, Notification.next_attempt_at <= now,
               Notification.channel.in_(channels),
               or_(Notification.claimed_until.is_(None), Notification.claimed_until < now))
        .order_by(Notification.id).limit(limit)
        .with_for_update(skip_locked=True)
    ))
    if ids:
        session.execute(update(Notification).where(Notification.id.in_(ids))
                        .values(claimed_by=token, claimed_until=now + LEASE))
    session.commit()
    return token, ids


def finish(session: Session, notification_id: int, token: str, now: datetime, *, sent: bool = False,
           error: str | None = None, permanent: bool = False, skipped: bool = False) -> bool:
    """Record how a delivery went and release the claim; commits. False when the lease was lost."""
    values: dict = {"claimed_by": None, "claimed_until": None}
    row = session.get(Notification, notification_id)
    if row is None or row.claimed_by != token:
        session.rollback()
        return False
    if sent:
        values.update(status=NotificationStatus.SENT.value, sent_at=now, last_error=None,
                      attempts=row.attempts + 1)
    elif skipped:
        values.update(status=NotificationStatus.SKIPPED.value, last_error=error)
    elif permanent:
        values.update(status=NotificationStatus.FAILED.value, last_error=error, attempts=row.attempts + 1)
    else:
        values.update(last_error=error, attempts=row.attempts + 1, next_attempt_at=now + backoff(row.attempts + 1))
    session.execute(update(Notification).where(Notification.id == notification_id,
                                               Notification.claimed_by == token).values(**values))
    session.commit()
    return True


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... up to an hour between tries: SMTP may be down for a while, never for good."""
    return min(BACKOFF_BASE * 2 ** min(attempts - 1, 12), BACKOFF_MAX)
