"""The event's tablet pages: pairing QR, devices and revocation, staff PINs, questions and consent."""
from __future__ import annotations

import base64
import io
import json
import re

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from helpers import bearer
from leadcapture.models import AuditEntry, Device, Role, User
from test_web_auth import csrf_token, login


@pytest.fixture
def event(make_event):
    return make_event()


@pytest.fixture
def admin(make_user, session):
    user = make_user("Adèle", role=Role.ADMIN)
    user.password_hash = generate_password_hash("s3cret!")
    session.commit()
    return user


@pytest.fixture
def signed_in(client, admin):
    login(client, admin.email, "s3cret!")
    return client


def post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/")})


def audit_actions(session) -> list[str]:
    actions = session.scalars(select(AuditEntry.action)).all()
    session.rollback()  # SQLite: end the read so the server can write
    return list(actions)


def decode_qr(page: str) -> str:
    data_uri = re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1)
    image = Image.open(io.BytesIO(base64.b64decode(data_uri)))
    return zxingcpp.read_barcodes(image)[0].text


def test_pairing_page_shows_a_qr_code_that_pairs_a_tablet(signed_in, event, app):
    response = post(signed_in, "/events/salon-test/devices/pair", {"name": "Stand A"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    url = decode_qr(page)
    code = re.search(r'data-testid="pairing-code">([A-Z0-9-]+)<', page).group(1)
    assert url == f"{app.config['SERVER_URL']}/kiosk#pair={code}"
    paired = signed_in.post("/api/v1/kiosk/pair", json={"code": code})
    assert paired.status_code == 201 and paired.json["device"]["name"] == "Stand A"


def test_devices_list_and_revoke(signed_in, event, device_token, session):
    token = device_token(event, "Tablette A")
    signed_in.get("/api/v1/events/salon-test/kiosk", headers=bearer(token))  # stamps last seen
    page = signed_in.get("/events/salon-test/devices?lang=en").get_data(as_text=True)
    assert "Tablette A" in page and "never" not in page and "active" in page
    device_id = session.scalars(select(Device.id)).one()
    session.rollback()  # SQLite: let the server write
    response = post(signed_in, f"/events/salon-test/devices/{device_id}/revoke", {})
    assert response.status_code == 302
    assert signed_in.get("/api/v1/events/salon-test/kiosk", headers=bearer(token)).status_code == 401
    assert "revoked" in signed_in.get("/events/salon-test/devices").get_data(as_text=True)


def test_staff_pins_are_set_and_checked(signed_in, event, make_user, session):
    alice_id = make_user("Alice", events=[event]).id
    assert post(signed_in, "/events/salon-test/staff", {"user_id": alice_id, "pin": "12"}).status_code == 302
    assert post(signed_in, "/events/salon-test/staff", {"user_id": alice_id, "pin": "4321"}).status_code == 302
    pin_hash = session.scalar(select(User.pin_hash).where(User.id == alice_id))
    assert check_password_hash(pin_hash, "4321")
    assert audit_actions(session).count("user.pin_set") == 1  # the malformed PIN changed nothing


def test_questions_and_consent_texts_are_validated_and_versioned(signed_in, event, session):
    form = {"questions": json.dumps(event.settings["questions"][:1]), "purposes": "marketing",
            "version_fr": "2026-01", "text_fr": "Un autre texte", "version_en": "2026-01",
            "text_en": event.settings["consent"]["texts"][1]["text"]}
    signed_in.get("/?lang=en")
    refused = post(signed_in, "/events/salon-test/kiosk-settings", form)
    assert refused.status_code == 422 and "new version" in refused.get_data(as_text=True)
    bad = post(signed_in, "/events/salon-test/kiosk-settings", {**form, "questions": '[{"id": "x"}]'})
    assert bad.status_code == 422 and "type" in bad.get_data(as_text=True)
    saved = post(signed_in, "/events/salon-test/kiosk-settings", {**form, "version_fr": "2026-02"})
    assert saved.status_code == 302
    session.refresh(event)
    texts = [(t["language"], t["version"]) for t in event.settings["consent"]["texts"]]
    assert texts == [("fr", "2026-01"), ("en", "2026-01"), ("fr", "2026-02")]  # the old one stays as proof
    assert [q["id"] for q in event.settings["questions"]] == ["interest"]


def test_pages_speak_french_and_english(signed_in, event):
    assert "Tablettes" in signed_in.get("/events/salon-test/devices?lang=fr").get_data(as_text=True)
    assert "Associer une tablette" in signed_in.get("/events/salon-test/devices").get_data(as_text=True)
    assert "Pair a tablet" in signed_in.get("/events/salon-test/devices?lang=en").get_data(as_text=True)
    assert "Staff PINs" in signed_in.get("/events/salon-test/staff").get_data(as_text=True)


def test_only_people_working_the_event_see_its_tablets(client, event, make_event, make_user, session):
    other = make_event("salon-b")
    marc = make_user("Marc", role=Role.MARKETING, events=[other])
    alice = make_user("Alice", role=Role.STAFF, events=[event])
    for user in (marc, alice):
        user.password_hash = generate_password_hash("pw")
    session.commit()
    login(client, marc.email, "pw")
    assert client.get("/events/salon-test/devices").status_code == 403
    assert client.get("/events/salon-b/devices").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, alice.email, "pw")
    assert client.get("/events/salon-test/devices").status_code == 403
