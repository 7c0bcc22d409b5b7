"""The worker against a CRM having a bad day: every lead exactly once, dead letters for refusals, several workers."""
from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from crm_servers import Faults
from crm_servers.hubspot import HubSpotServer
from leadcapture.models import Lead, OutboxRow
from sync import outbox
from sync.worker import Worker, WorkerSettings
from sync_support import FAST, connector, drain, hubspot_values, ingest_all, rows, scans, worker

LEADS = 1000


@pytest.fixture
def hubspot():
    server = HubSpotServer().start()
    yield server
    server.stop()


def test_1000_leads_through_30_percent_faults_arrive_exactly_once(app, session, make_event, hubspot):
    """429s, 500s, timeouts (applied late, as by a slow CRM) and resets on every endpoint, plus
    per-item refusals: each good lead is one contact with its attribution, each refusal a dead letter."""
    # The client gives up after 0.6 s and an injected timeout holds the answer 1.2 s: far enough
    # apart that a loaded 2-core CI machine answering slowly is not mistaken for a timeout.
    hubspot.faults = Faults(seed=6, rate_429=0.1, rate_500=0.1, rate_timeout=0.05, rate_reset=0.05,
                            timeout_sleep=1.2)
    hubspot.reject_contact = lambda email: "Email domain is blocked" if email.startswith("visitor7") else None
    event = make_event(campaign_name="Salon 2026")
    connector(session, "hubspot", event, **hubspot_values(hubspot, timeout=0.6))
    ingest_all(session, event, scans(LEADS))

    w = drain(app, session, timeout=120)

    injected = sum(hubspot.faults.injected.values())
    assert injected >= 15, hubspot.faults.injected  # the CRM really did misbehave
    dead = rows(session, "dead")
    refused = {f"visitor{n}@example.com" for n in range(LEADS) if str(n).startswith("7")}
    assert {session.get(Lead, r.lead_id).email for r in dead} == refused
    assert {r.last_error for r in dead} == {"HubSpot: Email domain is blocked"}
    assert len(rows(session, "done")) == LEADS - len(refused)
    # Exactly once: one contact per good lead, keyed by e-mail, carrying its own lead key.
    assert set(hubspot.by_email) == {f"visitor{n}@example.com" for n in range(LEADS)} - refused
    keys = {lead.email: lead.interactions[0].client_uuid for lead in session.scalars(select(Lead))}
    for email, contact_id in hubspot.by_email.items():
        p = hubspot.contacts[contact_id]["properties"]
        assert (p["lc_lead_id"], p["lc_campaign"], p["lc_event"]) == (keys[email], "Salon 2026", event.name)
        assert hubspot.notes_of(contact_id), email  # answers as a note (a late timeout may have made two)
    attended = Counter(a["email"] for a in hubspot.attendance[f"leadcapture-{event.slug}"])
    assert set(attended) == set(hubspot.by_email)

    # Running again pushes nothing; pushing everything again updates, never duplicates.
    session.commit()
    calls = sum(hubspot.calls.values())
    assert w.run_once() == {} and sum(hubspot.calls.values()) == calls
    hubspot.faults = Faults()
    outbox.enqueue(session, event.id, session.scalars(select(Lead.id)))  # as if every lead had been edited
    session.commit()
    drain(app, session, w)
    assert len(hubspot.contacts) == LEADS - len(refused)
    assert len(rows(session, "dead")) == len(refused)


# Several workers are a PostgreSQL set-up (FOR UPDATE SKIP LOCKED); SQLite runs one worker.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_workers_never_push_the_same_row(app, session, make_event, hubspot):
    hubspot.latency = 0.01  # so that the two workers' claims overlap in time
    event = make_event()
    connector(session, "hubspot", event, **hubspot_values(hubspot))
    ingest_all(session, event, scans(600))
    session.commit()
    sessions = app.extensions["leadcapture.sessions"]
    workers = [Worker(sessions, FAST, seed=n) for n in range(2)]
    done = [Counter(), Counter()]
    threads = [threading.Thread(target=lambda n=n: done[n].update(workers[n].run_once())) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert done[0]["done"] > 0 and done[1]["done"] > 0  # both really worked
    assert done[0]["done"] + done[1]["done"] == 600
    assert len(hubspot.trace_ids) == len(set(hubspot.trace_ids)) == 600
    assert len(hubspot.contacts) == 600


def test_a_dead_workers_rows_are_pushed_after_its_lease(app, session, make_event, hubspot):
    event = make_event()
    conn = connector(session, "hubspot", event, **hubspot_values(hubspot))
    ingest_all(session, event, scans(3))
    outbox.claim(session, conn.id, 10, timedelta(seconds=0.3))  # claimed, then the worker "dies"
    session.commit()
    assert worker(app).run_once() == {}
    time.sleep(0.35)
    drain(app, session)
    assert len(hubspot.contacts) == 3


def test_one_unreachable_crm_does_not_hold_up_the_others(app, session, make_event, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        nobody = s.getsockname()[1]  # closed again: connections are refused
    event = make_event()
    away = connector(session, "webhook", event, base_url=f"http://127.0.0.1:{nobody}/hook", secret="s", timeout=0.2)
    connector(session, "filedrop", event, folder=str(tmp_path))
    ingest_all(session, event, scans(4))
    worker(app).run_once()
    session.expire_all()
    by_connector = Counter((r.connector_id == away.id, r.status) for r in rows(session))
    assert by_connector == {(True, "pending"): 4, (False, "done"): 4}
    assert "cannot connect" in rows(session, "pending")[0].last_error


def test_backoff_grows_exponentially_with_jitter_and_honours_retry_after():
    w = Worker(sessions=None, settings=WorkerSettings(backoff_base=2, backoff_cap=60), seed=3)
    for attempts, ceiling in ((1, 2), (2, 4), (3, 8), (6, 60), (20, 60)):
        delays = [w.retry_delay(attempts) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jitter: workers retrying together spread out
    assert w.retry_delay(1, retry_after=30) == 30
    assert 1 <= w.retry_delay(1, retry_after=0.5) <= 2


def test_stop_ends_the_thread(app):
    from sync.worker import start_thread

    w = start_thread(app.extensions["leadcapture.sessions"], FAST)
    time.sleep(0.1)
    w.shutdown(timeout=5)
    assert not w.thread.is_alive()


def test_pending_rows_are_claimed_oldest_first(session, make_event):
    event = make_event()
    conn = connector(session, "filedrop", event, folder="/tmp/not-written")
    ingest_all(session, event, scans(3))
    first = rows(session)[0]
    session.execute(update(OutboxRow).where(OutboxRow.id == first.id)
                    .values(next_attempt_at=first.next_attempt_at + timedelta(milliseconds=-5)))
    _token, claims = outbox.claim(session, conn.id, 1, timedelta(minutes=1))
    assert [c.row_id for c in claims] == [first.id]
