"""capture.ingest: the one write path for scans."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from helpers import at, new_client_id
from leadcapture.actors import Actor
from leadcapture.capture import Scan, ScanRejected, ingest, ingest_many
from leadcapture.models import Attendee, AuditEntry, Consent, Device, Interaction, Lead

VCARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Dupont;Jeanne\r\nFN:Jeanne Dupont\r\nORG:Acme SA\r\nTITLE:Directrice\r\nEMAIL:Jeanne.Dupont@Acme.fr\r\nEND:VCARD\r\n"


@pytest.fixture
def bruno(make_user, event):
    return make_user("Bruno", events=[event])


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_vcard_scan_creates_lead_interaction_and_audit(session, event, alice):
    result = ingest(session, event, Scan(new_client_id(), at(9, 42), payload=VCARD, staff_id=alice.id), Actor.for_user(alice))
    session.commit()
    lead = result.lead
    assert result.created and result.new_lead
    assert (lead.first_name, lead.last_name, lead.company, lead.email) == ("Jeanne", "Dupont", "Acme SA", "jeanne.dupont@acme.fr")
    assert lead.dedup_key == "email:jeanne.dupont@acme.fr"
    assert result.interaction.badge_format == "vcard"
    assert result.interaction.raw_payload == VCARD
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "scan.ingest")).one()
    assert audit.entity_id == result.interaction.id and audit.actor_label == "Alice"


def test_same_client_id_again_changes_nothing(session, event, alice):
    scan = Scan(new_client_id(), at(10), payload=VCARD, staff_id=alice.id, notes="first", answers={"timeline": "lt3m"})
    first = ingest(session, event, scan, Actor.for_user(alice))
    session.commit()
    again = Scan(scan.client_id, at(11), payload=VCARD, staff_id=alice.id, notes="changed", answers={"timeline": "later"})
    second = ingest(session, event, again, Actor.for_user(alice))
    session.commit()
    assert not second.created
    assert second.interaction.id == first.interaction.id
    assert second.lead.notes == "first" and second.lead.answers == {"timeline": "lt3m"}
    assert (count(session, Interaction), count(session, Lead), count(session, AuditEntry)) == (1, 1, 1)


def test_repeat_scan_by_other_staff_says_who_met_them(session, event, alice, bruno):
    ingest(session, event, Scan(new_client_id(), at(9, 42), payload=VCARD, staff_id=alice.id), Actor.for_user(alice))
    session.commit()
    second = ingest(session, event, Scan(new_client_id(), at(14, 5), payload=VCARD, staff_id=bruno.id), Actor.for_user(bruno))
    session.commit()
    assert second.created and not second.new_lead
    assert [m["by"] for m in second.met_before] == ["Alice"]
    assert second.met_before[0]["at"] == at(9, 42).isoformat()
    assert count(session, Lead) == 1 and count(session, Interaction) == 2
    assert second.lead.first_met_at == at(9, 42) and second.lead.last_met_at == at(14, 5)


@pytest.mark.parametrize("first, second", [
    ({"payload": VCARD}, {"contact": {"email": "JEANNE.dupont@acme.fr"}}),
    ({"contact": {"first_name": "Jean", "last_name": "Müller", "company": "Acme", "registration_id": "R-1"}},
     {"payload": "R-1"}),
    ({"contact": {"first_name": "Élodie", "last_name": "Martin", "company": "Acme SA"}},
     {"contact": {"first_name": "elodie", "last_name": "MARTIN ", "company": "acme sa"}}),
])
def test_dedup_by_email_then_registration_id_then_name_and_company(session, event, alice, first, second):
    actor = Actor.for_user(alice)
    ingest(session, event, Scan(new_client_id(), at(9), **first), actor)
    ingest(session, event, Scan(new_client_id(), at(10), **second), actor)
    session.commit()
    assert count(session, Lead) == 1 and count(session, Interaction) == 2


def test_same_name_different_emails_are_two_people(session, event, alice):
    actor = Actor.for_user(alice)
    base = {"first_name": "Marie", "last_name": "Curie", "company": "Institut"}
    ingest(session, event, Scan(new_client_id(), at(9), contact={**base, "email": "marie@a.fr"}), actor)
    ingest(session, event, Scan(new_client_id(), at(10), contact={**base, "email": "marie@b.fr"}), actor)
    session.commit()
    assert count(session, Lead) == 2


def test_leads_are_per_event(session, make_event, event, alice):
    other = make_event("autre-salon")
    alice.events.append(other)
    session.commit()
    ingest(session, event, Scan(new_client_id(), at(9), payload=VCARD), Actor.for_user(alice))
    ingest(session, other, Scan(new_client_id(), at(9), payload=VCARD), Actor.for_user(alice))
    session.commit()
    assert sorted(session.scalars(select(Lead.event_id))) == sorted([event.id, other.id])


def test_id_badge_resolved_from_roster(session, event, alice):
    session.add(Attendee(event_id=event.id, registration_id="SD00042", email="paul@example.com",
                         first_name="Paul", last_name="Verlaine", company="Poètes SARL"))
    session.commit()
    result = ingest(session, event, Scan(new_client_id(), at(9), payload="SD00042"), Actor.for_user(alice))
    assert (result.lead.first_name, result.lead.email, result.lead.incomplete) == ("Paul", "paul@example.com", False)
    assert result.lead.attendee_id is not None


def test_unknown_id_badge_is_kept_but_incomplete(session, event, alice):
    result = ingest(session, event, Scan(new_client_id(), at(9), payload="SD99999"), Actor.for_user(alice))
    session.commit()
    assert result.lead.incomplete and result.lead.registration_id == "SD99999"
    assert any("roster" in w for w in result.interaction.warnings)


def test_consent_recorded_with_text_version_and_staff(session, event, alice):
    consent = {"granted": True, "purposes": ["marketing"], "language": "fr", "text_version": "2026-01"}
    result = ingest(session, event, Scan(new_client_id(), at(9), payload=VCARD, staff_id=alice.id, consent=consent),
                    Actor.for_user(alice))
    session.commit()
    row = session.scalars(select(Consent)).one()
    assert (row.lead_id, row.granted, row.language, row.text_version, row.purposes) == (
        result.lead.id, True, "fr", "2026-01", ["marketing"])
    assert row.captured_by_user_id == alice.id and row.captured_at == at(9)
    assert row.interaction_id == result.interaction.id and row.withdrawn_at is None


@pytest.mark.parametrize("scan_fields, field, fragment", [
    ({"payload": "BEGIN:VCARD\nVERSION:3.0\nORG:Nobody\nEND:VCARD"}, "payload", "no name"),
    ({"payload": "x" * 5000}, "payload", "4096"),
    ({"payload": "abc\x07def"}, "payload", "control character"),
    ({"payload": VCARD, "answers": {"colour": "red"}}, "answers", "unknown question 'colour'"),
    ({"payload": VCARD, "answers": {"timeline": "tomorrow"}}, "answers", "'tomorrow' is not one of"),
    ({"payload": VCARD, "consent": {"granted": True, "purposes": ["marketing"], "language": "en", "text_version": "1999"}},
     "consent", "not one of this event's texts"),
    ({"contact": {"email": "not-an-email"}}, "contact", "not a valid e-mail"),
])
def test_bad_scans_are_rejected_with_reason_and_leave_nothing(session, event, alice, scan_fields, field, fragment):
    with pytest.raises(ScanRejected) as caught:
        ingest(session, event, Scan(new_client_id(), at(9), **scan_fields), Actor.for_user(alice))
    assert fragment in str(caught.value.errors[field])
    session.commit()
    assert (count(session, Lead), count(session, Interaction), count(session, AuditEntry)) == (0, 0, 0)


def test_staff_must_work_the_event(session, event, make_user, alice):
    stranger = make_user("Stranger")
    with pytest.raises(ScanRejected) as caught:
        ingest(session, event, Scan(new_client_id(), at(9), payload=VCARD, staff_id=stranger.id), Actor.for_user(alice))
    assert "does not work this event" in caught.value.errors["staff"][0]


def test_batch_keeps_good_scans_when_one_is_bad(session, event, alice):
    scans = [Scan(new_client_id(), at(9), payload=VCARD), Scan(new_client_id(), at(9), payload="\x00"),
             Scan(new_client_id(), at(9), contact={"first_name": "Ana", "last_name": "Lima"})]
    results = ingest_many(session, event, scans, Actor.for_user(alice))
    session.commit()
    assert [type(r).__name__ for r in results] == ["IngestResult", "ScanRejected", "IngestResult"]
    assert count(session, Lead) == 2


def test_batch_with_same_person_twice_makes_one_lead(session, event, alice):
    scans = [Scan(new_client_id(), at(9), payload=VCARD), Scan(new_client_id(), at(10), payload=VCARD)]
    results = ingest_many(session, event, scans, Actor.for_user(alice))
    session.commit()
    assert results[0].lead is results[1].lead
    assert [m["by"] for m in results[1].met_before] == ["Alice"]
    assert count(session, Lead) == 1 and count(session, Interaction) == 2


def test_client_id_of_another_event_is_refused(session, make_event, event, alice):
    other = make_event("autre")
    scan = Scan(new_client_id(), at(9), payload=VCARD)
    ingest(session, event, scan, Actor.for_user(alice))
    session.commit()
    alice.events.append(other)
    with pytest.raises(ScanRejected) as caught:
        ingest(session, other, Scan(scan.client_id, at(9), payload=VCARD), Actor.for_user(alice))
    assert "another event" in caught.value.errors["client_id"][0]


def test_device_scan_records_device(session, event, device_token, alice):
    device_token(event, "Tablette A")
    device = session.scalars(select(Device)).one()
    result = ingest(session, event, Scan(new_client_id(), at(9), payload=VCARD, staff_id=alice.id), Actor.for_device(device))
    session.commit()
    assert result.interaction.device_id == device.id and result.interaction.staff_user_id == alice.id
