"""`leadcapture connectors ...`, `leadcapture sync ...` and `users crm-id`; and secrets encrypted at rest."""
from __future__ import annotations

import json
import stat
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from crm_servers.hubspot import HubSpotServer
from leadcapture.cli import cli
from leadcapture.models import CrmConnector, User
from sync.base import PushResult
from sync.configs import build
from sync.crypto import SecretsUnreadable, decrypt_secrets, encrypt_secrets
from sync.outbox import claim, record_results
from sync_support import connector, ingest_all, scans

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
TOKEN = "pat-cli-secret-token"


@pytest.fixture
def hubspot():
    server = HubSpotServer(token=TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def run(runner, session):
    def _run(*args, input=None):
        session.commit()  # SQLite: the command needs the write lock
        result = runner.invoke(cli, [str(a) for a in args], input=input)
        session.expire_all()
        return result

    return _run


@SQLITE_ONLY
def test_add_check_list_run_and_status(run, session, make_event, hubspot, monkeypatch):
    monkeypatch.setenv("LEADCAPTURE_SYNC_BACKOFF_BASE", "0.01")
    event = make_event()
    added = run("connectors", "add", "hubspot", "--event", event.slug, "--set", f"base_url={hubspot.url}",
                "--set", "account_id=4242", "--set", "timeout=0.5", input=f"{TOKEN}\n")
    assert added.exit_code == 0, added.output
    assert "connector hubspot-salon-test (hubspot) added for salon-test" in added.output
    listed = run("connectors", "list")
    assert "token: set" in listed.output and f"base_url: {hubspot.url}" in listed.output
    assert run("connectors", "check", "hubspot-salon-test").output.startswith("ok: HubSpot accepted the token")

    ingest_all(session, event, scans(3))
    status = run("sync", "status")
    assert "hubspot-salon-test       hubspot           3        0      0         0  draining [......" in status.output
    pushed = run("sync", "run", "--once", "--connector", "hubspot-salon-test")
    assert pushed.exit_code == 0 and pushed.output.strip() == "3 done"
    assert len(hubspot.contacts) == 3
    assert "nothing was due" in run("sync", "run", "--once").output
    for result in (added, listed, status, pushed):
        assert TOKEN not in result.output


@SQLITE_ONLY
def test_status_shows_a_bar_while_draining_and_why_a_connector_waits(run, session, make_event, tmp_path):
    event = make_event()
    run("connectors", "add", "filedrop", "--event", event.slug, "--set", f"folder={tmp_path}")
    ingest_all(session, event, scans(4))
    row = session.scalars(select(CrmConnector)).one()
    token, claims = claim(session, row.id, 2, timedelta(minutes=5))
    record_results(session, token, [(c, PushResult.done()) for c in claims], lambda *a: None)
    session.commit()
    assert "draining [##########..........] 50%" in run("sync", "status").output


@SQLITE_ONLY
def test_bad_settings_are_refused_with_the_reason(run, make_event):
    make_event()
    result = run("connectors", "add", "webhook", "--event", "salon-test", "--set", "base_url=ftp://x",
                 "--set", "colour=blue", input="s3cret\n")
    assert result.exit_code == 1
    assert "base_url: a URL starting with https://" in result.output and "colour: not a setting" in result.output
    assert "s3cret" not in result.output


@SQLITE_ONLY
def test_crm_ids_of_a_rep(run, session, make_user):
    rep = make_user("Rémi")
    result = run("users", "crm-id", rep.email, "--hubspot", "101", "--salesforce", "005000000000001AAA")
    assert result.exit_code == 0, result.output
    assert session.get(User, rep.id).crm_ids == {"hubspot": "101", "salesforce": "005000000000001AAA"}
    run("users", "crm-id", rep.email, "--hubspot", "")
    assert session.get(User, rep.id).crm_ids == {"salesforce": "005000000000001AAA"}


@SQLITE_ONLY
def test_outcomes_are_printed_as_json_lines(run, session, make_event, hubspot):
    event = make_event()
    run("connectors", "add", "hubspot", "--event", event.slug, "--set", f"base_url={hubspot.url}",
        "--set", "account_id=1", "--set", "timeout=0.5", input=f"{TOKEN}\n")
    ingest_all(session, event, scans(1))
    run("sync", "run", "--once")
    hubspot.add_deal({"dealname": "Deal", "amount": "10"}, [hubspot.contact("visitor0@example.com")["id"]])
    result = run("sync", "outcomes", "hubspot-salon-test", "--since", "2020-01-01")
    assert result.exit_code == 0, result.output
    line = json.loads(result.output)
    assert (line["name"], line["amount"], len(line["lead_ids"])) == ("Deal", "10", 1)


def test_secrets_are_encrypted_with_a_key_made_once_in_the_instance_folder(session, make_event, tmp_path,
                                                                           monkeypatch):
    monkeypatch.delenv("LEADCAPTURE_FERNET_KEY", raising=False)
    row = connector(session, "webhook", None, base_url="https://example.com/hook", secret="whsec-123")
    key_file = tmp_path / "instance" / "fernet.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    stored = session.execute(text("SELECT secrets, config FROM crm_connectors")).one()
    assert "whsec-123" not in stored.secrets and "whsec-123" not in str(stored.config)
    assert build(session.get(CrmConnector, row.id)).secrets == {"secret": "whsec-123"}
    assert key_file.read_text() == (tmp_path / "instance" / "fernet.key").read_text()  # made once
    assert "whsec" not in repr(build(row))


def test_a_key_from_the_environment_can_be_rotated(monkeypatch):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("LEADCAPTURE_FERNET_KEY", old)
    token = encrypt_secrets({"token": "t"})
    monkeypatch.setenv("LEADCAPTURE_FERNET_KEY", f"{new},{old}")
    assert decrypt_secrets(token) == {"token": "t"}  # old secrets still read; new ones use the new key
    monkeypatch.setenv("LEADCAPTURE_FERNET_KEY", new)
    with pytest.raises(SecretsUnreadable, match="enter them again"):
        decrypt_secrets(token)


@SQLITE_ONLY
def test_set_changes_settings_and_keeps_secrets_not_given(run, session, make_event):
    make_event()
    run("connectors", "add", "webhook", "--event", "salon-test", "--set", "base_url=https://a.example/hook",
        input="first-secret\n")
    assert run("connectors", "set", "webhook-salon-test", "--set", "timeout=3").exit_code == 0
    row = session.scalars(select(CrmConnector)).one()
    assert row.config == {"base_url": "https://a.example/hook", "timeout": 3.0}
    assert build(row).secrets == {"secret": "first-secret"}
    run("connectors", "set", "webhook-salon-test", "--set", "secret=second-secret")
    assert build(session.scalars(select(CrmConnector)).one()).secrets == {"secret": "second-secret"}
    refused = run("connectors", "set", "webhook-salon-test", "--set", "timeout=-1")
    assert refused.exit_code == 1 and "timeout: a positive number" in refused.output
