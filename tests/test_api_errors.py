"""Authentication and the one error shape: 400, 401, 403, 404, 413, 422; never a 500."""
from __future__ import annotations

import json
import random
import re

import pytest
from sqlalchemy import select

from helpers import bearer, new_client_id
from leadcapture.db import utcnow
from leadcapture.models import ApiToken, Device, Role

SCANS = "/api/v1/events/salon-test/scans"


def assert_error_shape(response, code):
    assert response.status_code == code, response.get_data(as_text=True)
    assert response.is_json
    body = response.json
    assert body["code"] == code and body["status"] and isinstance(body["message"], str)


def api_routes(app):
    """Every (method, concrete url) under /api/v1 except the OpenAPI document."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.endpoint.startswith("api-docs"):
            continue
        if rule.rule == "/api/v1/kiosk/pair":  # the one-time pairing code is its credential (test_kiosk_api.py)
            continue
        url = re.sub(r"<int[^:]*:lead_id>", "1", rule.rule).replace("<slug>", "salon-test")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, url


def test_every_api_route_refuses_a_request_without_token(app, client, event):
    routes = list(api_routes(app))
    assert len(routes) >= 5  # scans, batch, list, get, patch
    for method, url in routes:
        response = client.open(url, method=method, json={})
        assert_error_shape(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_openapi_document_is_public_and_describes_the_routes(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/events/{slug}/scans", "/api/v1/events/{slug}/scans/batch",
                 "/api/v1/events/{slug}/leads", "/api/v1/leads/{lead_id}"):
        assert path in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


@pytest.mark.parametrize("header", ["Bearer lcd_nope", "Bearer lcu_nope", "Basic abc", "Bearer ", "lcd_x"])
def test_bad_tokens_get_401(client, event, header):
    assert_error_shape(client.get("/api/v1/events/salon-test/leads", headers={"Authorization": header}), 401)


def test_revoked_device_gets_401_saying_so(client, session, token):
    device = session.scalars(select(Device)).one()
    device.revoked_at = utcnow()
    session.commit()
    response = client.get("/api/v1/events/salon-test/leads", headers=bearer(token))
    assert_error_shape(response, 401)
    assert "revoked" in response.json["message"]


def test_expired_user_token_gets_401(client, session, make_user, user_token, event):
    token = user_token(make_user("Adèle", role=Role.ADMIN))
    row = session.scalars(select(ApiToken)).one()
    row.expires_at = utcnow().replace(year=2000)
    session.commit()
    response = client.get("/api/v1/events/salon-test/leads", headers=bearer(token))
    assert_error_shape(response, 401)
    assert "expired" in response.json["message"]


def test_deactivated_user_gets_401(client, session, make_user, user_token, event):
    user = make_user("Ex", role=Role.ADMIN)
    token = user_token(user)
    user.active = False
    session.commit()
    assert_error_shape(client.get("/api/v1/events/salon-test/leads", headers=bearer(token)), 401)


def test_malformed_json_gets_400(client, token):
    response = client.post(SCANS, data='{"client_id": ', headers={**bearer(token), "Content-Type": "application/json"})
    assert_error_shape(response, 400)


def test_body_over_1mb_gets_413(client, token):
    body = json.dumps({"scans": ["x" * 1024] * 1100})
    response = client.post(SCANS + "/batch", data=body, headers={**bearer(token), "Content-Type": "application/json"})
    assert_error_shape(response, 413)


def test_unknown_event_and_lead_get_404(client, make_user, user_token):
    token = user_token(make_user("Adèle", role=Role.ADMIN))
    assert_error_shape(client.get("/api/v1/events/nope/leads", headers=bearer(token)), 404)
    assert_error_shape(client.get("/api/v1/leads/424242", headers=bearer(token)), 404)
    assert_error_shape(client.post("/api/v1/events/nope/scans", headers=bearer(token), json={}), 404)


def test_unknown_url_is_json_404(client):
    assert_error_shape(client.get("/api/v1/nothing-here"), 404)


def test_wrong_method_is_405(client, token):
    assert_error_shape(client.delete(SCANS, headers=bearer(token)), 405)


def test_validation_error_lists_fields(client, token):
    response = client.post(SCANS, json={"payload": 42}, headers=bearer(token))
    assert_error_shape(response, 422)
    fields = response.json["errors"]["json"]
    assert {"client_id", "captured_at", "payload"} <= set(fields)


def _random_value(rng, depth=0):
    choices = [None, True, 0, -1, 10**20, 1.5, "", "x" * rng.randint(1, 300), "\x00\ud7ff", "2026-03-14T10:00:00Z",
               new_client_id(), "BEGIN:VCARD\nN:A;B\nEND:VCARD"]
    if depth < 2:
        choices += [[_random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))],
                    {k: _random_value(rng, depth + 1) for k in rng.sample(
                        ["client_id", "payload", "contact", "captured_at", "answers", "consent", "scans", "rating",
                         "staff", "email", "first_name", "granted", "language"], rng.randint(0, 5))}]
    return rng.choice(choices)


def test_random_bodies_never_cause_500(client, token, make_user, user_token, event):
    admin = user_token(make_user("Adèle", role=Role.ADMIN))
    rng = random.Random(7)
    for _ in range(300):
        body = _random_value(rng)
        for method, url, tok in (("POST", SCANS, token), ("POST", SCANS + "/batch", token),
                                 ("PATCH", "/api/v1/leads/1", admin)):
            response = client.open(url, method=method, data=json.dumps(body),
                                   headers={**bearer(tok), "Content-Type": "application/json"})
            assert response.status_code < 500, (url, body, response.get_data(as_text=True))


@pytest.mark.parametrize("change, field", [
    ({"staff": 10**20}, "staff"),
    ({"captured_at": "9999-12-31T23:59:59-05:00"}, "captured_at"),
    ({"captured_at": "0001-01-01T00:00:00+05:00"}, "captured_at"),
])
def test_out_of_range_numbers_and_times_get_422(client, token, change, field):
    body = {"client_id": new_client_id(), "payload": "SD1", "captured_at": "2026-03-14T10:00:00Z", **change}
    response = client.post(SCANS, json=body, headers=bearer(token))
    assert_error_shape(response, 422)
    assert field in response.json["errors"]["json"]


def test_huge_ids_in_query_and_url_are_client_errors(client, token):
    assert_error_shape(client.get(f"/api/v1/events/salon-test/leads?staff_id={10**20}", headers=bearer(token)), 422)
    assert_error_shape(client.get(f"/api/v1/leads/{10**20}", headers=bearer(token)), 404)
