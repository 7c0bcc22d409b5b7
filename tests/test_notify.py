"""Rep notifications: sent after commit from the queue, through a real SMTP server on 127.0.0.1
(aiosmtpd) and a real HTTP webhook; never lost, never doubled, retried with backoff."""
from __future__ import annotations

import email
import json
import socket
import threading
from datetime import timedelta
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from helpers import at, new_client_id
from leadcapture.actors import Actor
from leadcapture.capture import Scan, ingest_many
from leadcapture.db import utcnow
from leadcapture.models import Notification, Role
from leadcapture.notify.sender import Channels, run_once
from leadcapture.notify.smtp import SmtpSettings
from leadcapture.notify.webhook import WebhookSettings, signature
from leadcapture.rule_templates import bant_rules
from leadcapture.rules import apply_rules

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller", reason="pip install aiosmtpd (test extra)")
HOT = {"timeline": "lt3m", "budget": "yes", "role": "decider", "interest": ["kiosk"]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler keeping what it accepted; `refuse` answers RCPT with a permanent 550."""

    def __init__(self, refuse: bool = False):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    """start(handler) -> a real SMTP server on 127.0.0.1; `port` is known before it starts."""
    port = free_port()
    controllers = []

    class Server:
        def __init__(self):
            self.port = port

        def start(self, handler: Mailbox) -> Mailbox:
            controller = aiosmtpd_controller.Controller(handler, hostname="127.0.0.1", port=port)
            controller.start()
            controllers.append(controller)
            return handler

    yield Server()
    for controller in controllers:
        controller.stop()


@pytest.fixture
def assigned(session, make_event, make_user):
    """Three A leads of the demo rules, assigned to Rémi, Rose, Rémi; six notifications queued."""
    event = make_event()
    rep, rose = make_user("Rémi", Role.REP, events=[event]), make_user("Rose", Role.REP, events=[event])
    rose.locale = "en"
    marc, alice = make_user("Marc", Role.MARKETING, events=[event]), make_user("Alice", events=[event])
    apply_rules(session, event, bant_rules([rep.email, rose.email], marc.email), Actor.cli())
    scans = [Scan(new_client_id(), at(10 + n), rating="hot", answers=HOT, notes=f"wants a demo #{n}",
                  contact={"first_name": name, "last_name": "Durand", "company": f"Société {name}", "country": "FR",
                           "email": f"{name.lower()}@societe.fr", "job_title": "Directrice achats"})
             for n, name in enumerate(("Anne", "Bea", "Cora"))]
    leads = [r.lead for r in ingest_many(session, event, scans, Actor.for_user(alice))]
    session.commit()
    return {"event": event, "leads": leads, "rep": rep, "rose": rose}


def channels(smtp_port: int | None = None, webhook: WebhookSettings | None = None) -> Channels:
    smtp = SmtpSettings(host="127.0.0.1", port=smtp_port, tls="none") if smtp_port else None
    return Channels(smtp=smtp, webhook=webhook, server_url="https://leads.example.test")


def statuses(session) -> dict:
    session.expire_all()
    found = {(n.lead_id, n.channel): n.status for n in session.scalars(select(Notification))}
    session.commit()
    return found


def test_smtp_down_then_up_delivers_every_email_once(app, session, assigned, smtp_server):
    sessions = app.extensions["leadcapture.sessions"]
    session.commit()
    t0 = utcnow()
    down = run_once(sessions, channels(smtp_server.port), now=lambda: t0)
    assert down == {"retry": 3, "skipped": 3}  # e-mails wait; no webhook configured
    row = session.scalars(select(Notification).where(Notification.channel == "email")).first()
    assert row.attempts == 1 and row.next_attempt_at == t0 + timedelta(seconds=30)
    assert "unreachable" in row.last_error
    session.commit()  # SQLite: let the sender write

    mailbox = smtp_server.start(Mailbox())
    assert run_once(sessions, channels(smtp_server.port), now=lambda: t0 + timedelta(seconds=5)) == {}  # backing off
    up = run_once(sessions, channels(smtp_server.port), now=lambda: t0 + timedelta(seconds=31))
    assert up == {"sent": 3}
    assert run_once(sessions, channels(smtp_server.port), now=lambda: t0 + timedelta(hours=2)) == {}
    assert sorted(m["To"] for m in mailbox.messages) == sorted([assigned["rep"].email, assigned["rose"].email,
                                                                assigned["rep"].email])
    assert len({m["Message-ID"] for m in mailbox.messages}) == 3
    assert set(statuses(session).values()) == {"sent", "skipped"}


def test_the_email_tells_the_rep_everything(app, session, assigned, smtp_server):
    mailbox = smtp_server.start(Mailbox())
    run_once(app.extensions["leadcapture.sessions"], channels(smtp_server.port))
    by_to = {}
    for message in mailbox.messages:
        by_to.setdefault(message["To"], []).append(message)
    french = by_to[assigned["rep"].email][0]
    body = french.get_content()
    lead = assigned["leads"][0]
    assert french["Subject"] == "Nouveau lead pour vous : Anne Durand (Société Anne), note A"
    for expected in ("Anne Durand, Directrice achats, Société Anne", "anne@societe.fr",
                     "Note A (score 100/100), car :", "+30  Échéance du projet : < 3 mois",
                     "Échéance du projet : < 3 mois", "Produits d'intérêt : Borne", "wants a demo #0",
                     "Rencontré par :", "Alice, 14/03/2026 11:00",
                     f"Ouvrir le lead : https://leads.example.test/leads/{lead.id}"):
        assert expected in body, body
    english = by_to[assigned["rose"].email][0]
    assert english["Subject"] == "New lead for you: Bea Durand (Société Bea), grade A"
    assert "Met by:" in english.get_content() and "Please contact them before" in english.get_content()


def test_refused_recipient_is_failed_not_retried(app, session, assigned, smtp_server):
    smtp_server.start(Mailbox(refuse=True))
    stats = run_once(app.extensions["leadcapture.sessions"], channels(smtp_server.port))
    assert stats == {"failed": 3, "skipped": 3}
    row = session.scalars(select(Notification).where(Notification.channel == "email")).first()
    assert row.status == "failed" and "550" in row.last_error


def test_two_senders_at_once_send_each_email_once(app, session, assigned, smtp_server):
    mailbox = smtp_server.start(Mailbox())
    sessions = app.extensions["leadcapture.sessions"]
    barrier = threading.Barrier(2)
    results = []

    def sender():
        barrier.wait()
        results.append(run_once(sessions, channels(smtp_server.port), limit=1))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r["sent"] for r in results) == 3
    assert len(mailbox.messages) == 3


class Hook(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append((dict(self.headers), body))
        self.send_response(Hook.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook_server():
    Hook.received, Hook.status = [], 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_signed_slack_compatible_webhook(app, session, assigned, webhook_server):
    hook = WebhookSettings(url=webhook_server, secret="s3cret")
    Hook.status = 503
    sessions = app.extensions["leadcapture.sessions"]
    t0 = utcnow()
    assert run_once(sessions, channels(webhook=hook), now=lambda: t0) == {"retry": 3}  # e-mails wait for SMTP
    Hook.status = 200
    assert run_once(sessions, channels(webhook=hook), now=lambda: t0 + timedelta(minutes=1))["sent"] == 3
    headers, body = Hook.received[-1]
    assert headers["X-Leadcapture-Signature"] == signature("s3cret", headers["X-Leadcapture-Timestamp"], body)
    payload = json.loads(body)
    assert payload["text"].startswith("New lead for ") and "grade A" in payload["text"]
    assert payload["blocks"][0]["type"] == "section" and payload["lead"]["grade"] == "A"
    assert len({h["X-Leadcapture-Delivery"] for h, _b in Hook.received[-3:]}) == 3


def test_cli_notify_run_once_then_status(runner, session, assigned, smtp_server, monkeypatch):
    from leadcapture.cli import cli

    mailbox = smtp_server.start(Mailbox())
    monkeypatch.setenv("LEADCAPTURE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("LEADCAPTURE_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("LEADCAPTURE_SMTP_TLS", "none")
    session.commit()
    result = runner.invoke(cli, ["notify", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "3 sent, 3 skipped" and len(mailbox.messages) == 3
    status = runner.invoke(cli, ["notify", "status"])
    assert "email    sent     3" in status.output and "webhook  skipped  3" in status.output
