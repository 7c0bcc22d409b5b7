"""The transactional outbox: written with the lead, one row per lead per connector, coalesced, re-queued by edits."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event, func, select

from helpers import at, new_client_id
from leadcapture.actors import Actor
from leadcapture.assignment import reassign
from leadcapture.attendees import import_roster, read_roster
from leadcapture.capture import Scan, ingest_many
from leadcapture.leads import update_lead
from leadcapture.models import CrmConnector, Lead, OutboxRow, Role
from leadcapture.rules import rescore_event
from sync import outbox
from sync.base import PushResult
from sync.configs import set_enabled
from sync_support import connector, ingest_all, rows, scans

FILEDROP = {"folder": "/tmp/leadcapture-not-written"}


def test_ingest_queues_each_lead_for_each_enabled_connector_of_its_event(session, make_event):
    event, other = make_event("salon-a"), make_event("salon-b")
    mine = connector(session, "filedrop", event, **FILEDROP)
    everywhere = connector(session, "filedrop", None, **FILEDROP)
    connector(session, "filedrop", other, **FILEDROP)
    off = connector(session, "filedrop", event, **FILEDROP)
    set_enabled(session, off, False, Actor.cli())
    session.commit()

    ingest_all(session, event, scans(3))

    queued = rows(session)
    assert sorted((r.connector_id, r.status, r.version) for r in queued) == sorted(
        [(mine.id, "pending", 1)] * 3 + [(everywhere.id, "pending", 1)] * 3)


def test_nothing_is_queued_when_the_scan_batch_rolls_back(session, make_event):
    event = make_event()
    connector(session, "filedrop", event, **FILEDROP)
    ingest_many(session, event, scans(2), Actor.cli())
    session.rollback()
    assert session.scalar(select(func.count()).select_from(OutboxRow)) == 0
    assert session.scalar(select(func.count()).select_from(Lead)) == 0


def test_meeting_someone_again_coalesces_into_the_same_pending_row(session, make_event):
    event = make_event()
    connector(session, "filedrop", event, **FILEDROP)
    ingest_all(session, event, scans(1))
    ingest_all(session, event, scans(1))  # the same visitor, a new scan
    [row] = rows(session)
    assert (row.status, row.version) == ("pending", 2)


def test_a_batch_looks_up_connectors_once_however_many_leads(app, session, make_event):
    event = make_event()
    connector(session, "filedrop", event, **FILEDROP)
    statements = []
    engine = app.extensions["leadcapture.engine"]

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        ingest_all(session, event, scans(200))
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    assert sum("FROM crm_connectors" in s for s in statements) == 1
    assert sum(s.lstrip().upper().startswith("INSERT INTO SYNC_OUTBOX") for s in statements) >= 1
    assert len(rows(session)) == 200


def test_an_edit_requeues_a_done_or_dead_row_but_not_a_discarded_one(session, make_event):
    event = make_event()
    conn = connector(session, "filedrop", event, **FILEDROP)
    ingest_all(session, event, scans(3))
    done, dead, discarded = rows(session)
    done.status, dead.status, dead.attempts, dead.last_error = "done", "dead", 3, "refused"
    discarded.status, discarded.discard_reason = "discarded", "a competitor"
    session.commit()

    for row in (done, dead, discarded):
        update_lead(session, session.get(Lead, row.lead_id), {"job_title": "CTO"}, Actor.cli())
    session.commit()

    done, dead, discarded = rows(session)
    assert (done.status, done.version) == ("pending", 2)
    assert (dead.status, dead.attempts, dead.version) == ("pending", 0, 2)
    assert (discarded.status, discarded.version) == ("discarded", 1)
    assert conn.id == done.connector_id


def test_an_edit_during_a_push_is_pushed_again(session, make_event):
    """The worker marks a row done only if the lead did not change while it was being pushed."""
    event = make_event()
    connector(session, "filedrop", event, **FILEDROP)
    ingest_all(session, event, scans(1))
    [row] = rows(session)
    token, [claim] = outbox.claim(session, row.connector_id, 10, timedelta(minutes=5))
    session.commit()

    update_lead(session, session.get(Lead, row.lead_id), {"company": "Beta"}, Actor.cli())  # meanwhile
    session.commit()
    outbox.record_results(session, token, [(claim, PushResult.done("crm-1"))], lambda *_: None)
    session.commit()

    [row] = rows(session)
    assert (row.status, row.version, row.claim_token, row.remote_id) == ("pending", 2, None, "crm-1")
    _token, [again] = outbox.claim(session, row.connector_id, 10, timedelta(minutes=5))
    assert again.version == 2


def test_claimed_rows_are_not_claimed_again_until_the_lease_ends(session, make_event):
    event = make_event()
    conn = connector(session, "filedrop", event, **FILEDROP)
    ingest_all(session, event, scans(5))
    _token, first = outbox.claim(session, conn.id, 3, timedelta(minutes=5))
    _token, second = outbox.claim(session, conn.id, 10, timedelta(minutes=5))
    assert len(first) == 3 and len(second) == 2
    assert not {c.row_id for c in first} & {c.row_id for c in second}
    _token, third = outbox.claim(session, conn.id, 10, timedelta(minutes=5))
    assert third == []


@pytest.mark.parametrize("outcome", ["dead", "retry"])
def test_results_are_recorded_per_row(session, make_event, outcome):
    event = make_event()
    conn = connector(session, "filedrop", event, **FILEDROP)
    ingest_all(session, event, scans(2))
    token, claims = outbox.claim(session, conn.id, 10, timedelta(minutes=5))
    later = session.get(CrmConnector, conn.id).created_at + timedelta(days=1)
    results = [PushResult.done("A", note="x"), PushResult(outcome, message="CRM says no")]
    counts = outbox.record_results(session, token, list(zip(claims, results)), lambda attempts, after: later)
    session.commit()
    first, second = rows(session)
    assert (first.status, first.remote_id, first.remote_state) == ("done", "A", {"note": "x"})
    assert second.status == ("dead" if outcome == "dead" else "pending")
    assert (second.last_error, second.attempts, second.claim_token) == ("CRM says no", 1, None)
    assert counts == {"done": 1, outcome: 1}


def test_a_connector_added_after_the_show_gets_the_leads_already_there(session, make_event):
    event, other = make_event("salon-a"), make_event("salon-b")
    ingest_all(session, event, scans(3))
    ingest_all(session, other, scans(2, start=10))
    mine = connector(session, "filedrop", event, **FILEDROP)
    everywhere = connector(session, "filedrop", None, **FILEDROP)
    queued = Counter(r.connector_id for r in rows(session) if r.status == "pending")
    assert queued == {mine.id: 3, everywhere.id: 5}


def test_enabling_again_queues_what_was_scanned_or_changed_meanwhile(session, make_event):
    event = make_event()
    conn = connector(session, "filedrop", event, **FILEDROP)
    ingest_all(session, event, scans(2))
    for row in rows(session):
        row.status, row.pushed_at = "done", row.changed_at
    session.commit()
    set_enabled(session, conn, False, Actor.cli())
    session.commit()
    ingest_all(session, event, scans(1, start=5))  # scanned while off: not queued now
    first = session.scalars(select(Lead).order_by(Lead.id)).first()
    update_lead(session, first, {"city": "Lyon"}, Actor.cli())  # changed while off
    session.commit()
    assert len(rows(session)) == 2

    set_enabled(session, conn, True, Actor.cli())
    session.commit()
    states = {r.lead_id: r.status for r in rows(session)}
    assert states == {first.id: "pending", first.id + 1: "done", first.id + 2: "pending"}


def _settle(session) -> None:
    for row in rows(session):
        row.status = "done"
    session.commit()


def test_reassigning_a_lead_queues_its_new_owner_for_the_crm(session, make_event, make_user):
    event = make_event()
    connector(session, "filedrop", event, **FILEDROP)
    ingest_all(session, event, scans(1))
    _settle(session)
    rep = make_user("Rémi", role=Role.REP, events=[event])
    boss = make_user("Marc", role=Role.MARKETING, events=[event])
    reassign(session, session.scalars(select(Lead)).one(), rep, Actor.for_user(boss))
    session.commit()
    assert [r.status for r in rows(session)] == ["pending"]


def test_completing_a_lead_from_the_roster_queues_it(session, make_event):
    event = make_event()
    connector(session, "filedrop", event, **FILEDROP)
    ingest_many(session, event, [Scan(new_client_id(), at(9), payload="SD00042")], Actor.cli())
    session.commit()
    _settle(session)
    roster = read_roster("N° d'inscription;Prénom;Nom;E-mail\nSD00042;Paul;Verlaine;paul@example.com\n".encode())
    import_roster(session, event, roster, Actor.cli())
    session.commit()
    lead = session.scalars(select(Lead)).one()
    assert (lead.incomplete, lead.email) == (False, "paul@example.com")
    assert [r.status for r in rows(session)] == ["pending"]


def test_rescoring_an_event_queues_its_leads(session, make_event):
    event = make_event()
    connector(session, "filedrop", event, **FILEDROP)
    ingest_all(session, event, scans(3))
    _settle(session)
    rescore_event(session, event)
    session.commit()
    assert Counter(r.status for r in rows(session)) == {"pending": 3}
