"""The sync worker: claims due outbox rows, pushes them in batches, and records what the CRM said.

Each pass takes every enabled, unpaused connector in turn and drains what is
due in batches of the connector's size. Database transactions stay short and
never span an HTTP call (on SQLite every transaction holds the write lock,
and the kiosks must keep writing). What can go wrong, and what happens:

- the CRM is down, slow, rate-limits us (429/5xx/timeouts/connection errors):
  the batch is due again after an exponential backoff with jitter (at least
  the CRM's Retry-After), and the connector waits as long before its next batch;
- the CRM refuses the whole call as malformed: the batch is split in halves
  until the lead at fault is alone, and that one becomes a dead letter;
- the CRM refuses one lead: that lead is a dead letter with the CRM's message;
- the CRM says pause (API allowance spent, credentials refused): the leads
  wait without counting an attempt, and the connector shows why;
- the worker dies mid-push: its claim lease ends and another worker retries.

One failing connector never stops the others.
"""
from __future__ import annotations

import json
import logging
import os
import random
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from leadcapture.db import utcnow
from leadcapture.models import CrmConnector

from . import outbox
from .base import BatchRejected, Connector, PauseConnector, PushResult, TransientError
from .configs import build
from .crypto import SecretsUnreadable
from .records import LeadRecord, load_records

log = logging.getLogger(__name__)
UNREADABLE_PAUSE = 300.0


@dataclass(frozen=True)
class WorkerSettings:
    """Timings; the defaults suit a booth laptop (back online -> synced within about two minutes)."""

    poll_seconds: float = 1.0  # idle wait between passes: bounds the scan-to-CRM latency
    backoff_base: float = 2.0  # first retry after 1-2 s, then doubling...
    backoff_cap: float = 120.0  # ...up to 1-2 minutes, however long the CRM stays away
    lease_seconds: float = 300.0  # a dead worker's rows are due again after this
    # Pull deals back for ROI every this many seconds per connector; None: never (from_env: 900).
    outcomes_every: float | None = None

    @classmethod
    def from_env(cls) -> "WorkerSettings":
        """LEADCAPTURE_SYNC_POLL, _BACKOFF_BASE, _BACKOFF_CAP, _LEASE and _OUTCOMES_EVERY (seconds; 0 turns
        the deal pull off) override the defaults."""
        names = {"poll_seconds": "POLL", "backoff_base": "BACKOFF_BASE", "backoff_cap": "BACKOFF_CAP",
                 "lease_seconds": "LEASE", "outcomes_every": "OUTCOMES_EVERY"}
        values: dict = {"outcomes_every": 900.0}
        for attr, suffix in names.items():
            raw = os.environ.get(f"LEADCAPTURE_SYNC_{suffix}")
            if raw:
                values[attr] = float(raw)
        if values["outcomes_every"] == 0:
            values["outcomes_every"] = None
        return cls(**values)


class Worker:
    """Drives every enabled connector (or only those named) from one thread."""

    def __init__(self, sessions: sessionmaker[Session], settings: WorkerSettings | None = None,
                 connector_names: list[str] | None = None, seed: int | None = None):
        self.sessions = sessions
        self.settings = settings or WorkerSettings()
        self.connector_names = connector_names
        self.rng = random.Random(seed)
        self._connectors: dict[int, tuple[tuple, Connector]] = {}
        self._stop = threading.Event()
        self.thread: threading.Thread | None = None  # set by start_thread

    def retry_delay(self, attempts: int, retry_after: float | None = None) -> float:
        """Seconds before attempt `attempts` + 1: exponential, with jitter so that workers retrying
        together spread out, and never sooner than the CRM's Retry-After."""
        ceiling = min(self.settings.backoff_cap, self.settings.backoff_base * 2 ** max(attempts - 1, 0))
        delay = self.rng.uniform(ceiling / 2, ceiling)
        return max(delay, retry_after) if retry_after is not None else delay

    def _retry_at(self, attempts: int, retry_after: float | None):
        return utcnow() + timedelta(seconds=self.retry_delay(attempts, retry_after))

    # ------------------------------------------------------------------ passes

    def run_once(self) -> Counter:
        """One pass over the connectors, each drained of what is due; returns outcome counts."""
        now = utcnow()
        with self.sessions() as session:
            query = select(CrmConnector.id).where(CrmConnector.enabled.is_(True)).order_by(CrmConnector.id)
            if self.connector_names is not None:
                query = query.where(CrmConnector.name.in_(self.connector_names))
            rows = session.execute(query.add_columns(CrmConnector.paused_until)).all()
        totals: Counter = Counter()
        for connector_id, paused_until in rows:
            if paused_until is None or paused_until <= now:
                totals += self._drain(connector_id)
                if self.settings.outcomes_every is not None:
                    totals += self._pull_outcomes(connector_id)
        return totals

    def _pull_outcomes(self, connector_id: int) -> Counter:
        """The connector's deals, when due (see leadcapture.roi.outcomes); a failure waits for the next turn."""
        from leadcapture.roi.outcomes import pull_and_store

        try:
            counts = pull_and_store(self.sessions, connector_id, timedelta(seconds=self.settings.outcomes_every))
        except Exception as exc:  # the CRM is away or refuses: pushing goes on, the pull is due again later
            log.warning("connector %s: pulling deals failed: %s", connector_id, exc)
            return Counter()
        return Counter({f"deals_{k}": v for k, v in (counts or {}).items()})

    def run_forever(self) -> None:
        """Pass after pass until stop(); a failing pass (database away...) is logged and retried."""
        while not self._stop.is_set():
            try:
                worked = sum(self.run_once().values())
            except Exception:
                log.exception("sync pass failed; trying again in %s s", self.settings.poll_seconds)
                worked = 0
            if not worked:
                self._stop.wait(self.settings.poll_seconds)

    def stop(self) -> None:
        self._stop.set()

    def shutdown(self, timeout: float = 15.0) -> None:
        """Stop, and wait for the thread to finish its current batch."""
        self.stop()
        if self.thread is not None:
            self.thread.join(timeout)

    # ------------------------------------------------------------------ one connector

    def _drain(self, connector_id: int) -> Counter:
        counts: Counter = Counter()
        while not self._stop.is_set():
            with self.sessions() as session:
                row = session.get(CrmConnector, connector_id)
                if row is None or not row.enabled or (row.paused_until and row.paused_until > utcnow()):
                    return counts
                try:
                    connector = self._connector(row)
                except (SecretsUnreadable, KeyError) as exc:
                    self._pause(session, row, str(exc), UNREADABLE_PAUSE)
                    session.commit()
                    return counts
                token, claims = outbox.claim(session, connector_id, connector.max_batch,
                                             timedelta(seconds=self.settings.lease_seconds))
                records = load_records(session, claims) if claims else []
                session.commit()
            if not claims:
                return counts
            counts += self._push_and_record(row, connector, token, claims, records)
        return counts

    def _push_and_record(self, row: CrmConnector, connector: Connector, token: str, claims: list,
                         records: list[LeadRecord]) -> Counter:
        by_row = {c.row_id: c for c in claims}
        error: Exception | None = None
        results: list[PushResult] = []
        try:
            results = self._push(connector, records) if records else []
        except (TransientError, PauseConnector) as exc:
            error = exc
        except Exception as exc:  # a connector bug must not stop the other connectors
            log.exception("connector %r failed on a batch", row.name)
            error = TransientError(f"internal error in the {row.kind} connector: {type(exc).__name__}: {exc}")
        with self.sessions() as session:
            # A fresh copy: another worker may have paused it or stored state meanwhile.
            current = session.get(CrmConnector, row.id)
            if connector.state != (current.state or {}):
                current.state = dict(connector.state)
            if isinstance(error, PauseConnector):
                until = self._pause(session, current, str(error), error.seconds)
                outbox.reschedule(session, token, claims, str(error), lambda _c: until, count_attempt=False)
                counts = Counter(paused=len(claims))
            elif isinstance(error, TransientError):
                current.failures += 1
                delay = self.retry_delay(current.failures, error.retry_after)
                current.paused_until, current.last_error = utcnow() + timedelta(seconds=delay), str(error)
                outbox.reschedule(session, token, claims, str(error),
                                  lambda c: self._retry_at(c.attempts + 1, error.retry_after), count_attempt=True)
                counts = Counter(retry=len(claims))
                log.warning("connector %r: %s; next try in %.1f s", current.name, error, delay)
            else:
                pairs = [(by_row[r.row_id], result) for r, result in zip(records, results)]
                counts = outbox.record_results(session, token, pairs, self._retry_at)
                current.failures, current.paused_until, current.last_error = 0, None, None
                current.last_success_at = utcnow()
                waits = [r.retry_after for r in results if r.outcome == "retry" and r.retry_after]
                if waits:  # the CRM asked for a pause in a later step of the batch
                    current.paused_until = utcnow() + timedelta(seconds=max(waits))
                log.info("connector %r: %s", current.name, dict(counts))
            session.commit()
        return counts

    def _push(self, connector: Connector, records: list[LeadRecord]) -> list[PushResult]:
        """push(), splitting a batch the CRM refuses as a whole until the lead at fault is alone."""
        try:
            return connector.push(records)
        except BatchRejected as exc:
            if len(records) == 1:
                return [PushResult.dead(str(exc))]
        middle = len(records) // 2
        return self._push_part(connector, records[:middle]) + self._push_part(connector, records[middle:])

    def _push_part(self, connector: Connector, records: list[LeadRecord]) -> list[PushResult]:
        # Once a split has begun, a transient failure of one half must not undo the other's results.
        try:
            return self._push(connector, records)
        except TransientError as exc:
            return [PushResult.retry(str(exc), exc.retry_after) for _ in records]

    def _pause(self, session: Session, row: CrmConnector, message: str, seconds: float):
        until = utcnow() + timedelta(seconds=seconds)
        row.paused_until, row.last_error = until, message
        log.warning("connector %r paused for %.0f s: %s", row.name, seconds, message)
        return until

    def _connector(self, row: CrmConnector) -> Connector:
        """The connector object for a row, kept while its configuration is unchanged (it holds
        tokens and rate limiters worth keeping between batches)."""
        fingerprint = (row.kind, json.dumps(row.config, sort_keys=True), row.secrets)
        cached = self._connectors.get(row.id)
        if cached is None or cached[0] != fingerprint:
            cached = (fingerprint, build(row))
            self._connectors[row.id] = cached
        return cached[1]


def start_thread(sessions: sessionmaker[Session], settings: WorkerSettings | None = None) -> Worker:
    """Run a Worker in a daemon thread (as `leadcapture serve` does); `.shutdown()` ends it."""
    worker = Worker(sessions, settings or WorkerSettings.from_env())
    worker.thread = threading.Thread(target=worker.run_forever, name="leadcapture-sync", daemon=True)
    worker.thread.start()
    return worker
