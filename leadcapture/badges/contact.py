"""What a parsed badge gives back, and the normalisation every format shares."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from .normalise import country_code, normalise_phone, split_full_name

CONTACT_FIELDS = ("first_name", "last_name", "email", "company", "job_title", "phone", "city", "country")
# The column sizes of leads and attendees: a longer value would be refused by PostgreSQL.
FIELD_LIMITS = {"first_name": 120, "last_name": 120, "email": 254, "company": 200, "job_title": 200,
                "phone": 50, "city": 120}
REGISTRATION_ID_LIMIT = 120
MAX_WARNINGS = 10


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


@dataclass
class RawBadge:
    """What one format module read, before normalisation.

    `fields` maps CONTACT_FIELDS (plus "full_name" when the badge gives no
    separate first and last name) to the text as found on the badge.
    """

    format: str
    fields: dict[str, str] = field(default_factory=dict)
    registration_id: str | None = None
    warnings: list[str] = field(default_factory=list)


# Plain ASCII addresses, which are nearly all badges, are checked here without email-validator's
# Unicode machinery (a third of a scan's parse time). The pattern accepts only addresses the
# validator accepts unchanged (tests/test_contact.py compares the two); anything else, and
# special-use domains (.test, .local...), goes to the validator for its verdict and message.
_FAST_EMAIL = re.compile(
    # No "--" anywhere: it is where IDNA rules (xn--, hyphens in 3rd-4th place) start.
    r"(?!.*--)(?=.{6,254}$)(?=[^@]{1,64}@)[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@"
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z])?",
    re.ASCII,
)


def normalise_email(value: str) -> tuple[str | None, str | None]:
    """Return (lowercased address, None) or (None, what is wrong). No DNS: the booth may be offline."""
    address = value.strip().lower()
    if _FAST_EMAIL.fullmatch(address) and address.rpartition(".")[2] not in SPECIAL_USE_DOMAIN_NAMES:
        return address, None
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


def normalise_badge(raw: RawBadge, region: str | None) -> ParsedBadge:
    """A format's RawBadge -> ParsedBadge with every field normalised.

    Names are trimmed, never re-capitalised ("van der Berg", "McDonald" stay
    as printed); the e-mail is validated and lowercased; the phone becomes
    E.164 using `region` (the event's country) for national numbers; the
    country becomes an ISO 3166 alpha-2 code. A value that cannot be
    normalised is kept as written (phone) or left out (e-mail, country), with
    a warning; so are values longer than the database holds. `needs_lookup` is
    set when the badge names nobody, so only the roster can say who it is.
    """
    warnings = list(raw.warnings)
    values = dict(raw.fields)
    full_name = values.pop("full_name", None)
    if full_name and full_name.strip() and not (values.get("first_name") or values.get("last_name")):
        first, last = split_full_name(full_name)
        values["first_name"], values["last_name"] = first, last
        warnings.append(f"the badge gives only a full name; read as first name {first!r}, last name {last!r}")
    contact = clean_contact(values, warnings)
    if "phone" in contact:
        phone, problem = normalise_phone(contact["phone"], region)
        contact["phone"] = phone
        if problem:
            warnings.append(problem)
    if "country" in contact:
        code = country_code(contact["country"])
        if code is None:
            warnings.append(f"country {contact['country']!r} ignored: not a country name or ISO code we know")
            del contact["country"]
        else:
            contact["country"] = code
    _fit_columns(contact, warnings)
    registration_id = _registration_id(raw.registration_id, warnings)
    return ParsedBadge(
        format=raw.format, contact=contact, registration_id=registration_id,
        needs_lookup=not (contact.get("first_name") or contact.get("last_name")), warnings=_few(warnings),
    )


def _few(warnings: list[str]) -> list[str]:
    """Each warning once, and at most MAX_WARNINGS: they are stored with every scan and read by staff."""
    unique = list(dict.fromkeys(warnings))
    if len(unique) <= MAX_WARNINGS:
        return unique
    return unique[:MAX_WARNINGS - 1] + [f"and {len(unique) - MAX_WARNINGS + 1} more warnings"]


def _fit_columns(contact: dict, warnings: list[str]) -> None:
    for key, limit in FIELD_LIMITS.items():
        value = contact.get(key)
        if value and len(value) > limit:
            if key == "email":  # a cut address would reach someone else
                warnings.append(f"e-mail ignored: longer than {limit} characters")
                del contact[key]
            else:
                warnings.append(f"{key.replace('_', ' ')} cut to {limit} characters")
                contact[key] = value[:limit].rstrip()


def _registration_id(value: str | None, warnings: list[str]) -> str | None:
    value = (value or "").strip()
    if len(value) > REGISTRATION_ID_LIMIT:
        # Cutting it would match another attendee, or nobody; better to say so.
        warnings.append(f"registration id ignored: longer than {REGISTRATION_ID_LIMIT} characters")
        return None
    return value or None
