"""Tables and the rules the database itself enforces."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from helpers import at
from leadcapture.event_settings import load_settings
from leadcapture.models import Event, Interaction, Lead


def test_times_come_back_aware_utc(session, make_event):
    event = make_event()
    paris = datetime(2026, 3, 14, 10, 42, tzinfo=ZoneInfo("Europe/Paris"))
    lead = Lead(event_id=event.id, dedup_key="email:a@b.c", first_met_at=paris, last_met_at=paris)
    session.add(lead)
    session.commit()
    session.expire_all()
    stored = session.get(Lead, lead.id)
    assert stored.first_met_at == paris and stored.first_met_at.tzinfo == timezone.utc


def test_naive_datetimes_are_refused(session, make_event):
    event = make_event()
    session.add(Lead(event_id=event.id, dedup_key="k", first_met_at=datetime(2026, 1, 1), last_met_at=at(9)))
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()


def test_database_refuses_a_second_interaction_with_the_same_client_uuid(session, make_event):
    event = make_event()
    lead = Lead(event_id=event.id, dedup_key="email:a@b.c", first_met_at=at(9), last_met_at=at(9))
    session.add(lead)
    session.flush()
    for _ in range(2):
        session.add(Interaction(client_uuid="5b3c7a52-0000-4000-8000-000000000001", event_id=event.id,
                                lead_id=lead.id, captured_at=at(9), source="api"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_database_refuses_two_leads_with_the_same_identity_in_one_event(session, make_event):
    event = make_event()
    for _ in range(2):
        session.add(Lead(event_id=event.id, dedup_key="email:a@b.c", first_met_at=at(9), last_met_at=at(9)))
    with pytest.raises(IntegrityError):
        session.flush()


def test_deleting_an_event_deletes_its_leads(session, make_event):
    event = make_event()
    session.add(Lead(event_id=event.id, dedup_key="email:a@b.c", first_met_at=at(9), last_met_at=at(9)))
    session.commit()
    session.delete(session.get(Event, event.id))
    session.commit()
    assert session.scalars(select(Lead)).all() == []


def test_settings_defaults():
    settings = load_settings({})
    assert settings["badge"]["formats"] == ["vcard", "mecard", "email", "id"]
    assert settings["retention_days"] == 730 and settings["questions"] == []


@pytest.mark.parametrize("raw, path", [
    ({"questions": [{"id": "q", "type": "single", "label": {"fr": "Q", "en": "Q"}}]}, "questions"),
    ({"questions": [{"id": "Bad Id", "type": "text", "label": {"fr": "Q", "en": "Q"}}]}, "questions"),
    ({"consent": {"texts": [{"language": "de", "version": "1", "text": "ja"}]}}, "consent"),
    ({"retention_days": 0}, "retention_days"),
    ({"badge": {"formats": ["telepathy"]}}, "badge"),
])
def test_bad_settings_are_refused_with_the_field(raw, path):
    with pytest.raises(ValidationError) as caught:
        load_settings(raw)
    assert path in caught.value.messages


def test_event_question_lookup(make_event):
    event = make_event(starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 2))
    assert event.question("timeline")["type"] == "single"
    assert event.question("nope") is None
