"""GET/PATCH leads: filters, pagination, detail, audited edits, who sees what."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from helpers import at, bearer, new_client_id
from leadcapture.actors import Actor
from leadcapture.capture import Scan, ingest
from leadcapture.models import AuditEntry, Role


@pytest.fixture
def leads(session, event, alice):
    """Three leads met by Alice at 09:00, 10:00 and 11:00; the second is hot."""
    made = []
    for hour, (first, last, rating) in zip((9, 10, 11), [("Ana", "Lima", None), ("Ben", "Okafor", "hot"),
                                                         ("Cléo", "Roux", "cold")]):
        made.append(ingest(session, event, Scan(new_client_id(), at(hour), rating=rating,
                                                contact={"first_name": first, "last_name": last, "company": "Acme"}),
                           Actor.for_user(alice)).lead)
    session.commit()
    return made


@pytest.fixture
def admin_token(make_user, user_token):
    return user_token(make_user("Adèle", role=Role.ADMIN))


def get_leads(client, token, query="", slug="salon-test"):
    return client.get(f"/api/v1/events/{slug}/leads{query}", headers=bearer(token))


def names(response):
    return [item["first_name"] for item in response.json["items"]]


def test_list_most_recent_first(client, admin_token, leads):
    response = get_leads(client, admin_token)
    assert response.status_code == 200
    assert names(response) == ["Cléo", "Ben", "Ana"]
    assert response.json["total"] == 3


def test_pagination(client, admin_token, leads):
    response = get_leads(client, admin_token, "?per_page=2&page=2")
    assert names(response) == ["Ana"]
    assert (response.json["page"], response.json["pages"], response.json["total"]) == (2, 2, 3)


@pytest.mark.parametrize("query, expected", [
    ("?rating=hot", ["Ben"]),
    ("?q=roux", ["Cléo"]),
    ("?since=2026-03-14T10:00:00Z", ["Cléo", "Ben"]),
    ("?until=2026-03-14T10:00:00Z", ["Ana"]),
    ("?incomplete=false", ["Cléo", "Ben", "Ana"]),
    ("?status=qualified", []),
])
def test_filters(client, admin_token, leads, query, expected):
    assert names(get_leads(client, admin_token, query)) == expected


def test_filter_by_staff(client, admin_token, leads, alice, make_user):
    assert len(get_leads(client, admin_token, f"?staff_id={alice.id}").json["items"]) == 3
    assert get_leads(client, admin_token, "?staff_id=99999").json["items"] == []


@pytest.mark.parametrize("query", ["?per_page=0", "?per_page=201", "?page=0", "?rating=tepid", "?since=yesterday"])
def test_bad_query_gets_422(client, admin_token, leads, query):
    response = get_leads(client, admin_token, query)
    assert response.status_code == 422
    assert response.json["errors"]["query"]


def test_lead_detail_has_interactions_and_consents(client, admin_token, leads):
    response = client.get(f"/api/v1/leads/{leads[1].id}", headers=bearer(admin_token))
    assert response.status_code == 200
    body = response.json
    assert body["first_name"] == "Ben" and len(body["interactions"]) == 1
    assert body["interactions"][0]["source"] == "api" and body["consents"] == []


def test_patch_edits_and_audits(client, admin_token, leads, session):
    lead = leads[0]
    response = client.patch(f"/api/v1/leads/{lead.id}", headers=bearer(admin_token),
                            json={"company": "Acme Europe", "answers": {"budget": "yes"}, "rating": "warm"})
    assert response.status_code == 200, response.json
    assert (response.json["company"], response.json["answers"], response.json["rating"]) == (
        "Acme Europe", {"budget": "yes"}, "warm")
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "lead.update")).one()
    assert entry.details["before"]["company"] == "Acme" and entry.details["after"]["company"] == "Acme Europe"
    assert entry.actor_label == "Adèle"


def test_patch_null_answer_removes_it(client, admin_token, leads):
    lead_id = leads[0].id
    client.patch(f"/api/v1/leads/{lead_id}", headers=bearer(admin_token), json={"answers": {"budget": "yes", "timeline": "lt3m"}})
    response = client.patch(f"/api/v1/leads/{lead_id}", headers=bearer(admin_token), json={"answers": {"budget": None}})
    assert response.json["answers"] == {"timeline": "lt3m"}


@pytest.mark.parametrize("body, field", [
    ({"answers": {"budget": "maybe"}}, "answers"),
    ({"email": "not an email"}, "email"),
    ({"status": "won"}, "status"),
    ({"country": "France"}, "country"),
])
def test_bad_patch_changes_nothing(client, admin_token, leads, session, body, field):
    response = client.patch(f"/api/v1/leads/{leads[0].id}", headers=bearer(admin_token), json=body)
    assert response.status_code == 422
    assert field in response.json["errors"]["json"]
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "lead.update")).all() == []


def test_patch_email_taken_by_other_lead(client, admin_token, leads):
    client.patch(f"/api/v1/leads/{leads[0].id}", headers=bearer(admin_token), json={"email": "ana@acme.example"})
    response = client.patch(f"/api/v1/leads/{leads[1].id}", headers=bearer(admin_token), json={"email": "ANA@acme.example"})
    assert response.status_code == 422
    assert "already has this e-mail" in response.json["errors"]["json"]["email"][0]


def test_rep_sees_only_own_leads(client, make_user, user_token, event, leads, session):
    rep = make_user("Rémi", role=Role.REP, events=[event])
    leads[2].owner_id = rep.id
    session.commit()
    token = user_token(rep)
    assert names(get_leads(client, token)) == ["Cléo"]
    assert client.get(f"/api/v1/leads/{leads[2].id}", headers=bearer(token)).status_code == 200
    assert client.get(f"/api/v1/leads/{leads[0].id}", headers=bearer(token)).status_code == 403
    assert client.patch(f"/api/v1/leads/{leads[2].id}", headers=bearer(token), json={"status": "contacted"}).status_code == 200
    assert client.patch(f"/api/v1/leads/{leads[2].id}", headers=bearer(token), json={"company": "X"}).status_code == 403


def test_marketing_sees_only_their_events(client, make_user, user_token, make_event, leads):
    other = make_event("autre-salon")
    outsider = user_token(make_user("Mona", role=Role.MARKETING, events=[other]))
    assert get_leads(client, outsider).status_code == 403
    assert client.get(f"/api/v1/leads/{leads[0].id}", headers=bearer(outsider)).status_code == 403
    assert get_leads(client, outsider, slug="autre-salon").json["items"] == []


def test_device_reaches_only_its_event(client, device_token, make_event, event, leads):
    other = make_event("autre-salon")
    token = device_token(other)
    assert get_leads(client, token).status_code == 403
    assert client.get(f"/api/v1/leads/{leads[0].id}", headers=bearer(token)).status_code == 403
    assert client.post("/api/v1/events/salon-test/scans", headers=bearer(token),
                       json={"client_id": new_client_id(), "payload": "X1", "captured_at": "2026-03-14T10:00:00Z"}
                       ).status_code == 403
    assert get_leads(client, device_token(event)).status_code == 200


def test_scan_with_the_email_a_lead_had_before_an_edit_joins_that_lead(client, admin_token, token, session):
    body = {"client_id": new_client_id(), "contact": {"email": "old@acme.example", "first_name": "Eva"},
            "captured_at": "2026-03-14T10:00:00Z"}
    lead_id = client.post("/api/v1/events/salon-test/scans", json=body, headers=bearer(token)).json["lead"]["id"]
    client.patch(f"/api/v1/leads/{lead_id}", headers=bearer(admin_token), json={"email": "new@acme.example"})
    again = client.post("/api/v1/events/salon-test/scans", headers=bearer(token),
                        json={**body, "client_id": new_client_id(), "captured_at": "2026-03-14T11:00:00Z"})
    assert again.status_code == 201, again.json
    assert again.json["lead"]["id"] == lead_id and again.json["new_lead"] is False
