"""Badges that only point at a person: a bare e-mail address or a registration id.

Both come back with `needs_lookup`; `capture.ingest` resolves them against the
event's attendee roster.
"""
from __future__ import annotations

import re

from .contact import BadgeError, RawBadge, normalise_email

EMAIL = "email"
ID = "id"
# Registration numbers, ticket secrets and prefixed ids (SB-2026-000123): one word of
# letters, digits and a few separators, with at least one digit so that a stray word
# ("hello") is not mistaken for an id.
_REGISTRATION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-./:#+=]{1,119}")
_MAILTO = re.compile(r"mailto:", re.IGNORECASE)


def is_registration_id(text: str) -> bool:
    """True when `text` has the shape of a registration id or ticket secret."""
    return _REGISTRATION_ID.fullmatch(text) is not None and any(c.isdigit() for c in text)


def is_email(text: str) -> bool:
    """True when `text` is one word with an @ (or a mailto: link): an e-mail badge, valid or not."""
    return "@" in text and not any(c.isspace() for c in text)


def parse_email(text: str) -> RawBadge:
    """"visitor@example.com" or "mailto:visitor@example.com?subject=..." -> RawBadge with the e-mail.

    Raises BadgeError saying what is wrong with the address.
    """
    address = _MAILTO.sub("", text, count=1).split("?", 1)[0]
    _email, problem = normalise_email(address)
    if problem:
        raise BadgeError(f"badge looks like an e-mail address but {problem}", format_tried=EMAIL,
                         missing=["email"])
    return RawBadge(format=EMAIL, fields={"email": address})


def parse_id(text: str) -> RawBadge:
    """A registration id as printed -> RawBadge with only the registration id."""
    return RawBadge(format=ID, registration_id=text)
