"""POST /api/v1/events/<slug>/scans and /scans/batch."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from helpers import bearer, new_client_id
from leadcapture.models import Consent, Interaction, Lead, Role

VCARD = "BEGIN:VCARD\nVERSION:3.0\nN:Lefèvre;Chloé\nORG:Pixel & Co\nEMAIL:chloe@pixel.example\nEND:VCARD"
CONSENT = {"granted": True, "purposes": ["marketing"], "language": "fr", "text_version": "2026-01"}


def scan_body(**overrides) -> dict:
    body = {"client_id": new_client_id(), "payload": VCARD, "captured_at": "2026-03-14T10:42:00+01:00",
            "source": "camera", "answers": {"timeline": "lt3m"}, "rating": "hot", "consent": CONSENT}
    body.update(overrides)
    return body


def post_scan(client, token, body, slug="salon-test"):
    return client.post(f"/api/v1/events/{slug}/scans", json=body, headers=bearer(token))


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_scan_creates_lead_201(client, token, alice, session):
    response = post_scan(client, token, scan_body(staff=alice.id))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["new_lead"] is True and body["message"] is None
    assert body["lead"]["full_name"] == "Chloé Lefèvre"
    assert body["lead"]["email"] == "chloe@pixel.example"
    assert body["lead"]["rating"] == "hot" and body["lead"]["answers"] == {"timeline": "lt3m"}
    assert body["lead"]["event"] == "salon-test"
    assert count(session, Consent) == 1


def test_resend_same_client_id_is_200_with_same_body(client, token, session):
    body = scan_body()
    first = post_scan(client, token, body)
    second = post_scan(client, token, body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json == second.json
    assert count(session, Interaction) == 1


def test_repeat_visitor_message_in_event_time_zone(client, token, make_user, event, alice):
    bruno = make_user("Bruno", events=[event])
    post_scan(client, token, scan_body(staff=alice.id, captured_at="2026-03-14T09:42:00Z"))
    response = post_scan(client, token, scan_body(staff=bruno.id, captured_at="2026-03-14T13:00:00Z"))
    assert response.status_code == 201
    # 09:42 UTC is 10:42 in Paris in March.
    assert response.json["message"] == "already met by Alice on 2026-03-14 at 10:42"
    assert response.json["new_lead"] is False


def test_manual_contact_without_badge(client, token):
    response = post_scan(client, token, scan_body(payload=None, source="manual",
                                                  contact={"first_name": "Zoé", "last_name": "Blanc", "company": "TechnoBat"}))
    assert response.status_code == 201
    assert response.json["lead"]["company"] == "TechnoBat"


@pytest.mark.parametrize("change, field", [
    ({"client_id": "not-a-uuid"}, "client_id"),
    ({"captured_at": "2026-03-14T10:42:00"}, "captured_at"),
    ({"payload": None, "contact": None}, "payload"),
    ({"rating": "lukewarm"}, "rating"),
    ({"source": "telepathy"}, "source"),
    ({"unexpected": 1}, "unexpected"),
    ({"consent": {"granted": "maybe", "language": "fr", "text_version": "2026-01"}}, "consent"),
    ({"payload": "\x01\x02"}, "payload"),
    ({"payload": "é" * 3000}, "payload"),
    ({"answers": {"timeline": "someday"}}, "answers"),
])
def test_bad_scan_gets_422_with_field_messages_and_stores_nothing(client, token, session, change, field):
    body = {k: v for k, v in {**scan_body(), **change}.items() if v is not None}
    response = post_scan(client, token, body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]["json"], response.json
    assert response.json["code"] == 422 and response.json["message"]
    assert count(session, Interaction) == 0 and count(session, Lead) == 0


def test_batch_stores_good_items_and_reports_bad_ones(client, token, session):
    good = scan_body()
    items = [good, {"client_id": "nope"}, scan_body(payload="\x00bad"), good, "not an object"]
    response = client.post("/api/v1/events/salon-test/scans/batch", json={"scans": items}, headers=bearer(token))
    assert response.status_code == 200, response.json
    statuses = [i["status"] for i in response.json["items"]]
    assert statuses == [201, 422, 422, 200, 422]
    assert (response.json["created"], response.json["duplicates"], response.json["rejected"]) == (1, 1, 3)
    assert "client_id" in response.json["items"][1]["errors"]
    assert "control character" in response.json["items"][2]["errors"]["payload"][0]
    assert count(session, Interaction) == 1


def test_batch_replay_returns_200_items(client, token, session):
    scans = [scan_body(payload=f"SD{n:05d}") for n in range(20)]
    first = client.post("/api/v1/events/salon-test/scans/batch", json={"scans": scans}, headers=bearer(token))
    again = client.post("/api/v1/events/salon-test/scans/batch", json={"scans": scans}, headers=bearer(token))
    assert first.json["created"] == 20 and again.json["duplicates"] == 20
    assert count(session, Interaction) == 20


@pytest.mark.parametrize("size, status", [(0, 422), (501, 422)])
def test_batch_size_limits(client, token, size, status):
    body = {"scans": [scan_body() for _ in range(size)]}
    response = client.post("/api/v1/events/salon-test/scans/batch", json=body, headers=bearer(token))
    assert response.status_code == status
    assert "scans" in response.json["errors"]["json"]


def test_batch_of_500_is_accepted(client, token):
    body = {"scans": [scan_body(payload=f"ID{n:05d}", consent=None) for n in range(500)]}
    response = client.post("/api/v1/events/salon-test/scans/batch", json=body, headers=bearer(token))
    assert response.status_code == 200 and response.json["created"] == 500


def test_rep_cannot_post_scans(client, make_user, user_token, event):
    rep = make_user("Rémi", role=Role.REP, events=[event])
    response = post_scan(client, user_token(rep), scan_body())
    assert response.status_code == 403


def test_user_token_scan_defaults_staff_to_user(client, user_token, alice, session):
    response = post_scan(client, user_token(alice), scan_body())
    assert response.status_code == 201
    assert session.scalars(select(Interaction.staff_user_id)).one() == alice.id
