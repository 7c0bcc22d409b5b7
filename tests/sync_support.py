"""Helpers for the CRM sync tests: leads made through the real capture path, connectors, a fast worker."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from leadcapture.actors import Actor
from leadcapture.capture import Scan, ScanRejected, ingest_many
from leadcapture.models import CrmConnector, Event, OutboxRow, User
from sync.configs import add_connector
from sync.worker import Worker, WorkerSettings

# Small waits, so that hundreds of retries fit in a few seconds.
FAST = WorkerSettings(poll_seconds=0.05, backoff_base=0.02, backoff_cap=0.15, lease_seconds=30)
START = datetime(2026, 3, 14, 9, 0, tzinfo=timezone.utc)
ANSWERS = {"interest": ["kiosk"], "timeline": "lt3m"}
CONSENT = {"granted": True, "purposes": ["marketing"], "language": "fr", "text_version": "2026-01"}


def scans(count: int, start: int = 0, staff: User | None = None, email=lambda n: f"visitor{n}@example.com",
          **extra) -> list[Scan]:
    """`count` scans of different visitors, with answers, a note and consent."""
    return [Scan(client_id=str(uuid.uuid4()), captured_at=START + timedelta(seconds=n), source="camera",
                 contact={k: v for k, v in {"first_name": f"Visitor{n}", "last_name": "Test", "company": "Acme",
                                            "email": email(n)}.items() if v},
                 staff_id=staff.id if staff else None, answers=dict(ANSWERS), notes=f"met at the bar #{n}",
                 rating="hot", consent=dict(CONSENT), **extra)
            for n in range(start, start + count)]


def ingest_all(session, event: Event, items: list[Scan], batch: int = 500) -> None:
    """Store scans through capture.ingest_many, committing per batch as the API does."""
    for i in range(0, len(items), batch):
        results = ingest_many(session, event, items[i:i + batch], Actor.cli())
        rejected = [r for r in results if isinstance(r, ScanRejected)]
        assert not rejected, rejected[:3]
        session.commit()


def connector(session, kind: str, event: Event | None = None, name: str | None = None, **values) -> CrmConnector:
    row = add_connector(session, kind, name or f"{kind}-{uuid.uuid4().hex[:6]}", event, values, Actor.cli())
    session.commit()
    return row


def hubspot_values(server, **overrides) -> dict:
    return {"token": server.token, "base_url": server.url, "account_id": "4242", "requests_per_10s": 190,
            "timeout": 0.4, **overrides}


def salesforce_values(server, **overrides) -> dict:
    return {"base_url": server.url, "client_id": server.client_id, "client_secret": server.client_secret,
            "timeout": 0.4, **overrides}


def worker(app, seed: int = 1, **settings) -> Worker:
    return Worker(app.extensions["leadcapture.sessions"], WorkerSettings(**{**FAST.__dict__, **settings}), seed=seed)


def pending(session, connector_id: int | None = None) -> int:
    query = select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "pending")
    if connector_id is not None:
        query = query.where(OutboxRow.connector_id == connector_id)
    session.expire_all()
    count = session.scalar(query)
    session.commit()  # SQLite: a reading transaction holds the write lock the worker and the app need
    return count


def drain(app, session, w: Worker | None = None, timeout: float = 60.0) -> Worker:
    """Run worker passes until no row is pending (backoffs and pauses included), or fail."""
    w = w or worker(app)
    session.commit()  # SQLite: let go of the write lock the test's session may hold
    deadline = time.monotonic() + timeout
    while True:
        w.run_once()
        if not pending(session):
            return w
        assert time.monotonic() < deadline, f"{pending(session)} rows still pending after {timeout} s"
        time.sleep(0.02)


def rows(session, status: str | None = None) -> list[OutboxRow]:
    session.expire_all()
    query = select(OutboxRow).order_by(OutboxRow.id)
    if status:
        query = query.where(OutboxRow.status == status)
    found = list(session.scalars(query))
    session.commit()  # as in pending(); the rows stay readable (expire_on_commit is off)
    return found
