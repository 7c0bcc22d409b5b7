"""Signing in to the web pages, in French and English; events shown only to who works them."""
from __future__ import annotations

import re

import pytest
from werkzeug.security import generate_password_hash

from leadcapture.models import Role


def csrf_token(client, url="/login") -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def login(client, email, password):
    return client.post("/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)})


@pytest.fixture
def marc(make_user, make_event, session):
    user = make_user("Marc", role=Role.MARKETING, events=[make_event("salon-a")])
    make_event("salon-b")
    user.password_hash = generate_password_hash("s3cret!")
    session.commit()
    return user


def test_pages_need_a_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_page_speaks_french_and_english(client):
    assert "Se connecter" in client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(as_text=True)
    assert "Sign in" in client.get("/login", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    assert "Mot de passe" in client.get("/login?lang=fr", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_login_then_see_only_own_events(client, marc):
    response = login(client, marc.email, "s3cret!")
    assert response.status_code == 302
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "salon-a" in page and "salon-b" not in page


def test_wrong_password_says_so(client, marc):
    response = login(client, marc.email, "nope")
    assert response.status_code == 400
    assert "E-mail ou mot de passe incorrect" in response.get_data(as_text=True)  # French by default
    client.get("/login?lang=en")
    assert "Wrong e-mail or password" in login(client, marc.email, "nope").get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client, marc):
    response = client.post("/login", data={"email": marc.email, "password": "s3cret!"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_next_only_follows_local_paths(client, marc):
    token = csrf_token(client)
    response = client.post("/login?next=//evil.example/x", data={"email": marc.email, "password": "s3cret!", "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_logout(client, marc):
    login(client, marc.email, "s3cret!")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get("/").status_code == 302
