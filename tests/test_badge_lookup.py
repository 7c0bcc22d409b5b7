"""Badges that only point at a person, resolved by capture.ingest against the event's attendee roster."""
from __future__ import annotations

import pytest

from helpers import at, new_client_id
from leadcapture.actors import Actor
from leadcapture.capture import Scan, ingest
from leadcapture.demo import DEMO_SETTINGS
from leadcapture.event_settings import load_settings
from leadcapture.models import Attendee

ALL_FORMATS = load_settings({**DEMO_SETTINGS, "badge": {
    "formats": ["vcard", "mecard", "json", "url", "email", "id"],
    "delimited": {"preset": "ref-last-first-semicolon"},
}})


@pytest.fixture
def event(make_event, session):
    event = make_event(settings=ALL_FORMATS)
    session.add(Attendee(event_id=event.id, registration_id="SD00042", email="paul.verlaine@poetes.example",
                         first_name="Paul", last_name="Verlaine", company="Poètes SARL", country="FR"))
    session.commit()
    return event


@pytest.fixture
def alice(make_user, event):
    return make_user("Alice", events=[event])


def scan(session, event, alice, payload: str):
    result = ingest(session, event, Scan(new_client_id(), at(9), payload=payload), Actor.for_user(alice))
    session.commit()
    return result


@pytest.mark.parametrize("payload", [
    "https://tickets.example/checkin?id=SD00042",
    '{"ticket": "SD00042"}',
    "Paul.Verlaine@Poetes.example",
    "SD00042;;;;;;;;",
])
def test_a_badge_pointing_at_a_registered_visitor_is_completed_from_the_roster(session, event, alice, payload):
    result = scan(session, event, alice, payload)
    lead = result.lead
    assert (lead.first_name, lead.last_name, lead.company) == ("Paul", "Verlaine", "Poètes SARL")
    assert (lead.registration_id, lead.incomplete) == ("SD00042", False)
    assert lead.attendee_id is not None and result.interaction.warnings == []


@pytest.mark.parametrize("payload", ["https://tickets.example/t/SD77777", "inconnu@example.fr"])
def test_a_visitor_the_roster_does_not_know_is_stored_incomplete(session, event, alice, payload):
    result = scan(session, event, alice, payload)
    assert result.lead.incomplete and result.lead.attendee_id is None
    assert any("not found in the event's attendee roster" in w for w in result.interaction.warnings)


def test_the_events_country_normalises_badge_phones(session, event, alice):
    result = scan(session, event, alice, "MECARD:N:Curie,Marie;TEL:01 02 03 04 05;EMAIL:marie@example.fr;;")
    assert result.lead.phone == "+33102030405"


def test_a_later_roster_import_completes_the_lead(session, event, alice):
    from leadcapture.attendees import import_roster, read_roster  # the roster import owns completion

    lead = scan(session, event, alice, '{"badge": {"ticket": "SD77777"}}').lead
    roster = read_roster("Registration id,First name,Last name,Company\nSD77777,Léa,Moreau,Atelier Lumière\n"
                         .encode())
    import_roster(session, event, roster, Actor.cli())
    session.commit()
    session.refresh(lead)
    assert (lead.first_name, lead.last_name, lead.incomplete) == ("Léa", "Moreau", False)
