"""read_roster: what organisers' CSV files look like, without a database (the CLI tests cover importing)."""
from __future__ import annotations

import pytest

from leadcapture.attendees import RosterError, country_code, read_roster


def test_headers_map_whatever_their_case_accents_and_spacing():
    roster = read_roster("  PRENOM |nom de  famille| e-MAIL |Numéro de badge|Notes\nAnn|Lee|a@x.fr|B7|VIP\n".encode())
    assert roster.separator == "|"
    assert roster.columns == {"first_name": "PRENOM", "last_name": "nom de  famille", "email": "e-MAIL",
                              "registration_id": "Numéro de badge"}
    assert roster.rows == [(2, {"first_name": "Ann", "last_name": "Lee", "email": "a@x.fr",
                                "registration_id": "B7", "extra": {"Notes": "VIP"}})]


def test_line_numbers_are_the_ones_a_person_sees():
    text = 'Email,Company\n\na@x.fr,"Two\nlines"\n,,\nb@x.fr,B\n'
    assert [line for line, _row in read_roster(text.encode()).rows] == [3, 6]


@pytest.mark.parametrize("data, separator, line", [
    ("sep=;\nEmail;Nom\na@x.fr;Lee\n".encode(), ";", 3),
    ("Email\tNom\na@x.fr\tLee\n".encode("utf-16"), "\t", 2),  # Excel's "Unicode text"
])
def test_excel_variants(data, separator, line):
    roster = read_roster(data)
    assert roster.separator == separator
    assert roster.rows == [(line, {"email": "a@x.fr", "last_name": "Lee", "extra": {}})]


@pytest.mark.parametrize("data, fragment", [
    (b"", "the file is empty"),
    (b"PK\x03\x04rest-of-a-zip", "Excel workbook"),
    (b"Colour,Size\nred,XL\n", "'Colour', 'Size'"),
])
def test_unreadable_files_say_what_to_do(data, fragment):
    with pytest.raises(RosterError, match=fragment):
        read_roster(data)


@pytest.mark.parametrize("value, code", [
    ("France", "FR"), ("be", "BE"), ("Suisse", "CH"), ("Royaume-Uni", "GB"), ("UK", "GB"), ("Allemagne", "DE"),
    ("España", "ES"), ("Italie", "IT"), ("Etats-Unis", "US"), ("Luxembourg", "LU"), ("Pays-Bas", "NL"),
    ("Canada", "CA"), ("Deutschland", "DE"), ("Atlantis", None),
])
def test_country_names_and_codes(value, code):
    assert country_code(value) == code
