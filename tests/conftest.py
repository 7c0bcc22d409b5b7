"""Fixtures: a real database per test (SQLite always, PostgreSQL when configured), app, client, factories."""
from __future__ import annotations

import os
import shutil
import uuid
from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from leadcapture import create_app
from leadcapture.db import Base, make_engine
from leadcapture.demo import DEMO_SETTINGS
from leadcapture.event_settings import load_settings
from leadcapture.migrate import upgrade
from leadcapture.models import Event, Role, User
from leadcapture.tokens import new_device, new_user_token

PG_ENV = "LEADCAPTURE_TEST_DATABASE_URL"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file; each test gets a copy (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url():
    """A migrated throwaway schema in the test PostgreSQL, dropped at the end of the run."""
    raw = os.environ.get(PG_ENV)
    if not raw:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {PG_ENV} is not set: the suite must run on PostgreSQL in CI")
        pytest.skip(f"PostgreSQL tests need {PG_ENV}, e.g. postgresql://127.0.0.1:5432/test "
                    "(install PostgreSQL and set it to run them)")
    url = make_url(raw)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    schema = f"lc_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = url.update_query_dict({"options": f"-csearch_path={schema}"})
    scoped_str = scoped.render_as_string(hide_password=False)
    upgrade(scoped_str)
    yield scoped_str
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def app(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("LEADCAPTURE_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test"})
    yield app
    app.extensions["leadcapture.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    with app.extensions["leadcapture.sessions"]() as session:
        yield session


@pytest.fixture
def make_event(session):
    """Factory: make_event(slug="salon-test", **fields) -> committed Event with the demo questions."""

    def _make(slug: str = "salon-test", **fields) -> Event:
        values = dict(name=f"Salon {slug}", starts_on=date(2026, 3, 14), ends_on=date(2026, 3, 16),
                      timezone="Europe/Paris", country="FR", currency="EUR",
                      settings=load_settings(DEMO_SETTINGS))
        values.update(fields)
        event = Event(slug=slug, **values)
        session.add(event)
        session.commit()
        return event

    return _make


@pytest.fixture
def event(make_event):
    """The usual test event, "salon-test", with the demo questions and consent texts."""
    return make_event()


@pytest.fixture
def alice(make_user, event):
    """A staff member of `event`."""
    return make_user("Alice", events=[event])


@pytest.fixture
def token(device_token, event):
    """The bearer token of a tablet paired to `event`."""
    return device_token(event, "Tablette A")


@pytest.fixture
def make_user(session):
    """Factory: make_user(name, role, events=[...]) -> committed User."""

    def _make(name: str = "Alice", role: Role = Role.STAFF, events=(), email: str | None = None) -> User:
        user = User(email=email or f"{name.lower().replace(' ', '.')}@example.test", name=name, role=role.value)
        user.events = list(events)
        session.add(user)
        session.commit()
        return user

    return _make


@pytest.fixture
def device_token(session):
    """Factory: device_token(event, name="Tablet") -> bearer token of a new device."""

    def _make(event: Event, name: str = "Tablet") -> str:
        _device, token = new_device(session, event, name)
        session.commit()
        return token

    return _make


@pytest.fixture
def user_token(session):
    """Factory: user_token(user, days=90) -> bearer token."""

    def _make(user: User, days: int | None = 90) -> str:
        _row, token = new_user_token(session, user, days=days)
        session.commit()
        return token

    return _make
