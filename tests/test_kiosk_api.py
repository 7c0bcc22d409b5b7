"""The kiosk's API: pairing with a one-time code, configuration, staff PINs, roster, met-before."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from helpers import bearer, new_client_id
from leadcapture.actors import Actor
from leadcapture.models import Attendee, AuditEntry, Device, PairingCode, Role
from leadcapture.pairing import MAX_FAILURES, new_code
from leadcapture.tokens import hash_token

PAIR = "/api/v1/kiosk/pair"


@pytest.fixture
def event(make_event):
    return make_event()


@pytest.fixture
def alice(make_user, event, session):
    user = make_user("Alice", events=[event])
    user.pin_hash = generate_password_hash("1234")
    session.commit()
    return user


@pytest.fixture
def token(device_token, event):
    return device_token(event, "Tablette A")


def code_for(session, event, name="Tablette B"):
    _row, code = new_code(session, event, name, Actor.cli())
    session.commit()
    return code


def test_a_code_pairs_a_device_once(client, session, event):
    code = code_for(session, event)
    response = client.post(PAIR, json={"code": code.lower().replace("-", " ")})  # typed sloppily
    assert response.status_code == 201, response.json
    body = response.json
    assert body["token"].startswith("lcd_") and body["event"]["slug"] == "salon-test"
    assert body["device"]["name"] == "Tablette B"
    assert client.get("/api/v1/events/salon-test/kiosk", headers=bearer(body["token"])).status_code == 200
    again = client.post(PAIR, json={"code": code})
    assert again.status_code == 400 and "already used" in again.json["message"]
    assert session.scalar(select(func.count()).select_from(Device)) == 1


def test_only_a_hash_of_the_code_is_stored(session, event):
    code = code_for(session, event)
    row = session.scalars(select(PairingCode)).one()
    assert row.code_hash == hash_token(code.replace("-", "")) and code not in row.code_hash


def test_an_expired_code_is_refused(client, session, event):
    code = code_for(session, event)
    row = session.scalars(select(PairingCode)).one()
    row.expires_at = row.created_at - timedelta(seconds=1)
    session.commit()
    response = client.post(PAIR, json={"code": code})
    assert response.status_code == 400 and "expired" in response.json["message"]


def test_pairing_is_audited_and_guessing_is_limited(client, session, event):
    for _ in range(MAX_FAILURES):
        assert client.post(PAIR, json={"code": "AAAA-AAAA"}).status_code == 400
    code = code_for(session, event)
    response = client.post(PAIR, json={"code": code})
    assert response.status_code == 429 and "too many" in response.json["message"]
    actions = session.scalars(select(AuditEntry.action)).all()
    assert actions.count("pairing.refused") == MAX_FAILURES and "pairing.create" in actions


def test_config_has_questions_consent_and_staff_with_pins(client, token, alice, make_user, event):
    make_user("Rémi", role=Role.REP, events=[event])  # no PIN: not a kiosk user
    body = client.get("/api/v1/events/salon-test/kiosk", headers=bearer(token)).json
    assert [q["id"] for q in body["questions"]][:2] == ["interest", "timeline"]
    assert {t["language"] for t in body["consent"]["texts"]} == {"fr", "en"}
    assert body["staff"] == [{"id": alice.id, "name": "Alice", "pin_stamp": body["staff"][0]["pin_stamp"]}]
    assert "pin_hash" not in str(body) and alice.pin_hash not in str(body)
    assert body["device"]["name"] == "Tablette A" and body["event"]["timezone"] == "Europe/Paris"


def test_pin_stamp_changes_with_the_pin(client, token, alice, session):
    before = client.get("/api/v1/events/salon-test/kiosk", headers=bearer(token)).json["staff"][0]["pin_stamp"]
    alice.pin_hash = generate_password_hash("9999")
    session.commit()
    after = client.get("/api/v1/events/salon-test/kiosk", headers=bearer(token)).json["staff"][0]["pin_stamp"]
    assert before != after


def test_pin_check(client, token, alice):
    url = "/api/v1/events/salon-test/kiosk/pin-check"
    ok = client.post(url, json={"staff": alice.id, "pin": "1234"}, headers=bearer(token))
    assert ok.status_code == 200 and ok.json["name"] == "Alice" and ok.json["pin_stamp"]
    wrong = client.post(url, json={"staff": alice.id, "pin": "0000"}, headers=bearer(token))
    assert wrong.status_code == 403 and wrong.json["message"] == "wrong PIN"
    malformed = client.post(url, json={"staff": alice.id, "pin": "12"}, headers=bearer(token))
    assert malformed.status_code == 422


def test_five_wrong_pins_lock_that_person_on_that_tablet(client, token, device_token, event, alice):
    url = "/api/v1/events/salon-test/kiosk/pin-check"
    for _ in range(5):
        assert client.post(url, json={"staff": alice.id, "pin": "0000"}, headers=bearer(token)).status_code == 403
    locked = client.post(url, json={"staff": alice.id, "pin": "1234"}, headers=bearer(token))
    assert locked.status_code == 429
    other_tablet = device_token(event, "Tablette C")
    assert client.post(url, json={"staff": alice.id, "pin": "1234"}, headers=bearer(other_tablet)).status_code == 200


def test_pin_check_of_someone_outside_the_event_is_404(client, token, make_user, session):
    outsider = make_user("Zoé")
    outsider.pin_hash = generate_password_hash("1234")
    session.commit()
    url = "/api/v1/events/salon-test/kiosk/pin-check"
    assert client.post(url, json={"staff": outsider.id, "pin": "1234"}, headers=bearer(token)).status_code == 404


def test_roster_and_its_etag(client, token, session, event):
    session.add(Attendee(event_id=event.id, registration_id="SD00001", email="camille@example.com",
                         first_name="Camille", last_name="Martin", company="Acme"))
    session.commit()
    response = client.get("/api/v1/events/salon-test/kiosk/roster", headers=bearer(token))
    assert response.status_code == 200
    body = response.json
    row = dict(zip(body["fields"], body["rows"][0]))
    assert row["registration_id"] == "SD00001" and row["first_name"] == "Camille"
    etag = response.headers["ETag"]
    same = client.get("/api/v1/events/salon-test/kiosk/roster", headers={**bearer(token), "If-None-Match": etag})
    assert same.status_code == 304


def test_met_before_names_who_met_the_visitor(client, token, alice):
    scan = {"client_id": new_client_id(), "payload": "camille@example.com", "captured_at": "2026-03-14T10:42:00+01:00",
            "staff": alice.id}
    assert client.post("/api/v1/events/salon-test/scans", json=scan, headers=bearer(token)).status_code == 201
    body = client.get("/api/v1/events/salon-test/kiosk/met?email=Camille@example.com", headers=bearer(token)).json
    assert [(m["by"], m["at"][:16]) for m in body["met_before"]] == [("Alice", "2026-03-14T09:42")]
    nobody = client.get("/api/v1/events/salon-test/kiosk/met?registration_id=X1", headers=bearer(token)).json
    assert nobody["met_before"] == []


def test_kiosk_routes_are_for_devices_of_the_event(client, event, make_user, user_token, make_event, device_token):
    admin = make_user("Adèle", role=Role.ADMIN)
    assert client.get("/api/v1/events/salon-test/kiosk", headers=bearer(user_token(admin))).status_code == 403
    other = device_token(make_event("salon-b"))
    assert client.get("/api/v1/events/salon-test/kiosk", headers=bearer(other)).status_code == 403


def test_a_revoked_device_is_told_so(client, token, session):
    from leadcapture.pairing import revoke_device

    revoke_device(session, session.scalars(select(Device)).one(), Actor.cli())
    session.commit()
    response = client.get("/api/v1/events/salon-test/kiosk", headers=bearer(token))
    assert response.status_code == 401 and "revoked" in response.json["message"]


def test_openapi_describes_the_kiosk_routes(client):
    spec = client.get("/api/v1/openapi.json").json
    for path in ("/api/v1/kiosk/pair", "/api/v1/events/{slug}/kiosk", "/api/v1/events/{slug}/kiosk/pin-check",
                 "/api/v1/events/{slug}/kiosk/roster", "/api/v1/events/{slug}/kiosk/met"):
        assert path in spec["paths"]
    assert spec["paths"]["/api/v1/kiosk/pair"]["post"]["security"] == []
