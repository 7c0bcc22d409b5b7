"""Salesforce: Leads upserted by our external id, joined to the Campaign, tokens renewed once, limits honoured."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import select

from crm_servers.salesforce import EXT, SalesforceServer
from leadcapture.actors import Actor
from leadcapture.leads import update_lead
from leadcapture.models import CrmConnector, Lead, Role
from sync.configs import build
from sync.outcomes import pull
from sync_support import connector, drain, ingest_all, rows, salesforce_values, scans, worker

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # HTTP behaviour, not SQL


@pytest.fixture
def salesforce():
    server = SalesforceServer().start()
    yield server
    server.stop()


@pytest.fixture
def campaign_event(make_event, salesforce):
    return make_event(campaign_name="Salon 2026", campaign_id=salesforce.add_campaign(), utm_source="salon")


def test_leads_are_upserted_by_external_id_with_attribution_and_campaign(app, session, campaign_event,
                                                                         make_user, salesforce):
    event = campaign_event
    staff = make_user("Alice", events=[event])
    rep = make_user("Rémi", role=Role.REP, events=[event])
    rep.crm_ids = {"salesforce": "005000000000001AAA"}
    session.commit()
    connector(session, "salesforce", event, **salesforce_values(salesforce))
    ingest_all(session, event, scans(3, staff=staff, email=lambda n: f"v{n}@example.com"))
    lead = session.scalars(select(Lead).order_by(Lead.id)).first()
    lead.owner_id, lead.score, lead.grade = rep.id, 55, "B"
    session.commit()

    drain(app, session)

    key = lead.interactions[0].client_uuid
    sf = salesforce.lead(key)
    assert (sf["LastName"], sf["FirstName"], sf["Company"], sf["Email"]) == ("Test", "Visitor0", "Acme",
                                                                             "v0@example.com")
    assert (sf["LeadSource"], sf["Rating"], sf["OwnerId"]) == ("Trade Show", "Hot", "005000000000001AAA")
    assert (sf["LeadCapture_Event__c"], sf["LeadCapture_Campaign__c"], sf["LeadCapture_UTM_Source__c"]) == (
        "Salon salon-test", "Salon 2026", "salon")
    assert (sf["LeadCapture_Captured_By__c"], sf["LeadCapture_Captured_At__c"]) == ("Alice", "2026-03-14T09:00:00Z")
    assert (sf["LeadCapture_Consent__c"], sf["LeadCapture_Score__c"], sf["LeadCapture_Grade__c"]) == (True, 55, "B")
    assert "Products of interest: Kiosk" in sf["Description"] and "met at the bar #0" in sf["Description"]
    assert len(salesforce.leads) == 3 and len(salesforce.members) == 3
    assert {m["Status"] for m in salesforce.members.values()} == {"Responded"}
    assert rows(session)[0].remote_id == sf["Id"]

    update_lead(session, lead, {"job_title": "CFO"}, Actor.cli())
    session.commit()
    drain(app, session)
    assert len(salesforce.leads) == 3 and salesforce.lead(key)["Title"] == "CFO"
    assert salesforce.calls["create"] == 1  # the campaign membership is not asked for again


@SQLITE_ONLY
def test_a_known_campaign_member_counts_as_done(app, session, campaign_event, salesforce):
    event = campaign_event
    row = connector(session, "salesforce", event, **salesforce_values(salesforce))
    ingest_all(session, event, scans(1))
    drain(app, session)
    [outbox_row] = rows(session)
    outbox_row.remote_state = {}  # as if the first answer had been lost: the member is asked for again
    session.commit()
    update_lead(session, session.get(Lead, outbox_row.lead_id), {"city": "Lyon"}, Actor.cli())
    session.commit()
    drain(app, session)
    [outbox_row] = rows(session)
    assert outbox_row.status == "done" and outbox_row.remote_state["campaign"] == event.campaign_id
    assert len(salesforce.members) == 1 and row.id == outbox_row.connector_id


@SQLITE_ONLY
def test_missing_last_name_is_a_dead_letter_and_a_blank_company_is_not_provided(app, session, make_event,
                                                                                salesforce):
    event = make_event()
    connector(session, "salesforce", event, **salesforce_values(salesforce))
    items = scans(2)
    items[0].contact = {"first_name": "Cher", "email": "cher@example.com"}
    items[1].contact = {"first_name": "Ana", "last_name": "Lopez", "email": "ana@example.com"}
    ingest_all(session, event, items)
    drain(app, session)
    [dead] = rows(session, "dead")
    assert dead.last_error == "Salesforce: REQUIRED_FIELD_MISSING: Required fields are missing: ['LastName'] [LastName]"
    [ana] = salesforce.leads.values()
    assert ana["Company"] == "[not provided]"


@SQLITE_ONLY
def test_an_expired_token_is_renewed_once(app, session, make_event, salesforce):
    event = make_event()
    connector(session, "salesforce", event, **salesforce_values(salesforce))
    ingest_all(session, event, scans(2))
    w = drain(app, session)
    assert salesforce.token_requests == 1
    salesforce.expire_tokens()
    update_lead(session, session.scalars(select(Lead)).first(), {"city": "Nantes"}, Actor.cli())
    session.commit()
    drain(app, session, w)
    assert salesforce.token_requests == 2
    assert {r.status for r in rows(session)} == {"done"}


@SQLITE_ONLY
def test_a_token_refused_twice_pauses_the_connector(app, session, make_event, salesforce):
    salesforce.expire_every = 1  # every call finds its token expired
    event = make_event()
    conn = connector(session, "salesforce", event, **salesforce_values(salesforce))
    ingest_all(session, event, scans(1))
    worker(app).run_once()
    session.expire_all()
    assert "Salesforce refused a fresh token" in session.get(CrmConnector, conn.id).last_error
    assert salesforce.token_requests == 2
    assert [(r.status, r.attempts) for r in rows(session)] == [("pending", 0)]


@SQLITE_ONLY
def test_request_limit_exceeded_pauses_instead_of_failing(app, session, make_event, salesforce):
    salesforce.api_limit = 0
    event = make_event()
    conn = connector(session, "salesforce", event, **salesforce_values(salesforce, limit_pause=600))
    ingest_all(session, event, scans(3))
    worker(app).run_once()
    session.expire_all()
    row = session.get(CrmConnector, conn.id)
    assert "Salesforce API limit reached" in row.last_error and "REQUEST_LIMIT_EXCEEDED" in row.last_error
    assert row.paused_until > datetime.now(timezone.utc) + timedelta(seconds=590)
    assert [(r.status, r.attempts) for r in rows(session)] == [("pending", 0)] * 3


@SQLITE_ONLY
def test_batches_hold_at_most_200_records(app, session, make_event, salesforce):
    event = make_event()
    connector(session, "salesforce", event, **salesforce_values(salesforce))
    ingest_all(session, event, scans(450))
    drain(app, session)
    assert salesforce.calls["upsert"] == 3 and len(salesforce.leads) == 450


@SQLITE_ONLY
def test_opportunities_are_pulled_with_paging_and_linked_to_converted_leads(app, session, make_event, salesforce):
    salesforce.page_size = 2
    event = make_event()
    row = connector(session, "salesforce", event, **salesforce_values(salesforce))
    ingest_all(session, event, scans(3))
    drain(app, session)
    keys = [lead.interactions[0].client_uuid for lead in session.scalars(select(Lead).order_by(Lead.id))]
    won = salesforce.add_opportunity(keys[:2], Name="Acme kiosks", Amount=24000.0, StageName="Closed Won",
                                     IsClosed=True, IsWon=True, CloseDate="2026-06-30")
    for n in range(3):
        salesforce.add_opportunity(Name=f"Other {n}", StageName="Prospecting")

    linked = pull(session, session.get(CrmConnector, row.id), datetime(2026, 1, 1, tzinfo=timezone.utc))

    assert len(linked) == 4 and salesforce.calls["query_more"] >= 1
    [deal] = [item for item in linked if item.outcome.crm_id == won]
    assert (deal.outcome.amount, deal.outcome.is_won, deal.outcome.close_date.isoformat()) == (
        "24000.0", True, "2026-06-30")
    assert sorted(deal.outcome.lead_keys) == sorted(keys[:2]) and len(deal.lead_ids) == 2


@SQLITE_ONLY
def test_check_reports_credentials(session, make_event, salesforce):
    good = connector(session, "salesforce", None, **salesforce_values(salesforce))
    bad = connector(session, "salesforce", None, **salesforce_values(salesforce, client_secret="nope"))
    assert build(good).check().ok
    result = build(bad).check()
    assert not result.ok and "invalid_client" in result.message and "nope" not in result.message


def test_the_test_server_is_as_strict_as_salesforce(salesforce):
    token = requests.post(f"{salesforce.url}/services/oauth2/token", timeout=5, data={
        "grant_type": "client_credentials", "client_id": salesforce.client_id,
        "client_secret": salesforce.client_secret}).json()["access_token"]
    url = f"{salesforce.url}/services/data/v62.0/composite/sobjects/Lead/{EXT}"
    auth = {"Authorization": f"Bearer {token}"}

    def upsert(records, **body):
        return requests.patch(url, json={"allOrNone": False, "records": records, **body}, headers=auth, timeout=5)

    lead = {"attributes": {"type": "Lead"}, EXT: "k1", "LastName": "Doe", "Company": "Acme"}
    assert requests.patch(url, json={"allOrNone": False, "records": [lead]}, timeout=5).status_code == 401
    assert upsert([{**lead, "Nope__c": "x"}]).json()[0]["errorCode"] == "INVALID_FIELD"
    assert upsert([lead], extra=1).status_code == 400
    assert upsert([dict(lead, **{EXT: f"k{n}"}) for n in range(201)]).json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    assert upsert([{**lead, "LeadCapture_Consent__c": "yes"}]).status_code == 400
    assert upsert([lead]).json()[0]["created"] is True
    assert upsert([{**lead, "Title": "CEO"}]).json()[0]["created"] is False
    assert upsert([{"attributes": {"type": "Lead"}, EXT: "k2", "Company": "Acme"}]).json()[0]["errors"][0][
        "statusCode"] == "REQUIRED_FIELD_MISSING"
