"""The minimal badge parser: vCard, MECARD, e-mail, registration id, and clear errors."""
from __future__ import annotations

import pytest

from leadcapture.badges import BadgeError, parse_badge


def test_vcard_with_folding_escapes_and_groups():
    parsed = parse_badge(
        "\ufeffBEGIN:VCARD\r\nVERSION:3.0\r\nN:van der Berg;Anouk\r\nORG:Studio\\, Design;Paris\r\n"
        "TITLE:Head of\r\n  Marketing\r\nitem1.EMAIL;TYPE=INTERNET:Anouk@Studio.example\r\n"
        "TEL;TYPE=WORK:+33 1 23 45 67 89\r\nUID:REG-77\r\nEND:VCARD\r\n")
    assert parsed.format == "vcard"
    assert parsed.contact == {"first_name": "Anouk", "last_name": "van der Berg", "company": "Studio, Design",
                              "job_title": "Head of Marketing", "email": "anouk@studio.example",
                              "phone": "+33 1 23 45 67 89"}
    assert parsed.registration_id == "REG-77" and parsed.warnings == []


def test_vcard_without_end_or_n_parses_with_warnings():
    parsed = parse_badge("BEGIN:VCARD\nVERSION:2.1\nFN:Jean-Luc Picard\nEMAIL:jl@example.com")
    assert (parsed.contact["first_name"], parsed.contact["last_name"]) == ("Jean-Luc", "Picard")
    assert len(parsed.warnings) == 2


def test_vcard_with_stripped_line_breaks_explains_the_scanner_fix():
    with pytest.raises(BadgeError, match="line breaks"):
        parse_badge("BEGIN:VCARDVERSION:3.0N:Dupont;JeanEMAIL:jean@example.comEND:VCARD")


def test_mecard_with_escapes():
    parsed = parse_badge(r"MECARD:N:Curie,Marie;ORG:Institut\; Radium;EMAIL:marie@example.fr;TEL:0102030405;UID:A1;;")
    assert parsed.contact == {"first_name": "Marie", "last_name": "Curie", "company": "Institut; Radium",
                              "email": "marie@example.fr", "phone": "0102030405"}
    assert parsed.registration_id == "A1"


def test_email_only_needs_lookup():
    parsed = parse_badge("  Visitor@Example.COM\n")
    assert parsed.format == "email" and parsed.contact == {"email": "visitor@example.com"} and parsed.needs_lookup


def test_bare_id_needs_lookup():
    parsed = parse_badge("SB-2026-000123")
    assert (parsed.format, parsed.registration_id, parsed.needs_lookup) == ("id", "SB-2026-000123", True)


@pytest.mark.parametrize("payload, fragment", [
    ("", "empty"),
    ("   ", "empty"),
    ("a" * 4097, "4096"),
    ("BEGIN:VCARD\x1b", "control character U+001B"),
    ("hello world, not a badge", "not recognised (tried vCard, MECARD, e-mail, registration id)"),
    ("broken@", "e-mail"),
    ("BEGIN:VCARD\nVERSION:3.0\nNOTE:nothing useful\nEND:VCARD", "no name"),
])
def test_bad_payloads_say_what_is_wrong(payload, fragment):
    with pytest.raises(BadgeError) as caught:
        parse_badge(payload)
    assert fragment in str(caught.value)
