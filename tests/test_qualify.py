"""Leads are re-scored and routed on every change, through capture.ingest, the lead update path
and roster completion; status follow-up, SLA, reassignment, and who sees which lead."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from helpers import at, bearer, new_client_id
from leadcapture.actors import Actor
from leadcapture.attendees import import_roster, read_roster
from leadcapture.capture import Scan, ingest, ingest_many
from leadcapture.leads import update_lead
from leadcapture.models import AuditEntry, Lead, Notification, Role, RoutingCounter
from leadcapture.rule_templates import bant_rules
from leadcapture.rules import apply_rules

HOT = {"timeline": "lt3m", "budget": "yes", "role": "decider"}


@pytest.fixture
def event(make_event):
    return make_event()


@pytest.fixture
def team(make_user, event, session):
    team = {"rep": make_user("Rémi", Role.REP, events=[event]), "rose": make_user("Rose", Role.REP, events=[event]),
            "marc": make_user("Marc", Role.MARKETING, events=[event]), "alice": make_user("Alice", events=[event]),
            "bruno": make_user("Bruno", events=[event])}
    apply_rules(session, event, bant_rules([team["rep"].email, team["rose"].email], team["marc"].email), Actor.cli())
    session.commit()
    return team


def scan(first: str, country: str = "FR", hour: int = 10, day: int = 14, **fields) -> Scan:
    contact = {"first_name": first, "last_name": "Test", "company": "Acme", "country": country,
               "email": f"{first.lower()}@acme.fr", **fields.pop("contact", {})}
    return Scan(new_client_id(), at(hour, day=day), contact=contact, **fields)


def test_hot_french_leads_are_scored_and_shared_by_turns(session, event, team):
    actor = Actor.for_user(team["alice"])
    results = ingest_many(session, event, [scan(f"V{n}", answers=HOT, rating="hot") for n in range(4)], actor)
    session.commit()
    leads = [r.lead for r in results]
    assert {(lead.score, lead.grade) for lead in leads} == {(95, "A")}
    assert [lead.owner_id for lead in leads] == [team["rep"].id, team["rose"].id] * 2
    assert {lead.routing_rule for lead in leads} == {"france_hot"}
    assert leads[0].routing_reason["en"].startswith("rule France, A (country FR, grade A): Rémi")
    assert leads[0].sla_due_at == leads[0].assigned_at + timedelta(hours=24)
    assert leads[0].score_explanation[0] == {"rule": "budget_approved", "points": 20, "en": "Budget approved?: Yes",
                                             "fr": "Budget validé ? : Oui"}
    counters = {(c.rule_id, c.user_id): c.assigned for c in session.scalars(select(RoutingCounter))}
    assert counters == {("france_hot", team["rep"].id): 2, ("france_hot", team["rose"].id): 2}
    queued = session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [(n.lead_id, n.channel) for n in queued[:2]] == [(leads[0].id, "email"), (leads[0].id, "webhook")]
    assert len(queued) == 8


def test_a_cold_lead_waits_until_it_reaches_the_minimum_grade(session, event, team):
    actor = Actor.for_user(team["alice"])
    lead = ingest(session, event, scan("Cleo", country="BE"), actor).lead
    session.commit()
    assert (lead.score, lead.grade, lead.owner_id) == (10, "D", None)
    update_lead(session, lead, {"answers": {"timeline": "3to12m"}}, actor)
    session.commit()
    assert (lead.score, lead.grade, lead.owner_id, lead.routing_rule) == (25, "C", team["rep"].id, "benelux")
    assert lead.sla_due_at is None  # no SLA for C leads
    assert session.scalar(select(func.count()).select_from(Notification)) == 2


def test_a_second_scan_rescores_with_behaviour(session, event, team):
    first = ingest(session, event, scan("Dora", answers={"timeline": "lt3m", "budget": "yes"}),
                   Actor.for_user(team["alice"])).lead
    session.commit()
    assert first.score == 60
    again = ingest(session, event, scan("Dora", day=15), Actor.for_user(team["bruno"])).lead
    session.commit()
    assert again is first and first.score == 70 and first.grade == "A"
    assert [e["rule"] for e in first.score_explanation][-2:] == ["met_several_staff", "came_back"]
    assert first.owner_id == team["rose"].id  # routed as a B by "france", it keeps its owner when it becomes an A


def test_leads_at_earlier_events_count(session, make_event, event, team):
    earlier = make_event("salon-2025")
    team["alice"].events.append(earlier)
    session.commit()
    ingest(session, earlier, scan("Eve"), Actor.for_user(team["alice"]))
    lead = ingest(session, event, scan("Eve"), Actor.for_user(team["alice"])).lead
    session.commit()
    assert "returning_visitor" in [e["rule"] for e in lead.score_explanation]


def test_roster_completion_rescores(session, event, team):
    lead = ingest(session, event, Scan(new_client_id(), at(9), payload="SD00077", answers={"timeline": "3to12m"}),
                  Actor.for_user(team["alice"])).lead
    session.commit()
    assert lead.incomplete and (lead.score, lead.grade, lead.owner_id) == (15, "D", None)
    roster = read_roster("N° d'inscription;Prénom;Nom;Fonction;Pays\nSD00077;Paul;Verlaine;PDG;FR\n".encode())
    import_roster(session, event, roster, Actor.cli())
    session.commit()
    assert not lead.incomplete and (lead.score, lead.grade) == (35, "C")
    assert (lead.owner_id, lead.routing_rule) == (team["rose"].id, "france")


def patch(client, token, lead_id, **body):
    return client.patch(f"/api/v1/leads/{lead_id}", json=body, headers=bearer(token))


@pytest.fixture
def assigned(session, event, team):
    """Two A leads: the first Rémi's, the second Rose's."""
    results = ingest_many(session, event, [scan(n, answers=HOT, rating="hot") for n in ("Fay", "Gil")],
                          Actor.for_user(team["alice"]))
    session.commit()
    return [r.lead for r in results]


def test_rep_follows_up_forward_only_and_the_sla_stops_when_contacted(client, session, user_token, team, assigned):
    token = user_token(team["rep"])
    lead = assigned[0]
    assert patch(client, token, lead.id, status="accepted").status_code == 200
    response = patch(client, token, lead.id, status="contacted", notes="called, demo next week")
    assert response.status_code == 200, response.json
    assert response.json["contacted_at"] and response.json["sla_due_at"] is None
    back = patch(client, token, lead.id, status="new")
    assert back.status_code == 422
    assert back.json["errors"]["json"]["status"] == [
        "a lead that is contacted cannot go back to new; ask marketing to correct it"]
    no_reason = patch(client, token, lead.id, status="disqualified")
    assert no_reason.json["errors"]["json"]["status"] == ["say why the lead is disqualified (status_reason)"]
    done = patch(client, token, lead.id, status="disqualified", status_reason="no budget after all")
    assert done.status_code == 200 and done.json["status_reason"] == "no budget after all"
    assert patch(client, token, lead.id, owner_id=team["rose"].id).status_code == 403


def test_marketing_reassigns_audited_and_the_new_owner_is_notified(client, session, user_token, team, assigned):
    lead = assigned[0]
    response = patch(client, user_token(team["marc"]), lead.id, owner_id=team["rose"].id)
    assert response.status_code == 200, response.json
    assert response.json["owner_id"] == team["rose"].id and response.json["routing_rule"] == "manual"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "lead.reassign")).one()
    assert entry.actor_label == "Marc"
    assert entry.details["before"]["owner_id"] == team["rep"].id
    assert entry.details["after"]["owner_id"] == team["rose"].id
    assert session.scalar(select(func.count()).where(Notification.lead_id == lead.id,
                                                     Notification.user_id == team["rose"].id)) == 2
    outsider = patch(client, user_token(team["marc"]), lead.id, owner_id=team["alice"].id + 1000)
    assert outsider.status_code == 422


def test_a_rep_sees_only_their_leads_marketing_sees_all(client, user_token, team, assigned, event):
    rep_token, marc_token = user_token(team["rep"]), user_token(team["marc"])
    mine = client.get(f"/api/v1/events/{event.slug}/leads", headers=bearer(rep_token)).json["items"]
    assert [item["id"] for item in mine] == [assigned[0].id]
    assert client.get(f"/api/v1/leads/{assigned[1].id}", headers=bearer(rep_token)).status_code == 403
    everyone = client.get(f"/api/v1/events/{event.slug}/leads", headers=bearer(marc_token)).json["items"]
    assert sorted(item["id"] for item in everyone) == sorted(lead.id for lead in assigned)


def test_concurrent_uploads_keep_the_turns_fair(app, session, event, team, device_token):
    token = device_token(event)
    barrier = threading.Barrier(4)

    def worker(n: int) -> None:
        client = app.test_client()
        barrier.wait()
        for k in range(10):
            body = {"client_id": new_client_id(), "captured_at": "2026-03-14T10:00:00Z", "rating": "hot",
                    "answers": HOT, "contact": {"first_name": f"W{n}x{k}", "last_name": "T", "country": "FR",
                                                "email": f"w{n}x{k}@acme.fr"}}
            response = client.post(f"/api/v1/events/{event.slug}/scans", json=body, headers=bearer(token))
            assert response.status_code == 201

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    session.expire_all()
    owners = Counter(session.scalars(select(Lead.owner_id)))
    assert owners == {team["rep"].id: 20, team["rose"].id: 20}
