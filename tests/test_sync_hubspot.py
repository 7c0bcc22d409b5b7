"""HubSpot: contacts upserted by e-mail with attribution, notes, marketing-event attendance, owners, deals."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests
from sqlalchemy import select

from crm_servers import Faults
from crm_servers.hubspot import HubSpotServer
from leadcapture.actors import Actor
from leadcapture.leads import update_lead
from leadcapture.models import CrmConnector, Lead, Role
from sync.configs import build
from sync.outcomes import pull
from sync_support import START, connector, drain, hubspot_values, ingest_all, rows, scans, worker

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # HTTP behaviour, not SQL


@pytest.fixture
def hubspot():
    server = HubSpotServer().start()
    yield server
    server.stop()


@pytest.fixture
def event(make_event):
    return make_event(campaign_name="Salon 2026", utm_source="salon", utm_medium="trade-show",
                      utm_campaign="salon-2026")


def test_leads_arrive_once_with_their_attribution(app, session, event, make_user, hubspot):
    staff = make_user("Alice", events=[event])
    rep = make_user("Rémi", role=Role.REP, events=[event])
    rep.crm_ids = {"hubspot": "101"}
    session.commit()
    connector(session, "hubspot", event, **hubspot_values(hubspot))
    ingest_all(session, event, scans(3, staff=staff))
    lead = session.scalars(select(Lead).order_by(Lead.id)).first()
    lead.owner_id, lead.score, lead.grade = rep.id, 72, "A"
    session.commit()

    drain(app, session)

    assert len(hubspot.contacts) == 3 and {r.status for r in rows(session)} == {"done"}
    contact = hubspot.contact("visitor0@example.com")
    p = contact["properties"]
    key = lead.interactions[0].client_uuid
    assert (p["firstname"], p["lastname"], p["company"], p["hs_lead_status"]) == ("Visitor0", "Test", "Acme", "NEW")
    assert (p["lc_lead_id"], p["lc_source"], p["lc_event"]) == (key, "Trade show", "Salon salon-test")
    assert p["lc_event_id"] == f"salon-test#{event.id}"
    assert (p["lc_campaign"], p["lc_utm_source"], p["lc_utm_medium"], p["lc_utm_campaign"]) == (
        "Salon 2026", "salon", "trade-show", "salon-2026")
    assert p["lc_captured_by"] == "Alice"
    assert p["lc_captured_at"] == str(int(START.timestamp() * 1000))
    assert (p["lc_consent"], p["lc_consent_version"]) == ("true", "2026-01")
    assert (p["lc_score"], p["lc_grade"], p["hubspot_owner_id"], p["lc_rating"]) == ("72", "A", "101", "hot")
    [note] = hubspot.notes_of(contact["id"])
    assert "Products of interest: Kiosk" in note["hs_note_body"] and "met at the bar #0" in note["hs_note_body"]
    assert note["hubspot_owner_id"] == "101"
    attended = hubspot.attendance[f"leadcapture-{event.slug}"]
    assert sorted(a["email"] for a in attended) == [f"visitor{n}@example.com" for n in range(3)]
    assert hubspot.events[f"leadcapture-{event.slug}"]["externalAccountId"] == "4242"
    assert rows(session)[0].remote_id == contact["id"]


@SQLITE_ONLY
def test_a_second_push_updates_and_writes_a_note_only_when_answers_change(app, session, event, hubspot):
    connector(session, "hubspot", event, **hubspot_values(hubspot))
    ingest_all(session, event, scans(2))
    drain(app, session)
    properties_calls = hubspot.calls["property"]
    first, second = session.scalars(select(Lead).order_by(Lead.id)).all()

    update_lead(session, first, {"job_title": "CTO"}, Actor.cli())
    update_lead(session, second, {"answers": {"timeline": "later"}}, Actor.cli())
    session.commit()
    drain(app, session)

    assert len(hubspot.contacts) == 2
    assert hubspot.contact(first.email)["properties"]["jobtitle"] == "CTO"
    assert len(hubspot.notes_of(hubspot.contact(first.email)["id"])) == 1
    assert len(hubspot.notes_of(hubspot.contact(second.email)["id"])) == 2
    assert len(hubspot.attendance[f"leadcapture-{event.slug}"]) == 2  # attendance is recorded once
    assert hubspot.calls["property"] == properties_calls and hubspot.calls["event"] == 1


@SQLITE_ONLY
def test_a_lead_without_email_is_a_dead_letter_until_it_gets_one(app, session, event, hubspot):
    connector(session, "hubspot", event, **hubspot_values(hubspot))
    ingest_all(session, event, scans(2, email=lambda n: None if n == 1 else f"v{n}@example.com"))
    drain(app, session)
    [dead] = rows(session, "dead")
    assert dead.last_error.startswith("no e-mail: HubSpot creates and updates contacts by e-mail")
    assert len(hubspot.contacts) == 1

    update_lead(session, session.get(Lead, dead.lead_id), {"email": "found@example.com"}, Actor.cli())
    session.commit()
    drain(app, session)
    assert hubspot.contact("found@example.com") is not None
    assert {r.status for r in rows(session)} == {"done"}


@SQLITE_ONLY
def test_per_item_validation_errors_become_dead_letters_with_hubspots_message(app, session, event, hubspot):
    hubspot.reject_contact = lambda email: "Email address is on a blocked domain" if "3" in email else None
    connector(session, "hubspot", event, **hubspot_values(hubspot))
    ingest_all(session, event, scans(5))
    drain(app, session)
    [dead] = rows(session, "dead")
    assert dead.last_error == "HubSpot: Email address is on a blocked domain"
    assert len(hubspot.contacts) == 4


@SQLITE_ONLY
def test_a_batch_refused_as_a_whole_is_split_until_the_culprit_is_alone(app, session, event, hubspot):
    hubspot.poison = lambda email: email == "visitor6@example.com"
    connector(session, "hubspot", event, **hubspot_values(hubspot))
    ingest_all(session, event, scans(10))
    drain(app, session)
    [dead] = rows(session, "dead")
    assert session.get(Lead, dead.lead_id).email == "visitor6@example.com"
    assert "HTTP 400 Property values were not valid: 'visitor6@example.com'" in dead.last_error
    assert len(hubspot.contacts) == 9
    assert hubspot.calls["upsert"] <= 1 + 2 * 4  # halving 10 leads down to one


@SQLITE_ONLY
def test_429_waits_for_retry_after_and_pauses_the_connector(app, session, event, hubspot):
    hubspot.faults = Faults(paths="batch/upsert", rate_429=1.0, retry_after="2")
    conn = connector(session, "hubspot", event, **hubspot_values(hubspot))
    ingest_all(session, event, scans(2))
    w = worker(app)
    session.commit()
    w.run_once()
    session.expire_all()
    paused = session.get(CrmConnector, conn.id)
    waited = (paused.paused_until - datetime.now(timezone.utc)).total_seconds()
    assert 1.5 < waited <= 2.1 and "HTTP 429" in paused.last_error
    assert all(r.attempts == 1 and (r.next_attempt_at - datetime.now(timezone.utc)).total_seconds() > 1.5
               for r in rows(session))
    session.commit()  # SQLite: the test's reads hold the write lock until then
    assert w.run_once() == {}  # paused: nothing is tried
    hubspot.faults = Faults()
    drain(app, session, w)
    assert len(hubspot.contacts) == 2


@SQLITE_ONLY
def test_a_refused_token_pauses_the_connector_without_spending_attempts(app, session, event, hubspot):
    conn = connector(session, "hubspot", event, **hubspot_values(hubspot, token="wrong"))
    ingest_all(session, event, scans(2))
    worker(app).run_once()
    session.expire_all()
    row = session.get(CrmConnector, conn.id)
    assert "HubSpot refused the token or a scope" in row.last_error and row.paused_until is not None
    assert [(r.status, r.attempts) for r in rows(session)] == [("pending", 0)] * 2
    assert build(row).check().ok is False
    assert not hubspot.contacts


@SQLITE_ONLY
def test_check_creates_our_properties_once(session, event, hubspot):
    row = connector(session, "hubspot", event, **hubspot_values(hubspot))
    result = build(row).check()
    assert result.ok, result.message
    assert {"lc_lead_id", "lc_consent", "lc_score"} <= set(hubspot.properties)


@SQLITE_ONLY
def test_deals_are_pulled_with_their_contacts_and_linked_to_our_leads(app, session, event, hubspot):
    row = connector(session, "hubspot", event, **hubspot_values(hubspot))
    ingest_all(session, event, scans(3))
    drain(app, session)
    ids = [hubspot.contact(f"visitor{n}@example.com")["id"] for n in range(3)]
    old = hubspot.add_deal({"dealname": "Old", "hs_lastmodifieddate": "1000"}, ids[:1])
    since = datetime.now(timezone.utc)
    big = hubspot.add_deal({"dealname": "Kiosks for Acme", "amount": "12000.50", "dealstage": "closedwon",
                            "hs_is_closed_won": "true", "closedate": "2026-05-02T00:00:00Z",
                            "deal_currency_code": "EUR"}, ids)
    other = hubspot.add_deal({"dealname": "Not from a show", "dealstage": "appointmentscheduled"}, ["999"])

    outcomes = {o.outcome.crm_id: o for o in pull(session, session.get(CrmConnector, row.id), since)}

    assert set(outcomes) == {big, other} and old not in outcomes
    deal = outcomes[big]
    assert (deal.outcome.name, deal.outcome.amount, deal.outcome.currency) == ("Kiosks for Acme", "12000.50", "EUR")
    assert deal.outcome.is_won and deal.outcome.is_closed and deal.outcome.close_date.isoformat() == "2026-05-02"
    assert deal.outcome.contact_ids == tuple(ids)  # three contacts over two association pages
    assert len(deal.lead_ids) == 3 and outcomes[other].lead_ids == ()


def test_the_test_server_is_as_strict_as_hubspot(hubspot):
    """What the real API refuses, ours refuses: otherwise the connector tests would prove nothing."""
    url = f"{hubspot.url}/crm/v3/objects/contacts/batch/upsert"
    auth = {"Authorization": f"Bearer {hubspot.token}"}

    def upsert(body, headers=auth):
        return requests.post(url, json=body, headers=headers, timeout=5)

    one = {"id": "a@example.com", "idProperty": "email", "properties": {"firstname": "A"}}
    assert upsert({"inputs": [one]}, headers={}).status_code == 401
    assert upsert({"inputs": [one], "extra": 1}).status_code == 400
    assert upsert({"inputs": [{**one, "properties": {"firstname": 3}}]}).json()["message"].startswith(
        "Invalid input JSON")
    assert upsert({"inputs": [{"idProperty": "email", "properties": {}}]}).status_code == 400
    assert upsert({"inputs": [{**one, "properties": {"no_such_property": "x"}}]}).status_code == 400
    assert upsert({"inputs": [dict(one, id=f"u{n}@example.com") for n in range(101)]}).status_code == 400
    assert upsert({"inputs": [one, one]}).json()["message"] == "Duplicate IDs found in batch input"
    assert upsert({"inputs": [one]}).status_code == 200
    again = upsert({"inputs": [{**one, "properties": {"lastname": "B"}}]}).json()["results"][0]
    assert again["new"] is False and again["properties"]["firstname"] == "A"
    bad = upsert({"inputs": [one, {"id": "not-an-email", "idProperty": "email", "properties": {}}]})
    assert bad.status_code == 207 and bad.json()["numErrors"] == 1
    note = {"properties": {"hs_note_body": "x"}, "associations": []}
    assert requests.post(f"{hubspot.url}/crm/v3/objects/notes/batch/create", json={"inputs": [note]},
                         headers=auth, timeout=5).status_code == 400  # hs_timestamp is required


def test_the_test_server_enforces_the_rate_limit():
    server = HubSpotServer(requests_per_10s=5).start()
    try:
        statuses = [requests.post(f"{server.url}/crm/v3/objects/deals/search", json={"limit": 1}, timeout=5,
                                  headers={"Authorization": f"Bearer {server.token}"}).status_code
                    for _ in range(6)]
    finally:
        server.stop()
    assert statuses.count(429) >= 2  # search: 4 per second; and the portal's 5 per 10 s
