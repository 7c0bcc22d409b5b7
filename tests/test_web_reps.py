"""The rep's "My leads" pages and marketing's rule pages, server-rendered in French and English."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from helpers import at, new_client_id
from leadcapture.actors import Actor
from leadcapture.capture import Scan, ingest_many
from leadcapture.db import utcnow
from leadcapture.models import AuditEntry, Role
from leadcapture.rule_templates import bant_rules
from leadcapture.rules import apply_rules
from test_web_auth import csrf_token, login

HOT = {"timeline": "lt3m", "budget": "yes", "role": "decider"}


@pytest.fixture
def event(make_event):
    return make_event()


@pytest.fixture
def team(make_user, make_event, event, session):
    team = {"rep": make_user("Rémi", Role.REP, events=[event]), "rose": make_user("Rose", Role.REP, events=[event]),
            "marc": make_user("Marc", Role.MARKETING, events=[event]), "alice": make_user("Alice", events=[event]),
            "olga": make_user("Olga", Role.MARKETING, events=[make_event("other")])}
    for user in team.values():
        user.password_hash = generate_password_hash("pw")
    apply_rules(session, event, bant_rules([team["rep"].email, team["rose"].email], team["marc"].email), Actor.cli())
    session.commit()
    return team


@pytest.fixture
def leads(session, event, team):
    """Anne (A, Rémi's), Bea (A, Rose's), Cora (C, Rose's)."""
    scans = [Scan(new_client_id(), at(10), answers=HOT, rating="hot", notes="wants a demo",
                  contact={"first_name": "Anne", "last_name": "Durand", "company": "Acme", "country": "FR"}),
             Scan(new_client_id(), at(11), answers=HOT, rating="hot",
                  contact={"first_name": "Bea", "last_name": "Morel", "company": "Beta", "country": "FR"}),
             Scan(new_client_id(), at(12), answers={"timeline": "3to12m"},
                  contact={"first_name": "Cora", "last_name": "Petit", "company": "Gamma", "country": "FR"})]
    made = [r.lead for r in ingest_many(session, event, scans, Actor.for_user(team["alice"]))]
    session.commit()
    return made


def page(client, url, lang="en"):
    response = client.get(url, headers={"Accept-Language": lang})
    return response.status_code, response.get_data(as_text=True)


def test_a_rep_sees_only_their_leads(client, team, leads):
    login(client, team["rep"].email, "pw")
    status, html = page(client, "/leads")
    assert status == 200 and "My leads" in html
    assert "Anne Durand" in html and "Bea Morel" not in html and "Cora" not in html
    assert page(client, f"/leads/{leads[1].id}")[0] == 403
    status, html = page(client, f"/leads/{leads[0].id}")
    assert status == 200
    for expected in ("Why grade A?", "+30", "Project timeline: &lt; 3 months", "wants a demo", "Alice",
                     "Contact before", "rule France, A"):
        assert expected in html, expected
    assert "Reassign to" not in html


def test_marketing_sees_every_lead_of_their_events_only(client, team, leads):
    login(client, team["marc"].email, "pw")
    status, html = page(client, "/leads", "fr")
    assert status == 200 and "Leads" in html and "les plus chauds en premier" in html
    assert html.index("Anne Durand") < html.index("Cora Petit")  # hottest first
    assert "Bea Morel" in html
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, team["olga"].email, "pw")
    status, html = page(client, "/leads")
    assert "Anne" not in html and page(client, f"/leads/{leads[0].id}")[0] == 403


def test_staff_do_not_get_the_leads_pages(client, team, leads):
    login(client, team["alice"].email, "pw")
    assert page(client, "/leads")[0] == 403


def test_overdue_leads_are_highlighted_for_rep_and_marketing(client, session, team, leads):
    leads[0].sla_due_at = utcnow() - timedelta(hours=2)
    session.commit()
    for who in ("rep", "marc"):
        login(client, team[who].email, "pw")
        status, html = page(client, "/leads?overdue=1", "fr")
        assert 'class="lead-card overdue"' in html and "en retard depuis" in html
        assert "Anne Durand" in html and "Bea Morel" not in html
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_status_changes_from_the_page(client, session, team, leads):
    login(client, team["rep"].email, "pw")
    url = f"/leads/{leads[0].id}"
    token = csrf_token(client, url)
    refused = client.post(f"{url}/status", data={"status": "disqualified", "reason": "", "csrf_token": token},
                          headers={"Accept-Language": "fr"}, follow_redirects=True)
    assert "Indiquez pourquoi le lead est disqualifié." in refused.get_data(as_text=True)
    client.post(f"{url}/status", data={"status": "contacted", "csrf_token": token})
    session.refresh(leads[0])
    assert leads[0].status == "contacted" and leads[0].contacted_at is not None
    session.commit()  # SQLite: a reading transaction holds the write lock the next request needs
    assert client.post(f"{url}/owner", data={"owner_id": team["rose"].id, "csrf_token": token}).status_code == 403


def test_marketing_reassigns_from_the_page(client, session, team, leads):
    login(client, team["marc"].email, "pw")
    url = f"/leads/{leads[0].id}"
    html = page(client, url)[1]
    assert "Reassign to" in html
    response = client.post(f"{url}/owner", data={"owner_id": team["rose"].id, "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    session.refresh(leads[0])
    assert leads[0].owner_id == team["rose"].id
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "lead.reassign")).one().actor_label == "Marc"


def test_rules_page_rejects_a_bad_rule_set_whole(client, session, event, team):
    login(client, team["marc"].email, "pw")
    url = f"/events/{event.slug}/rules"
    rules = json.loads(page(client, f"{url}.json")[1])
    assert rules["scoring"]["grades"] == {"A": 70, "B": 45, "C": 20}
    rules["scoring"]["grades"]["A"] = 90
    rules["routing"]["rules"][0]["reps"] = ["nobody@example.test"]
    response = client.post(url, data={"rules": json.dumps(rules), "csrf_token": csrf_token(client, url)},
                           headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Nothing was changed" in html
    assert "routing rule #1 &#34;benelux&#34;: rep nobody@example.test is not a user" in html
    session.refresh(event)
    assert event.settings["scoring"]["grades"]["A"] == 70
    session.commit()
    rules["routing"]["rules"][0]["reps"] = [team["rose"].email]
    response = client.post(url, data={"rules": json.dumps(rules), "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    session.refresh(event)
    assert event.settings["scoring"]["grades"]["A"] == 90


def test_reps_capacity_and_leave(client, session, event, team):
    login(client, team["marc"].email, "pw")
    url = f"/events/{event.slug}/rules"
    client.post(f"/events/{event.slug}/reps/{team['rep'].id}",
                data={"capacity": "3", "away": "1", "csrf_token": csrf_token(client, url)})
    session.refresh(team["rep"])
    assert (team["rep"].capacity, team["rep"].away) == (3, True)


def test_who_would_get_this_lead(client, event, team):
    login(client, team["marc"].email, "pw")
    url = f"/events/{event.slug}/rules/test"
    form = {"csrf_token": csrf_token(client, url), "job_title": "Directeur général", "country": "BE",
            "email": "x@acme.be", "q_timeline": "lt3m", "q_interest": ["kiosk", "analytics"], "rating": "warm"}
    html = client.post(url, data=form, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "score 73/100" in html and 'grade-A' in html
    assert "Job title “Directeur général” matches “directeur general”" in html
    assert re.search(r"Rémi would get this lead\s*<code>benelux</code>", html)
    status, html = page(client, url, "fr")
    assert status == 200 and "Qui recevrait ce lead ?" in html
