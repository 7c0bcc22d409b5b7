"""POST /api/v1/events/<slug>/scans with a badge photo (multipart/form-data) instead of badge text."""
from __future__ import annotations

import io
import json

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from badge_images import file_bytes, qr_image, side_by_side, zxing_image
from helpers import bearer, new_client_id
from leadcapture.models import Attendee, Interaction, Lead

VCARD = ("BEGIN:VCARD\nVERSION:3.0\nN:Lefèvre;Chloé\nORG:Pixel & Co\nEMAIL:chloe@pixel.example\n"
         "TEL:06 12 34 56 78\nEND:VCARD")
SCANS = "/api/v1/events/salon-test/scans"


def scan_part(**overrides) -> dict:
    return {"client_id": new_client_id(), "captured_at": "2026-03-14T10:42:00+01:00", "source": "camera",
            **overrides}


def post_photo(client, token, photo: bytes | None, scan: dict | str | None):
    data = {}
    if photo is not None:
        data["photo"] = (io.BytesIO(photo), "badge.jpg")
    if scan is not None:
        data["scan"] = scan if isinstance(scan, str) else json.dumps(scan)
    return client.post(SCANS, data=data, headers=bearer(token), content_type="multipart/form-data")


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_badge_photo_becomes_a_lead(client, token, session):
    photo = file_bytes(qr_image(VCARD).convert("RGB"), "JPEG")
    scan = scan_part(answers={"timeline": "lt3m"}, rating="hot")
    response = post_photo(client, token, photo, scan)
    assert response.status_code == 201, response.json
    lead = response.json["lead"]
    assert (lead["full_name"], lead["email"], lead["phone"]) == ("Chloé Lefèvre", "chloe@pixel.example", "+33612345678")
    assert lead["rating"] == "hot" and response.json["warnings"] == []
    again = post_photo(client, token, photo, scan)
    assert again.status_code == 200 and again.json == response.json
    assert session.scalar(select(Interaction.raw_payload)) == VCARD


def test_an_id_barcode_is_completed_from_the_roster(client, token, session, event):
    session.add(Attendee(event_id=event.id, registration_id="SD00042", email="paul@example.com",
                         first_name="Paul", last_name="Verlaine", company="Poètes SARL"))
    session.commit()
    response = post_photo(client, token, file_bytes(zxing_image("SD00042", zxingcpp.BarcodeFormat.Code128)),
                          scan_part())
    assert response.status_code == 201, response.json
    assert (response.json["lead"]["full_name"], response.json["lead"]["incomplete"]) == ("Paul Verlaine", False)


def test_with_several_codes_the_answer_says_which_was_used(client, token):
    photo = file_bytes(side_by_side(qr_image("https://salon.example/plan"), qr_image(VCARD)))
    response = post_photo(client, token, photo, scan_part())
    assert response.status_code == 201, response.json
    assert "holds 2 codes" in response.json["warnings"][0]
    assert response.json["lead"]["email"] == "chloe@pixel.example"


@pytest.mark.parametrize("photo, scan, errors", [
    (file_bytes(Image.new("L", (400, 300), 255)), scan_part(), {"photo": "no barcode found on the photo"}),
    (b"GIF89a but not really", scan_part(), {"photo": "cannot be read as an image"}),
    (None, None, {"photo": "send the badge photo", "scan": "as a JSON object"}),
    (file_bytes(qr_image(VCARD)), "{not json", {"scan": "not valid JSON"}),
    (file_bytes(qr_image(VCARD)), scan_part(client_id="nope"), {"scan": "client_id"}),
    (file_bytes(qr_image(VCARD)), scan_part(payload="SD00042"), {"scan": "payload"}),
    (file_bytes(qr_image(VCARD)), scan_part(answers={"timeline": "someday"}), {"answers": "'someday'"}),
    (file_bytes(qr_image("just some words")), scan_part(), {"photo": "no code on the photo is a badge"}),
])
def test_a_bad_photo_scan_gets_422_per_part_and_stores_nothing(client, token, session, photo, scan, errors):
    response = post_photo(client, token, photo, scan)
    assert response.status_code == 422, response.json
    assert response.json["code"] == 422 and response.json["message"]
    for part, fragment in errors.items():
        assert fragment in str(response.json["errors"]["form"][part]), response.json
    assert count(session, Interaction) == 0 and count(session, Lead) == 0


def test_a_photo_over_one_megabyte_is_413(client, token):
    # A ready-made body: the test client would spool a file part this big to a temporary file it never closes.
    body = b"--b\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.jpg\"\r\n\r\n" + b"\xff" * 1024 * 1024
    response = client.post(SCANS, data=body, headers=bearer(token), content_type="multipart/form-data; boundary=b")
    assert response.status_code == 413 and response.json["code"] == 413


def test_the_json_body_still_works_beside_photos(client, token):
    body = {**scan_part(), "payload": VCARD}
    response = client.post(SCANS, json=body, headers=bearer(token))
    assert response.status_code == 201 and response.json["lead"]["phone"] == "+33612345678"


def test_openapi_describes_both_request_bodies(client):
    spec = client.get("/api/v1/openapi.json").json
    content = spec["paths"]["/api/v1/events/{slug}/scans"]["post"]["requestBody"]["content"]
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/Scan"}
    photo = content["multipart/form-data"]
    assert photo["schema"]["properties"]["scan"] == {"$ref": "#/components/schemas/PhotoScan"}
    assert photo["schema"]["properties"]["photo"]["format"] == "binary"
    assert "payload" not in spec["components"]["schemas"]["PhotoScan"]["properties"]
