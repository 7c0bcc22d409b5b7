"""The `leadcapture` command: roster import, exports, badge parsing, devices, users, events, demo."""
from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from helpers import at, bearer, new_client_id
from leadcapture.actors import Actor
from leadcapture.capture import Scan, ingest
from leadcapture.cli import cli
from leadcapture.models import Attendee, AuditEntry, Lead, Role

VCARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Dupont;Jeanne\r\nORG:Acme SA\r\nEMAIL:jeanne.dupont@acme.fr\r\nEND:VCARD\r\n"

FRENCH_ROSTER = """\
N° d'inscription;Prénom;Nom;Société;E-mail;Fonction;Téléphone;Pays;Régime alimentaire
R-001;Jeanne;Dupont;Acme SA;Jeanne.Dupont@Acme.fr;Directrice;+33 6 12 34 56 78;France;végétarien
R-002;Luc;Martin;Beta SARL;pas-un-email;Acheteur;;FR;
R-003;Ana;García;Gamma SL;ana@gamma.es;CEO;;Espagne;
R-004;Bob;Smith;;bob@example.com;;;Atlantis;
;;;Sans Nom SA;;;;;
R-005;Marc;Bernard;Delta;marc@delta.be;;;be;
"""


@pytest.fixture
def event(make_event):
    return make_event()


@pytest.fixture
def run(runner, session):
    """run(*args, input=None) -> click Result; the test's session lets go of the database meanwhile.

    The runner gives our `leadcapture` group the test app (its own `app.cli` lacks our commands).
    SQLite takes its write lock when a transaction begins, so the test's open
    transaction would block the command's writes; and afterwards the test must
    read what the command wrote, not its own stale copies.
    """

    def _run(*args, input=None):
        session.commit()
        result = runner.invoke(cli, [str(a) for a in args], input=input)
        session.expire_all()
        return result

    return _run


def write(tmp_path, text: str, encoding: str = "utf-8-sig", name: str = "roster.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def attendee(session, registration_id: str) -> Attendee:
    return session.scalars(select(Attendee).where(Attendee.registration_id == registration_id)).one()


# --- import-attendees -----------------------------------------------------------------------------

def test_import_french_roster_reports_bad_lines_and_imports_good_ones(run, session, event, tmp_path):
    result = run("import-attendees", event.slug, write(tmp_path, FRENCH_ROSTER))
    assert result.exit_code == 0, result.output
    assert "6 rows: 3 created, 0 updated, 3 rejected" in result.output
    assert "line 3: e-mail 'pas-un-email' is not valid" in result.output
    assert "line 5: country 'Atlantis' is not known" in result.output
    assert "line 6: no registration id, e-mail or name" in result.output
    jeanne = attendee(session, "R-001")
    assert (jeanne.first_name, jeanne.email, jeanne.job_title, jeanne.country) == (
        "Jeanne", "jeanne.dupont@acme.fr", "Directrice", "FR")
    assert jeanne.extra == {"Régime alimentaire": "végétarien"}
    assert (attendee(session, "R-003").country, attendee(session, "R-005").country) == ("ES", "BE")
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "attendees.import")).one()
    assert (audit.details["created"], audit.details["rejected"]) == (3, 3)


def test_reimport_of_corrected_file_updates_instead_of_duplicating(run, session, event, tmp_path):
    run("import-attendees", event.slug, write(tmp_path, FRENCH_ROSTER))
    corrected = (FRENCH_ROSTER.replace("pas-un-email", "luc@beta.fr").replace("Directrice", "Présidente")
                 .replace("Atlantis", "USA"))
    result = run("import-attendees", event.slug, write(tmp_path, corrected, name="v2.csv"))
    assert result.exit_code == 0, result.output
    assert "6 rows: 2 created, 1 updated, 2 unchanged, 1 rejected" in result.output
    assert count(session, Attendee) == 5
    assert attendee(session, "R-001").job_title == "Présidente"
    assert (attendee(session, "R-002").email, attendee(session, "R-004").country) == ("luc@beta.fr", "US")


def test_import_completes_a_lead_scanned_with_an_id_only_badge(run, session, event, tmp_path):
    scanned = ingest(session, event, Scan(new_client_id(), at(9), payload="R-001"), Actor.cli()).lead
    assert scanned.incomplete and scanned.first_name is None
    result = run("import-attendees", event.slug, write(tmp_path, FRENCH_ROSTER))
    assert "; 1 incomplete lead completed" in result.output
    lead = session.get(Lead, scanned.id)
    assert (lead.first_name, lead.last_name, lead.email, lead.company) == (
        "Jeanne", "Dupont", "jeanne.dupont@acme.fr", "Acme SA")
    assert not lead.incomplete and lead.attendee_id == attendee(session, "R-001").id
    assert count(session, Lead) == 1
    assert session.scalars(select(AuditEntry.entity_id).where(AuditEntry.action == "lead.complete")).all() == [lead.id]


def test_import_same_person_twice_in_a_file_keeps_the_later_row(run, session, event, tmp_path):
    text = "Email,First name,Last name,Company\na@x.fr,Ann,Old,Acme\nb@x.fr,Bea,Bee,Beta\nA@X.fr,Ann,New,\n"
    result = run("import-attendees", event.slug, write(tmp_path, text))
    assert "3 rows: 2 created, 0 updated, 1 repeated in the file, 0 rejected" in result.output
    assert "line 4 repeats the person of line 2" in result.output
    ann = session.scalars(select(Attendee).where(Attendee.email == "a@x.fr")).one()
    assert (ann.last_name, ann.company) == ("New", "Acme")


def test_import_windows_1252_file(run, session, event, tmp_path):
    text = "Prénom,Nom,Société,Courriel,Ville\r\nÉlodie,Lefèvre,Société Générale,elodie@sg.fr,Besançon\r\n"
    result = run("import-attendees", event.slug, write(tmp_path, text, encoding="cp1252"))
    assert "1 row: 1 created" in result.output
    row = session.scalars(select(Attendee)).one()
    assert (row.first_name, row.last_name, row.company, row.city) == (
        "Élodie", "Lefèvre", "Société Générale", "Besançon")


def test_import_without_usable_header_says_which_headers_it_knows(run, session, event, tmp_path):
    result = run("import-attendees", event.slug, write(tmp_path, "Colonne A;Colonne B\n1;2\n"))
    assert result.exit_code != 0
    assert "'Colonne A', 'Colonne B'" in result.output
    assert "Prénom" in result.output and "E-mail" in result.output and "Registration id" in result.output
    assert count(session, Attendee) == 0


# --- export leads ----------------------------------------------------------------------------------

def scan(session, event, staff, when, **fields) -> None:
    ingest(session, event, Scan(new_client_id(), when, staff_id=staff.id, **fields), Actor.for_user(staff))


@pytest.fixture
def exported_event(session, event, make_user):
    """Two leads: Jeanne (met by Alice then Bruno, consented, answered) and Eve, met earlier, with =formula text."""
    alice, bruno = make_user("Alice", events=[event]), make_user("Bruno", events=[event])
    consent = {"granted": True, "purposes": ["marketing"], "language": "fr", "text_version": "2026-01"}
    scan(session, event, alice, at(9, 42).replace(microsecond=123456), payload=VCARD, consent=consent,
         answers={"interest": ["kiosk", "crm_sync"], "timeline": "lt3m"}, rating="hot")
    scan(session, event, bruno, at(15), payload=VCARD, notes="call back")
    scan(session, event, alice, at(8), contact={"first_name": "Eve", "last_name": "Hacker",
                                                "company": '=HYPERLINK("http://evil")', "phone": "+33 1 23"})
    event.campaign_name, event.utm_source = "Salon 2026", "salon"
    jeanne = session.scalars(select(Lead).where(Lead.last_name == "Dupont")).one()
    jeanne.score, jeanne.grade, jeanne.owner_id = 72, "B", make_user("Rémi", role=Role.REP, events=[event]).id
    session.commit()
    return event


def test_export_csv_has_one_row_per_lead_in_first_met_order(run, exported_event):
    result = run("export", "leads", exported_event.slug, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout.removeprefix("\ufeff"))))
    assert [r["Last name"] for r in rows] == ["Hacker", "Dupont"]
    eve, jeanne = rows
    assert eve["Company"] == "'=HYPERLINK(\"http://evil\")" and eve["Phone"] == "'+33 1 23"
    assert eve["Consent"] == "none" and eve["Products of interest"] == ""
    assert jeanne["E-mail"] == "jeanne.dupont@acme.fr" and jeanne["Rating"] == "hot"
    assert (jeanne["Products of interest"], jeanne["Project timeline"]) == ("Kiosk; CRM sync", "< 3 months")
    assert (jeanne["First met"], jeanne["Last met"]) == ("2026-03-14T10:42:00+01:00", "2026-03-14T16:00:00+01:00")
    assert (jeanne["Met by"], jeanne["Notes"]) == ("Alice, Bruno", "call back")
    assert (jeanne["Consent"], jeanne["Consent text"]) == ("granted", "fr/2026-01")
    assert (jeanne["Event"], jeanne["Campaign"], jeanne["UTM source"]) == ("salon-test", "Salon 2026", "salon")
    assert (jeanne["Score"], jeanne["Grade"], jeanne["Owner"]) == ("72", "B", "Rémi")
    assert (eve["Score"], eve["Grade"], eve["Owner"]) == ("", "", "")


def test_export_xlsx_to_a_file(run, exported_event, tmp_path):
    path = tmp_path / "leads.xlsx"
    result = run("export", "leads", exported_event.slug, "--format", "xlsx", "-o", path)
    assert result.exit_code == 0, result.output
    sheet = load_workbook(path).active
    header, eve, jeanne = sheet.iter_rows(min_row=1, max_row=3)
    col = {cell.value: i for i, cell in enumerate(header)}
    assert eve[col["Company"]].value == '=HYPERLINK("http://evil")' and eve[col["Company"]].data_type == "s"
    assert isinstance(jeanne[col["Lead ID"]].value, int)
    assert jeanne[col["Products of interest"]].value == "Kiosk; CRM sync"
    assert jeanne[col["First met"]].value.isoformat() == "2026-03-14T10:42:00"  # Paris wall-clock time


# --- parse-badge -----------------------------------------------------------------------------------

def test_parse_badge_prints_the_contact_as_json(run):
    result = run("parse-badge", input=VCARD)
    assert result.exit_code == 0, result.output
    parsed = json.loads(result.stdout)
    assert parsed["format"] == "vcard"
    assert parsed["contact"] == {"first_name": "Jeanne", "last_name": "Dupont", "company": "Acme SA",
                                 "email": "jeanne.dupont@acme.fr"}


def test_parse_badge_refuses_garbage_with_exit_2(run):
    result = run("parse-badge", input="?? not a badge !!\n")
    assert result.exit_code == 2
    assert "badge not recognised (tried vCard, MECARD, e-mail, registration id)" in result.stderr
    assert result.stdout == ""


# --- devices, users, events ------------------------------------------------------------------------

def leads_status(client, slug: str, token: str) -> int:
    """Status of an API read with this token. Takes the slug: reading event.slug could reopen the
    test's SQLite transaction and block the request."""
    return client.get(f"/api/v1/events/{slug}/leads", headers=bearer(token)).status_code


def test_device_token_works_until_the_device_is_revoked(run, client, event):
    result = run("devices", "add", "salon-test", "Tablette B", "--json")
    assert result.exit_code == 0, result.output
    device = json.loads(result.stdout)
    assert (device["event"], device["name"]) == ("salon-test", "Tablette B")
    assert leads_status(client, "salon-test", device["token"]) == 200
    assert run("devices", "revoke", device["id"]).exit_code == 0
    assert leads_status(client, "salon-test", device["token"]) == 401


def test_users_add_checks_the_pin(run, session):
    result = run("users", "add", "bob@example.com", "--name", "Bob", "--role", "staff", "--pin", "12")
    assert result.exit_code == 2 and "a PIN is 4 to 6 digits" in result.output
    assert run("users", "add", "bob@example.com", "--name", "Bob", "--role", "staff", "--pin", "1234").exit_code == 0
    again = run("users", "add", "BOB@example.com", "--name", "Bob", "--role", "staff")
    assert again.exit_code == 1 and "already exists" in again.output


def test_users_token_authenticates_against_the_api(run, client, event):
    assert run("users", "add", "Ada@Example.com", "--name", "Ada", "--role", "admin").exit_code == 0
    result = run("users", "token", "ada@example.com", "--days", "1")
    assert result.exit_code == 0, result.output
    assert leads_status(client, "salon-test", result.stdout.strip()) == 200
    assert run("users", "token", "nobody@example.com").exit_code == 1


def test_events_add_and_list(run):
    bad = run("events", "add", "salon-x", "--name", "X", "--starts", "2026-05-01", "--timezone", "Mars/Olympus")
    assert bad.exit_code == 2 and "unknown time zone 'Mars/Olympus'" in bad.output
    backwards = run("events", "add", "salon-x", "--name", "X", "--starts", "2026-05-02", "--ends", "2026-05-01")
    assert backwards.exit_code == 2 and "cannot end before it starts" in backwards.output
    assert "no events yet" in run("events", "list").output
    ok = run("events", "add", "salon-x", "--name", "Salon X", "--starts", "2026-05-01", "--country", "fr")
    assert ok.exit_code == 0, ok.output
    assert run("events", "list").output.split() == ["salon-x", "2026-05-01", "Salon", "X"]
    assert run("events", "add", "salon-x", "--name", "Again", "--starts", "2026-05-01").exit_code == 1


# --- demo ------------------------------------------------------------------------------------------

def test_demo_loads_once(run, session):
    first = run("demo")
    assert first.exit_code == 0, first.output
    assert "loaded with 200 attendees" in first.output
    assert count(session, Attendee) == 200
    second = run("demo")
    assert second.exit_code == 0 and "demo data already loaded" in second.output
    assert count(session, Attendee) == 200
