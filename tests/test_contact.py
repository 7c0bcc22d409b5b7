"""E-mail normalisation: the fast path for plain addresses agrees with email-validator."""
from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcapture.badges.contact import _FAST_EMAIL, normalise_email


def validator_verdict(address: str) -> str | None:
    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


@pytest.mark.parametrize("address, expected", [
    ("Jeanne.Dupont@Acme.FR", "jeanne.dupont@acme.fr"),
    ("a_b+c@sub.domain.co", "a_b+c@sub.domain.co"),
    ("visitor@x.test", None),  # special-use domain: refused
    ("a..b@x.com", None),
    ("a@x", None),
    ("a@x.123", None),
    ("a@-x.com", None),
    ("müller@exämple.de", "müller@exämple.de"),  # internationalised: the validator's path
])
def test_normalise_email(address, expected):
    email, problem = normalise_email(address)
    assert email == expected
    assert (problem is None) == (expected is not None)


ascii_address = st.from_regex(r"[a-zA-Z0-9_+.\-]{1,12}@[a-zA-Z0-9.\-]{1,20}\.[a-zA-Z0-9\-]{1,8}", fullmatch=True)


@settings(max_examples=2000, deadline=None)
@given(ascii_address)
def test_fast_path_accepts_only_what_the_validator_accepts_unchanged(address):
    if _FAST_EMAIL.fullmatch(address.lower()):
        verdict = validator_verdict(address)
        email, _problem = normalise_email(address)
        assert email == verdict or verdict is None and address.lower().rpartition(".")[2] in ("test", "local",
                                                                                               "invalid", "onion",
                                                                                               "arpa", "localhost")
