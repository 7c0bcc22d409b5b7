"""The CRM sync pages: connectors (add, test, enable) and dead letters (fix, retry, discard), secrets never shown."""
from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select, text
from werkzeug.security import generate_password_hash

from crm_servers import Faults
from crm_servers.hubspot import HubSpotServer
from leadcapture.models import AuditEntry, CrmConnector, Lead, OutboxRow, Role
from sync.configs import build
from sync_support import connector, drain, hubspot_values, ingest_all, rows, scans

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
TOKEN = "pat-na1-0123-very-secret"


def csrf_token(client, url) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


@pytest.fixture
def hubspot():
    server = HubSpotServer(token=TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def signed_in(client, session, make_user, make_event):
    """signed_in(role, events) -> the user, signed in on `client`."""

    def _sign_in(role=Role.MARKETING, events=()):
        user = make_user(f"User {role.value}", role=role, events=list(events))
        user.password_hash = generate_password_hash("pw")
        session.commit()
        client.post("/login", data={"email": user.email, "password": "pw", "csrf_token": csrf_token(client, "/login")})
        return user

    return _sign_in


def test_sync_pages_are_for_marketing_and_admins(client, signed_in, make_event):
    assert client.get("/sync/").status_code == 302  # sign in first
    signed_in(Role.REP, [make_event()])
    assert client.get("/sync/").status_code == 403
    assert client.get("/sync/dead").status_code == 403


def test_add_a_connector_from_the_form_and_never_see_its_token_again(app, client, session, signed_in, make_event,
                                                                     hubspot, caplog):
    event = make_event()
    signed_in(Role.ADMIN)
    form = {"name": "HubSpot salon", "event_id": str(event.id), "token": TOKEN, "base_url": hubspot.url,
            "account_id": "4242", "requests_per_10s": "abc", "timeout": "0.5", "marketing_events": "true"}
    page = client.post("/sync/connectors/new/hubspot", headers={"Accept-Language": "en"},
                       data={**form, "csrf_token": csrf_token(client, "/sync/connectors/new/hubspot")})
    assert page.status_code == 422 and "a whole number" in page.get_data(as_text=True)
    assert TOKEN not in page.get_data(as_text=True)  # not even echoed back after a mistake

    form["requests_per_10s"] = "190"
    done = client.post("/sync/connectors/new/hubspot",
                       data={**form, "csrf_token": csrf_token(client, "/sync/connectors/new/hubspot")})
    assert done.status_code == 302
    row = session.scalars(select(CrmConnector)).one()
    session.commit()
    assert (row.name, row.event_id, row.config["base_url"], row.config["requests_per_10s"]) == (
        "HubSpot salon", event.id, hubspot.url, 190)

    tested = client.post(f"/sync/connectors/{row.id}/check", follow_redirects=True, headers={"Accept-Language": "en"},
                         data={"csrf_token": csrf_token(client, "/sync/")})
    assert "connection works" in tested.get_data(as_text=True)
    with caplog.at_level(logging.DEBUG):
        ingest_all(session, event, scans(2))
        hubspot.faults = Faults(rate_500=1.0)  # failures get logged: with the token?
        drain_once(app, session)
        hubspot.faults = Faults()
        drain(app, session)

    listing = client.get("/sync/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "HubSpot salon" in listing and "Test connection" in listing and "set" in listing
    dead = client.get("/sync/dead")
    assert dead.status_code == 200
    stored = session.execute(text("SELECT secrets FROM crm_connectors")).scalar_one()
    audit = " ".join(str(a.details) for a in session.scalars(select(AuditEntry)))
    session.commit()
    for place in (listing, stored, audit, caplog.text, dead.get_data(as_text=True)):
        assert TOKEN not in place
    assert len(hubspot.contacts) == 2


def drain_once(app, session):
    from sync_support import worker

    session.commit()
    worker(app).run_once()


def test_forms_need_the_csrf_token(client, session, signed_in, make_event):
    signed_in(Role.ADMIN)
    row = connector(session, "filedrop", None, folder="/tmp/x")
    assert client.post(f"/sync/connectors/{row.id}/enabled", data={"enabled": "0"}).status_code == 400
    session.expire_all()
    assert session.get(CrmConnector, row.id).enabled


@SQLITE_ONLY
def test_marketing_manages_only_their_events(client, session, signed_in, make_event):
    mine, other = make_event("salon-a"), make_event("salon-b")
    signed_in(Role.MARKETING, [mine])
    theirs = connector(session, "filedrop", other, folder="/tmp/x")
    everyone = connector(session, "filedrop", None, folder="/tmp/x")
    token = csrf_token(client, "/sync/")
    assert client.post(f"/sync/connectors/{theirs.id}/check", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/sync/connectors/{everyone.id}/enabled", data={"csrf_token": token}).status_code == 403
    listing = client.get("/sync/").get_data(as_text=True)
    assert everyone.name in listing and theirs.name not in listing
    form = client.get("/sync/connectors/new/filedrop").get_data(as_text=True)
    assert "salon-a" in form and "salon-b" not in form and 'value="">' not in form  # no "every event" choice


def test_dead_letters_can_be_fixed_retried_and_discarded_with_audit(app, client, session, signed_in, make_event,
                                                                     hubspot):
    event = make_event()
    signed_in(Role.MARKETING, [event])
    hubspot.reject_contact = lambda email: "Email domain is blocked" if "blocked" in email else None
    connector(session, "hubspot", event, name="hubspot", **hubspot_values(hubspot))
    ingest_all(session, event, scans(3, email=lambda n: [None, "a@blocked.example", "b@blocked.example"][n]))
    drain(app, session)
    no_email, blocked, other_blocked = rows(session, "dead")

    page = client.get("/sync/dead", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "HubSpot: Email domain is blocked" in page and "no e-mail: HubSpot creates" in page
    assert "Envois en échec" in client.get("/sync/dead?lang=fr").get_data(as_text=True)
    client.get("/sync/dead?lang=en")
    token = csrf_token(client, "/sync/dead")

    fixed = client.post(f"/sync/dead/{no_email.id}/fix", data={
        "csrf_token": token, "first_name": "Visitor0", "last_name": "Test", "email": "found@example.com",
        "company": "Acme", "country": "fr"})
    assert fixed.status_code == 302
    assert client.post(f"/sync/dead/{blocked.id}/retry", data={"csrf_token": token}).status_code == 302
    assert client.post(f"/sync/dead/{other_blocked.id}/discard", data={"csrf_token": token, "reason": ""},
                       follow_redirects=True).get_data(as_text=True).count("Say why") == 1
    client.post(f"/sync/dead/{other_blocked.id}/discard", data={"csrf_token": token, "reason": "a competitor"})

    states = {r.id: (r.status, r.attempts) for r in rows(session)}
    assert states[no_email.id] == ("pending", 0) and states[blocked.id] == ("pending", 0)
    assert states[other_blocked.id][0] == "discarded"
    assert session.get(Lead, no_email.lead_id).country == "FR"
    actions = {a.action: a.details for a in session.scalars(select(AuditEntry).where(
        AuditEntry.action.in_(["sync.retry", "sync.discard", "lead.update"])))}
    session.commit()
    assert actions["sync.discard"]["reason"] == "a competitor"
    assert actions["sync.retry"]["last_error"] == "HubSpot: Email domain is blocked"
    assert actions["lead.update"]["after"]["email"] == "found@example.com"

    hubspot.reject_contact = lambda email: None  # the CRM side was fixed too
    drain(app, session)
    assert hubspot.contact("found@example.com") and hubspot.contact("a@blocked.example")
    assert session.get(OutboxRow, other_blocked.id).discard_reason == "a competitor"
    session.commit()
    assert "No dead letter" in client.get("/sync/dead", headers={"Accept-Language": "en"}).get_data(as_text=True)


@SQLITE_ONLY
def test_a_bad_fix_is_refused_with_the_reason(app, client, session, signed_in, make_event, tmp_path):
    event = make_event()
    signed_in(Role.ADMIN)
    connector(session, "filedrop", event, folder=str(tmp_path))
    ingest_all(session, event, scans(1))
    row = rows(session)[0]
    row.status, row.last_error = "dead", "refused"
    session.commit()
    answer = client.post(f"/sync/dead/{row.id}/fix", headers={"Accept-Language": "en"}, data={
        "csrf_token": csrf_token(client, "/sync/dead"), "email": "not an email", "country": "France"})
    assert answer.status_code == 422 and "two-letter ISO country code" in answer.get_data(as_text=True)
    assert rows(session)[0].status == "dead"


@SQLITE_ONLY
def test_edit_a_connector_keeping_or_replacing_its_token(client, session, signed_in, make_event, hubspot):
    event = make_event()
    signed_in(Role.ADMIN)
    row = connector(session, "hubspot", event, **hubspot_values(hubspot, token="old-token"))
    page = client.get(f"/sync/connectors/{row.id}/edit").get_data(as_text=True)
    assert "old-token" not in page and hubspot.url in page
    values = {**hubspot_values(hubspot), "token": "", "timeout": "2", "csrf_token": csrf_token(
        client, f"/sync/connectors/{row.id}/edit")}
    assert client.post(f"/sync/connectors/{row.id}/edit", data=values).status_code == 302
    session.expire_all()
    assert build(session.get(CrmConnector, row.id)).secrets == {"token": "old-token"}
    assert session.get(CrmConnector, row.id).config["timeout"] == 2.0
    session.commit()
    client.post(f"/sync/connectors/{row.id}/edit", data={**values, "token": TOKEN})
    session.expire_all()
    assert build(session.get(CrmConnector, row.id)).check().ok
    session.commit()
