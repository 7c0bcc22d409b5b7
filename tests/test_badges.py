"""parse_badge: the corpus of real-looking badges, bad input, event settings, and any string at all."""
from __future__ import annotations

import time

import pytest
import vobject
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from badge_corpus import CORPUS, CORPUS_COUNTRY, CORPUS_SETTINGS
from leadcapture.badges import BadgeError, parse_badge
from leadcapture.badges.context import FORMATS
from leadcapture.event_settings import load_settings


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_corpus_badge_gives_its_contact(case):
    parsed = parse_badge(case.payload, CORPUS_SETTINGS, CORPUS_COUNTRY)
    assert (parsed.format, parsed.contact) == (case.format, case.contact)
    assert (parsed.registration_id, parsed.needs_lookup) == (case.registration_id, case.needs_lookup)
    assert len(parsed.warnings) == len(case.warnings), parsed.warnings
    for fragment, warning in zip(case.warnings, parsed.warnings):
        assert fragment in warning


def test_corpus_covers_every_format_with_forty_payloads():
    assert len(CORPUS) >= 40
    assert {c.format for c in CORPUS} == set(FORMATS)


def test_needs_lookup_only_when_the_badge_names_nobody():
    assert all(c.needs_lookup == (not (c.contact.get("first_name") or c.contact.get("last_name"))) for c in CORPUS)


def test_phones_are_kept_as_written_without_the_events_country():
    parsed = parse_badge("MECARD:N:Curie,Marie;TEL:01 02 03 04 05;;")
    assert parsed.contact["phone"] == "01 02 03 04 05"
    assert "without the event's country" in parsed.warnings[0]


def test_a_national_number_follows_the_events_country():
    payload = "BIZCARD:N:Max;X:Weber;B:030 1234567;;"
    badge = {"badge": {"formats": ["bizcard"]}}
    assert parse_badge(payload, badge, country="DE").contact["phone"] == "+49301234567"


def test_values_longer_than_the_database_holds_are_cut_with_a_warning():
    parsed = parse_badge(f"MECARD:N:Curie,Marie;ORG:{'A' * 250};UID:{'9' * 130};;")
    assert len(parsed.contact["company"]) == 200 and parsed.registration_id is None
    assert any("company cut to 200" in w for w in parsed.warnings)
    assert any("registration id ignored" in w for w in parsed.warnings)


# --- bad input --------------------------------------------------------------------------------------

STRIPPED_VCARD = "BEGIN:VCARDVERSION:3.0N:Dupont;JeanEMAIL:jean@example.comEND:VCARD"
DEFAULTS = None  # a new event: vCard, MECARD, e-mail, registration id


@pytest.mark.parametrize("payload, badge_settings, fragments", [
    ("", DEFAULTS, ["empty"]),
    ("  \r\n\t ", DEFAULTS, ["empty"]),
    ("a" * 4097, DEFAULTS, ["4097 bytes", "at most 4096"]),
    ("é" * 2049, DEFAULTS, ["4098 bytes"]),
    ("BEGIN:VCARD\x1b", DEFAULTS, ["control character U+001B"]),
    ("\x00\x01PK\x03\x04", DEFAULTS, ["control character U+0000", "binary"]),
    ("\ufffd\ufffdJFIF", DEFAULTS, ["U+FFFD", "binary"]),
    ('{"firstName": "Jean", "lastName": ', CORPUS_SETTINGS, ["not valid JSON", "line 1 column 34"]),
    ("[1, 2, 3]", CORPUS_SETTINGS, ["must be an object", "list"]),
    ('{"colour": "blue", "size": 3}', CORPUS_SETTINGS, ["none of the keys", "'colour', 'size'"]),
    ("hello world, not a badge", DEFAULTS,
     ["badge not recognised (tried vCard, MECARD, e-mail, registration id)", "a BEGIN:VCARD line",
      "an e-mail address", "'hello world, not a badge'"]),
    ("Merci pour votre visite !", CORPUS_SETTINGS,
     ["tried vCard, MECARD, e-mail, registration id, delimited record, JSON, URL, BIZCARD", "the BIZCARD: prefix"]),
    ("BEGINMVCQRD\nVERSIONM\":à\nNMDupontmJeqn\nENDMVCQRD", DEFAULTS,
     ["characters swapped", "'BEGIN:VCARD", "US QWERTY but this computer uses French AZERTY"]),
    ("BEGINÖVCARD\nVERSIONÖ3.0\nNÖMüller;Jürgen", DEFAULTS, ["this computer uses German QWERTZ"]),
    ("BEGIN.VCQRD\nVERSION.3\nN.Dupont", DEFAULTS, ["scanner types as French AZERTY"]),
    ("?ECQRDMNMDupont;Jeqnmm", DEFAULTS, ["characters swapped", "'MECARD:N:Dupont,Jean"]),
    ("SB&é\"'(", DEFAULTS, ["characters swapped", "'SB12345'"]),
    (STRIPPED_VCARD, DEFAULTS, ["arrived on one line", "line breaks", "camera"]),
    ("BEGIN:VCARD", DEFAULTS, ["only the BEGIN:VCARD line"]),
    ("BEGIN:VCARD\nVERSION:3.0\nNOTE:nothing useful\nEND:VCARD", DEFAULTS,
     ["vCard badge has no name", "N or FN"]),
    ("MECARD:NOTE:hello;;", DEFAULTS, ["MECARD badge has no name", "UID or CONF"]),
    ("MECARD:N:;EMAIL:nobody(at)example.com;;", DEFAULTS, ["MECARD badge has no name", "e-mail 'nobody(at)"]),
    ("12345^Jean^Dupont^jean@acme.example^CEO", DEFAULTS,
     ["delimited record of 5 fields separated by '^'", "'12345', 'Jean', 'Dupont'", "configure the event's field map"]),
    ("12345|Jean|Dupont|jean@acme.example", CORPUS_SETTINGS, ["expects fields separated by '^'"]),
    ("^^^^", CORPUS_SETTINGS, ["delimited record badge has no name"]),
    ("https://tickets.example.com/", CORPUS_SETTINGS, ["carries no registration id", "id or ref"]),
    ("broken@", DEFAULTS, ["looks like an e-mail address but"]),
    ("BIZCARD:N:Sean;X:Owen;;", DEFAULTS, ["BIZCARD badge", "add 'bizcard' to the event's badge formats"]),
    ('{"id": 1}', DEFAULTS, ["JSON badge", "reads only vCard, MECARD, e-mail, registration id"]),
])
def test_bad_payloads_say_what_was_tried_and_what_is_missing(payload, badge_settings, fragments):
    with pytest.raises(BadgeError) as caught:
        parse_badge(payload, badge_settings)
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_a_payload_that_is_not_text_is_refused():
    with pytest.raises(BadgeError, match="must be text"):
        parse_badge(b"BEGIN:VCARD")  # type: ignore[arg-type]


# --- event settings ------------------------------------------------------------------------------

def test_a_preset_fills_the_field_map_and_enables_delimited_records():
    badge = load_settings({"badge": {"delimited": {"preset": "ref-last-first-pipe"}}})["badge"]
    assert badge["delimited"]["delimiter"] == "|" and badge["delimited"]["fields"][:3] == [
        "registration_id", "last_name", "first_name"]
    assert "delimited" in badge["formats"]
    parsed = parse_badge("R-9|Novák|Jana|Firma s.r.o.||jana@firma.example", {"badge": badge})
    assert (parsed.contact["first_name"], parsed.contact["last_name"], parsed.registration_id) == (
        "Jana", "Novák", "R-9")


def test_a_hand_written_field_map_with_quoted_fields():
    badge = {"delimited": {"delimiter": ",", "fields": ["email", "full_name", "company", "skip"]}}
    parsed = parse_badge('ines@example.fr,Inès Fontaine,"Pixel, & Co",vegetarian', load_settings({"badge": badge}))
    assert parsed.contact == {"email": "ines@example.fr", "first_name": "Inès", "last_name": "Fontaine",
                              "company": "Pixel, & Co"}


@pytest.mark.parametrize("badge, path", [
    ({"formats": ["delimited"]}, "delimited"),
    ({"delimited": {"delimiter": "^"}}, "fields"),
    ({"delimited": {"delimiter": "#", "fields": ["email"]}}, "delimiter"),
    ({"delimited": {"delimiter": "^", "fields": ["company", "city"]}}, "fields"),
    ({"delimited": {"preset": "nonesuch"}}, "preset"),
    ({"url_patterns": ["/t/[A-Z]+"]}, "url_patterns"),
    ({"url_patterns": ["/t/(unclosed"]}, "url_patterns"),
])
def test_bad_badge_settings_are_refused_with_the_field(badge, path):
    with pytest.raises(ValidationError) as caught:
        load_settings({"badge": badge})
    assert path in str(caught.value.messages["badge"])


# --- any string at all ------------------------------------------------------------------------------

PREFIXES = ["", "BEGIN:VCARD\n", "BEGIN:VCARD\r\nVERSION:2.1\r\nN;ENCODING=QUOTED-PRINTABLE:", "MECARD:N:",
            "BIZCARD:", "{", '{"attendee": {"name": ', "https://t.example/", "12^", "mailto:", "SB"]
# A payload takes well under a millisecond; the bound leaves room for a busy CI machine's
# pauses, while a runaway regular expression on 4 KB would take far longer.
MAX_SECONDS_PER_PAYLOAD = 2.0


@settings(max_examples=500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=st.sampled_from(PREFIXES), text=st.text(max_size=600), repeat=st.sampled_from([1, 1, 1, 8]),
       event_settings=st.sampled_from([None, CORPUS_SETTINGS]))
def test_any_string_gives_a_badge_or_a_badge_error_quickly(prefix, text, repeat, event_settings):
    payload = prefix + text * repeat
    start = time.perf_counter()
    try:
        parsed = parse_badge(payload, event_settings, CORPUS_COUNTRY)
    except BadgeError as exc:
        assert str(exc)
    else:
        assert parsed.contact or parsed.registration_id
    assert time.perf_counter() - start < MAX_SECONDS_PER_PAYLOAD


@pytest.mark.parametrize("payload", [
    "BEGIN:VCARD\n" + "N;" + ";" * 4000,  # parameters without a value
    "BEGIN:VCARD\n" + 'N;X="' * 700,  # unbalanced quotes
    "BEGIN:VCARD\nVERSION:2.1\n" + "N;QUOTED-PRINTABLE:=\n" * 180,  # soft line breaks all the way
    "[" * 4000,  # nested too deeply for json
    "https://x.example/?" + "id=&" * 1000,
    "^" * 4000,
])
def test_pathological_payloads_are_answered_quickly(payload):
    start = time.perf_counter()
    try:
        parse_badge(payload, CORPUS_SETTINGS, CORPUS_COUNTRY)
    except BadgeError:
        pass
    assert time.perf_counter() - start < MAX_SECONDS_PER_PAYLOAD


# --- round trip through vobject ---------------------------------------------------------------------

PEOPLE = [
    {"first_name": "Chloé", "last_name": "Lefèvre", "company": "Pixel & Co", "job_title": "Directrice, ventes",
     "email": "chloe@pixel.example", "phone": "+33612345678", "city": "Paris", "country": "FR"},
    {"first_name": "Jürgen", "last_name": "Müller", "company": "Müller; Söhne GmbH", "job_title": "Einkauf",
     "email": "juergen@mueller.example", "phone": "+49301234567", "city": "Köln", "country": "DE"},
    {"first_name": "Siobhán", "last_name": "Ó Briain", "company": "Éire Data", "email": "siobhan@eire.example",
     "phone": "+35312345678", "city": "Dublin", "country": "IE"},
    {"first_name": "Antonín", "last_name": "Dvořák", "company": "Škoda Auto", "email": "antonin@skoda.example",
     "city": "Praha", "country": "CZ"},
    {"first_name": "José María", "last_name": "Núñez García", "company": "Cañada S.L.",
     "job_title": "Director de compras con una responsabilidad muy larga que obliga a plegar la línea",
     "email": "jm@canada.example", "country": "ES"},
    {"first_name": "伟", "last_name": "张", "company": "上海贸易有限公司", "email": "zhang.wei@example.cn",
     "phone": "+8613912345678", "city": "上海", "country": "CN"},
]
COUNTRY_NAMES = {"FR": "France", "DE": "Germany", "IE": "Ireland", "CZ": "Czechia", "ES": "Spain", "CN": "China"}


def vobject_vcard(person: dict) -> str:
    """The person as vobject writes a vCard 3.0 (folded lines, escapes, CRLF)."""
    card = vobject.vCard()
    card.add("n").value = vobject.vcard.Name(family=person["last_name"], given=person["first_name"])
    card.add("fn").value = f"{person['first_name']} {person['last_name']}"
    card.add("org").value = [person["company"], "Salon team"]
    if "job_title" in person:
        card.add("title").value = person["job_title"]
    card.add("email").value = person["email"]
    if "phone" in person:
        card.add("tel").value = person["phone"]
    card.add("adr").value = vobject.vcard.Address(city=person.get("city", ""),
                                                  country=COUNTRY_NAMES[person["country"]])
    return card.serialize()


@pytest.mark.parametrize("person", PEOPLE, ids=[p["last_name"] for p in PEOPLE])
def test_vobject_written_vcards_parse_back_to_the_same_contact(person):
    parsed = parse_badge(vobject_vcard(person), country="FR")
    assert parsed.contact == person and parsed.warnings == []


def test_warnings_are_few_even_for_a_badge_full_of_oddities():
    payload = "BEGIN:VCARD\nVERSION:2.1\nN:Dupont;Jean\n" + "".join(
        f"EMAIL;ENCODING=QUOTED-PRINTABLE;CHARSET=x-{i}:jean{i}=E9@example.fr\n" for i in range(40))
    warnings = parse_badge(payload).warnings
    assert len(warnings) == 10 and warnings[-1] == "and 32 more warnings"
    assert "not valid x-0" in warnings[0]
