"""Deliver queued notifications after commit: claim, send, mark; retry with backoff.

`run_once` does one pass and returns counts; `run_forever` repeats until told to
stop; `start_thread(app)` runs it beside the web server. Several senders (threads,
processes, machines) may run at once: claiming leases each row to one of them.
"""
from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, selectinload

from ..db import utcnow
from ..models import Event, Interaction, Lead, Notification
from . import queue
from .render import assignment_email, assignment_webhook
from .smtp import DeliveryError, SmtpSettings, send_email
from .webhook import WebhookSettings, post

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Channels:
    smtp: SmtpSettings | None
    webhook: WebhookSettings | None
    server_url: str

    @classmethod
    def from_env(cls, server_url: str) -> "Channels":
        return cls(SmtpSettings.from_env(), WebhookSettings.from_env(), server_url)


def run_once(sessions: Callable[[], Session], channels: Channels, now: Callable[[], datetime] = utcnow,
             limit: int = 50) -> Counter:
    """Deliver every notification due now, `limit` at a time. Returns Counter(sent=, retry=, failed=, skipped=).

    Without SMTP settings e-mails are left alone, to go once it is configured;
    webhook rows without a webhook configured are marked skipped.
    """
    stats: Counter = Counter()
    wanted = ("email", "webhook") if channels.smtp is not None else ("webhook",)
    while True:
        with sessions() as session:
            token, ids = queue.claim_due(session, now(), limit, wanted)
        if not ids:
            return stats
        for notification_id in ids:
            outcome = _deliver(sessions, channels, notification_id, token, now)
            stats[outcome] += 1
        if len(ids) < limit:
            return stats


def run_forever(sessions: Callable[[], Session], channels: Channels, stop: threading.Event,
                interval: float = 5.0) -> None:
    """Pass over the queue every `interval` seconds until `stop` is set; errors are logged, never fatal."""
    while not stop.is_set():
        try:
            run_once(sessions, channels)
        except Exception:  # a database hiccup must not kill the thread: the next pass tries again
            log.exception("notification pass failed")
        stop.wait(interval)


def start_thread(sessions: Callable[[], Session], channels: Channels, interval: float = 5.0
                 ) -> tuple[threading.Thread, threading.Event]:
    """Run the sender in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(sessions, channels, stop, interval),
                              name="leadcapture-notify", daemon=True)
    thread.start()
    return thread, stop


def _deliver(sessions, channels: Channels, notification_id: int, token: str, now) -> str:
    with sessions() as session:
        row = session.get(Notification, notification_id, options=[
            selectinload(Notification.lead).selectinload(Lead.interactions).selectinload(Interaction.staff),
            selectinload(Notification.user)])
        if row is None:
            return "gone"
        channel = row.channel
        try:
            send = _prepare(session, row, channels)
            # No transaction stays open while the network is slow: on SQLite it would hold the write lock.
            session.rollback()
            send()
        except DeliveryError as exc:
            log.warning("notification %s (%s) not delivered: %s", notification_id, channel, exc)
            queue.finish(session, notification_id, token, now(), error=str(exc), permanent=exc.permanent)
            return "failed" if exc.permanent else "retry"
        except _NotConfigured as exc:
            queue.finish(session, notification_id, token, now(), error=str(exc), skipped=True)
            return "skipped"
        queue.finish(session, notification_id, token, now(), sent=True)
        return "sent"


class _NotConfigured(Exception):
    pass


def _prepare(session: Session, row: Notification, channels: Channels) -> Callable[[], None]:
    """Render the notification now (the data is loaded) and return what sends it."""
    lead, owner = row.lead, row.user
    event = session.get(Event, row.event_id)
    if row.channel == "email":
        if owner is None:
            raise DeliveryError("the rep this e-mail was for no longer exists", permanent=True)
        message, smtp = assignment_email(lead, event, owner, channels.server_url, row.id), channels.smtp
        return lambda: send_email(smtp, message)
    if row.channel == "webhook":
        if channels.webhook is None:
            raise _NotConfigured("no webhook configured (LEADCAPTURE_WEBHOOK_URL)")
        payload, hook, delivery = (assignment_webhook(lead, event, owner, channels.server_url), channels.webhook,
                                   f"notification-{row.id}")
        return lambda: post(hook, payload, delivery)
    raise DeliveryError(f"unknown channel {row.channel!r}", permanent=True)
