"""What a parsed badge gives back, and the normalisation every format shares."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email

CONTACT_FIELDS = ("first_name", "last_name", "email", "company", "job_title", "phone", "city", "country")


class BadgeError(ValueError):
    """A badge that cannot become a contact; the message says what to fix."""

    def __init__(self, message: str, format_tried: str | None = None, missing: list[str] | None = None):
        super().__init__(message)
        self.format_tried = format_tried
        self.missing = missing or []


@dataclass
class ParsedBadge:
    format: str
    contact: dict = field(default_factory=dict)
    registration_id: str | None = None
    needs_lookup: bool = False
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "format": self.format,
            "contact": self.contact,
            "registration_id": self.registration_id,
            "needs_lookup": self.needs_lookup,
            "warnings": self.warnings,
        }


def normalise_email(value: str) -> tuple[str | None, str | None]:
    """Return (lowercased address, None) or (None, what is wrong). No DNS: the booth may be offline."""
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        return None, str(exc)
    return result.normalized.lower(), None


def name_key(first_name: str | None, last_name: str | None, company: str | None) -> str | None:
    """Accent- and case-insensitive key for "same person" when there is no e-mail or id."""
    name = " ".join(p for p in (first_name, last_name) if p)
    if not name.strip():
        return None
    return f"{_fold(name)}|{_fold(company or '')}"


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", stripped).strip().casefold()


def clean_contact(raw: dict, warnings: list[str]) -> dict:
    """Trim values, drop empties, validate the e-mail (a bad one is dropped with a warning)."""
    contact = {}
    for key in CONTACT_FIELDS:
        value = raw.get(key)
        if value is None:
            continue
        value = re.sub(r"\s+", " ", str(value)).strip()
        if value:
            contact[key] = value
    if len(contact.get("country", "")) == 2:
        contact["country"] = contact["country"].upper()
    if "email" in contact:
        email, problem = normalise_email(contact["email"])
        if problem:
            warnings.append(f"e-mail {contact['email']!r} ignored: {problem}")
            del contact["email"]
        else:
            contact["email"] = email
    return contact
