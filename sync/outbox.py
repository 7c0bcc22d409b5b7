"""The transactional outbox: which leads each connector still owes its CRM.

`enqueue` is called by the write paths (capture, lead edits, roster
completion) inside their own transaction, so a lead and its pending push are
committed together or not at all. There is one row per lead per connector;
further changes bump its `version` instead of adding rows, which coalesces
many edits into one push. Workers `claim` due rows (FOR UPDATE SKIP LOCKED on
PostgreSQL, so several can run; SQLite serialises writers anyway), push, then
`record_results` or `reschedule`. Functions here only flush; the caller commits.
"""
from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import JSON, Integer, String, bindparam, case, func, literal, or_, select, update
from sqlalchemy.orm import Session, joinedload

from leadcapture.actors import Actor
from leadcapture.audit import record
from leadcapture.db import UTCDateTime, utcnow
from leadcapture.models import CrmConnector, Lead, OutboxRow, OutboxStatus

from .base import PushResult
from .records import Claim

PENDING, DONE, DEAD, DISCARDED = (s.value for s in OutboxStatus)
_t = OutboxRow.__table__


def _insert(session: Session):
    """INSERT ... ON CONFLICT for the session's database (both speak the same upsert)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(_t)


def enqueue(session: Session, event_id: int, lead_ids: Iterable[int]) -> int:
    """Owe every enabled connector of the event (and every global one) a push of these leads.

    One query for the connectors and one statement for the rows, however many
    leads. A row already pending stays as it is scheduled (a backoff is kept);
    a done or dead row becomes pending now; a discarded one stays discarded.
    Returns the number of (connector, lead) pairs written.
    """
    leads = sorted(set(lead_ids))
    if not leads:
        return 0
    connectors = session.scalars(select(CrmConnector.id).where(
        CrmConnector.enabled.is_(True),
        or_(CrmConnector.event_id == event_id, CrmConnector.event_id.is_(None)),
    ).order_by(CrmConnector.id)).all()
    if not connectors:
        return 0
    now = utcnow()
    # Not IN (...): an expanding parameter cannot go through executemany.
    settled = or_(_t.c.status == DONE, _t.c.status == DEAD)
    statement = _insert(session)
    statement = statement.on_conflict_do_update(
        index_elements=[_t.c.connector_id, _t.c.lead_id],
        set_={
            "version": _t.c.version + 1,
            "status": PENDING,
            "changed_at": statement.excluded.changed_at,
            "attempts": case((settled, 0), else_=_t.c.attempts),
            "next_attempt_at": case((settled, statement.excluded.next_attempt_at), else_=_t.c.next_attempt_at),
        },
        where=_t.c.status != DISCARDED,
    )
    # Sorted so that concurrent writers lock rows in the same order (no deadlock on PostgreSQL).
    rows = [{"connector_id": c, "lead_id": lead, "status": PENDING, "version": 1, "attempts": 0,
             "next_attempt_at": now, "changed_at": now, "created_at": now, "remote_state": {}}
            for c in connectors for lead in leads]
    session.execute(statement, rows)
    return len(rows)


def backfill(session: Session, connector: CrmConnector) -> int:
    """Owe a connector that was just added or enabled the leads it has not got: those never queued
    for it (scanned before it existed, or while it was off), and those changed since it last
    pushed them. One INSERT ... SELECT and one UPDATE, however many leads. Returns rows queued."""
    now = utcnow()
    columns = ["connector_id", "lead_id", "status", "version", "attempts", "next_attempt_at", "changed_at",
               "created_at", "remote_state"]
    source = select(literal(connector.id), Lead.id, literal(PENDING), literal(1), literal(0),
                    literal(now, UTCDateTime), literal(now, UTCDateTime), literal(now, UTCDateTime),
                    literal({}, JSON)).where(  # SQLite's INSERT ... SELECT ... ON CONFLICT needs a WHERE
        Lead.event_id == connector.event_id if connector.event_id is not None else Lead.event_id.is_not(None))
    added = session.execute(_insert(session).from_select(columns, source).on_conflict_do_nothing(
        index_elements=[_t.c.connector_id, _t.c.lead_id])).rowcount
    changed = select(Lead.id).where(Lead.id == _t.c.lead_id, Lead.updated_at > _t.c.pushed_at).exists()
    requeued = session.execute(update(_t).where(_t.c.connector_id == connector.id, _t.c.status == DONE, changed)
                               .values(status=PENDING, version=_t.c.version + 1, next_attempt_at=now,
                                       changed_at=now)).rowcount
    return max(added, 0) + max(requeued, 0)


def claim(session: Session, connector_id: int, limit: int, lease: timedelta) -> tuple[str, list[Claim]]:
    """Take up to `limit` due rows of a connector for `lease`; returns (claim token, claims).

    Commit right after, so other workers see the claim; a worker that dies lets
    its rows become due again when the lease ends.
    """
    now = utcnow()
    found = session.execute(
        select(_t.c.id, _t.c.lead_id, _t.c.version, _t.c.attempts, _t.c.remote_state)
        .where(_t.c.connector_id == connector_id, _t.c.status == PENDING, _t.c.next_attempt_at <= now)
        .order_by(_t.c.next_attempt_at, _t.c.id).limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    token = uuid.uuid4().hex
    if found:
        session.execute(update(_t).where(_t.c.id.in_([r.id for r in found]))
                        .values(claim_token=token, next_attempt_at=now + lease))
    return token, [Claim(r.id, r.lead_id, r.version, r.attempts, dict(r.remote_state or {})) for r in found]


def record_results(session: Session, token: str, pairs: list[tuple[Claim, PushResult]],
                   retry_at) -> Counter:
    """Store what the CRM said about each claimed row; `retry_at(attempts, retry_after) -> datetime`.

    A row is marked done or dead only if the lead did not change during the
    push (same version); otherwise it is due again at once, with the new data.
    Rows without a result (their lead was deleted meanwhile) are released.
    Returns how many rows ended in each outcome.
    """
    now = utcnow()
    counts: Counter = Counter()
    progress, done, dead, retry = [], [], [], []
    for claim, result in pairs:
        counts[result.outcome] += 1
        keys = {"b_id": claim.row_id, "b_version": claim.version}
        progress.append({**keys, "b_state": {**claim.state, **result.state}, "b_remote": result.remote_id})
        if result.outcome == "done":
            done.append(keys)
        elif result.outcome == "dead":
            dead.append({**keys, "b_error": result.message})
        else:
            retry.append({**keys, "b_error": result.message,
                          "b_next": retry_at(claim.attempts + 1, result.retry_after)})
    mine = [_t.c.id == bindparam("b_id"), _t.c.claim_token == token]
    if progress:
        session.execute(update(_t).where(*mine).values(
            remote_state=bindparam("b_state", type_=JSON),
            remote_id=func.coalesce(bindparam("b_remote", type_=String), _t.c.remote_id)), progress)
    same_version = _t.c.version == bindparam("b_version", type_=Integer)
    if done:
        session.execute(update(_t).where(*mine, same_version).values(
            status=DONE, pushed_at=now, attempts=0, last_error=None, claim_token=None), done)
    if dead:
        session.execute(update(_t).where(*mine, same_version).values(
            status=DEAD, attempts=_t.c.attempts + 1, last_error=bindparam("b_error", type_=String),
            claim_token=None), dead)
    if retry:
        session.execute(update(_t).where(*mine).values(
            attempts=_t.c.attempts + 1, last_error=bindparam("b_error", type_=String),
            next_attempt_at=bindparam("b_next", type_=UTCDateTime), claim_token=None), retry)
    session.execute(update(_t).where(_t.c.claim_token == token).values(claim_token=None, next_attempt_at=now))
    return counts


def reschedule(session: Session, token: str, claims: list[Claim], message: str,
               next_at, count_attempt: bool) -> None:
    """Give a whole claimed batch back: due at `next_at(claim) -> datetime`, with `message` as last error.

    `count_attempt` False when nothing was wrong with the leads (the CRM paused us).
    """
    if not claims:
        return
    session.execute(update(_t).where(_t.c.id == bindparam("b_id"), _t.c.claim_token == token).values(
        attempts=_t.c.attempts + (1 if count_attempt else 0), last_error=message,
        next_attempt_at=bindparam("b_next", type_=UTCDateTime), claim_token=None),
        [{"b_id": c.row_id, "b_next": next_at(c)} for c in claims])


def retry_dead(session: Session, row: OutboxRow, actor: Actor) -> None:
    """A person asks for another try of a dead letter (after fixing the lead or the CRM)."""
    if row.status != DEAD:
        return
    record(session, actor, "sync.retry", "sync_outbox", row.id, row.lead.event_id,
           {"lead_id": row.lead_id, "connector": row.connector.name, "last_error": row.last_error})
    row.status, row.attempts, row.next_attempt_at = PENDING, 0, utcnow()
    session.flush()


def discard(session: Session, row: OutboxRow, reason: str, actor: Actor) -> None:
    """A person decides this lead never goes to this connector; the reason is kept and audited."""
    if row.status != DEAD:
        return
    record(session, actor, "sync.discard", "sync_outbox", row.id, row.lead.event_id,
           {"lead_id": row.lead_id, "connector": row.connector.name, "reason": reason,
            "last_error": row.last_error})
    row.status, row.discard_reason = DISCARDED, reason
    session.flush()


def status_counts(session: Session, connector_ids: list[int] | None = None) -> dict[int, Counter]:
    """connector id -> Counter of rows by status (pending, done, dead, discarded)."""
    query = select(_t.c.connector_id, _t.c.status, func.count()).group_by(_t.c.connector_id, _t.c.status)
    if connector_ids is not None:
        query = query.where(_t.c.connector_id.in_(connector_ids))
    counts: dict[int, Counter] = {}
    for connector_id, status, n in session.execute(query):
        counts.setdefault(connector_id, Counter())[status] = n
    return counts


def dead_count(session: Session, event_ids: list[int] | None) -> int:
    """How many dead rows the leads of these events (all events when None) have."""
    query = select(func.count()).select_from(_t).where(_t.c.status == DEAD)
    if event_ids is not None:
        query = query.join(Lead, Lead.id == _t.c.lead_id).where(Lead.event_id.in_(event_ids))
    return session.scalar(query)


def dead_letters(session: Session, event_ids: list[int] | None, limit: int = 500) -> list[OutboxRow]:
    """Dead rows, newest change first, of these events' leads (all events when None)."""
    query = (select(OutboxRow).join(Lead, Lead.id == OutboxRow.lead_id).where(OutboxRow.status == DEAD)
             .options(joinedload(OutboxRow.lead).joinedload(Lead.event), joinedload(OutboxRow.connector))
             .order_by(OutboxRow.changed_at.desc(), OutboxRow.id.desc()).limit(limit))
    if event_ids is not None:
        query = query.where(Lead.event_id.in_(event_ids))
    return list(session.scalars(query))

