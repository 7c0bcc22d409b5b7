"""The kiosk's browser-test kit: a real server process that can crash, and helpers to drive the kiosk.

The kiosk tests need what the in-thread `live_server` of tests/browser.py cannot
give: a server they can kill -9 and start again mid-flush. `kiosk_server` is a
`leadcapture serve` subprocess on a free loopback port with its own migrated
SQLite file (module-scoped; each test seeds its own event). Chromium is the
shared `chromium` fixture of tests/browser.py. bench/kiosk.py reuses
KioskServer and the helpers.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import requests
from werkzeug.security import generate_password_hash

TABLET = {"width": 1024, "height": 768}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class KioskServer:
    """`leadcapture serve` in a subprocess on 127.0.0.1 with its own SQLite database."""

    def __init__(self, folder: Path, template_db: Path | None = None):
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        db_path = folder / "kiosk.sqlite3"
        self.database_url = f"sqlite:///{db_path}"
        if template_db is not None:
            shutil.copy(template_db, db_path)
        else:
            from leadcapture.migrate import upgrade

            upgrade(self.database_url)
        self.process: subprocess.Popen | None = None
        self._sessions = None

    def start(self) -> None:
        env = {**os.environ, "LEADCAPTURE_DATABASE_URL": self.database_url,
               "LEADCAPTURE_INSTANCE_PATH": str(self.folder / "instance"), "LEADCAPTURE_SECRET_KEY": "kiosk-tests",
               "LEADCAPTURE_SERVER_URL": self.url}
        command = [str(Path(sys.executable).with_name("leadcapture")), "serve", "--host", "127.0.0.1",
                   "--port", str(self.port), "--no-notify"]
        with open(self.folder / "server.log", "ab") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if requests.get(f"{self.url}/kiosk", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start; see {self.folder / 'server.log'}")

    def kill(self) -> None:
        """Stop at once, as a crash or a pulled plug would (no graceful shutdown)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def session(self):
        """A database session on the server's SQLite file; end it before the server must write."""
        if self._sessions is None:
            from leadcapture.db import make_engine, make_session_factory

            self._engine = make_engine(self.database_url)
            self._sessions = make_session_factory(self._engine)
        return self._sessions()

    def close(self) -> None:
        self.kill()
        if self._sessions is not None:
            self._engine.dispose()


@pytest.fixture(scope="module")
def kiosk_server(tmp_path_factory, sqlite_template, chromium):
    server = KioskServer(tmp_path_factory.mktemp("kiosk"), sqlite_template)
    server.start()
    yield server
    server.close()


@pytest.fixture
def tablet(chromium, kiosk_server):
    """A fresh browser profile (no service worker, no IndexedDB) sized like a landscape tablet."""
    context = chromium.new_context(viewport=TABLET, base_url=kiosk_server.url, locale="en-GB")
    yield context
    context.close()


# ---- data and kiosk steps --------------------------------------------------------------------

def seed_event(server: KioskServer, slug: str, attendees: int = 20) -> dict:
    """An event with the demo questions and consent texts, staff Alice (PIN 1234) and Bruno (5678), a roster."""
    from leadcapture.demo import DEMO_SETTINGS
    from leadcapture.event_settings import load_settings
    from leadcapture.models import Attendee, Event, Role, User

    with server.session() as session:
        event = Event(slug=slug, name=f"Salon {slug}", starts_on=date(2026, 3, 14), ends_on=date(2026, 3, 16),
                      timezone="Europe/Paris", currency="EUR", settings=load_settings(DEMO_SETTINGS))
        session.add(event)
        session.flush()
        staff = {}
        for name, pin in (("Alice", "1234"), ("Bruno", "5678")):
            user = User(email=f"{name.lower()}.{slug}@example.test", name=name, role=Role.STAFF.value,
                        pin_hash=generate_password_hash(pin, method="pbkdf2:sha256:1000"))
            user.events = [event]
            session.add(user)
            staff[name] = user
        for n in range(1, attendees + 1):
            session.add(Attendee(event_id=event.id, registration_id=f"R{n:04d}", email=f"visitor{n}@{slug}.example",
                                 first_name=f"Visitor{n}", last_name="Roster", company="Roster SA"))
        session.commit()
        return {"slug": slug, "event_id": event.id, "alice": staff["Alice"].id, "bruno": staff["Bruno"].id}


def pairing_code(server: KioskServer, slug: str, name: str = "Tablet") -> str:
    from sqlalchemy import select

    from leadcapture.actors import Actor
    from leadcapture.models import Event
    from leadcapture.pairing import new_code

    with server.session() as session:
        event = session.scalar(select(Event).where(Event.slug == slug))
        _row, code = new_code(session, event, name, Actor.cli())
        session.commit()
    return code


def open_paired_kiosk(page, server: KioskServer, slug: str, staff: str = "Alice", pin: str = "1234") -> None:
    """Pair the page's browser to `slug` with a fresh code, sign `staff` in, wait for the scan screen."""
    page.goto(f"/kiosk#pair={pairing_code(server, slug)}")
    sign_in(page, staff, pin)
    wait_for_worker(page)


def sign_in(page, staff: str, pin: str) -> None:
    page.get_by_test_id("screen-staff").get_by_role("button", name=staff).click()
    for digit in pin:
        page.locator(f'.pinpad button[data-key="{digit}"]').click()
    page.get_by_test_id("pin-submit").click()
    page.get_by_test_id("screen-scan").wait_for(state="visible")


def wait_for_worker(page) -> None:
    """Until the service worker controls the page, a reload offline would fail."""
    page.wait_for_function("navigator.serviceWorker.ready.then(r => !!r.active)")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()
        page.wait_for_function("!!navigator.serviceWorker.controller")
        page.get_by_test_id("screen-scan").wait_for(state="visible")


def wedge_scan(page, payload: str) -> None:
    """What a keyboard-wedge scanner does: fast keystrokes, Enter after each line and at the end."""
    page.keyboard.type(payload.replace("\r\n", "\n") + "\n")


def waiting(page) -> int:
    return int(page.get_by_test_id("outbox-count").inner_text())
