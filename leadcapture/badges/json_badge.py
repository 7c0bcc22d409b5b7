"""JSON badges: {"firstName": "Jean", "nom": "Dupont", "ticket": "SB123", ...}.

Registration apps put a JSON object in the badge's QR code, with English or
French key names, sometimes one level down ({"attendee": {...}}). Keys are
matched ignoring case, accents and punctuation, so "First name", "first_name"
and "firstName" are the same key.
"""
from __future__ import annotations

import json
import re
import unicodedata

from .contact import BadgeError, RawBadge

FORMAT = "json"
NEEDS = "a name, an e-mail or a registration id under a key we know"
ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": ("first_name", "firstname", "given_name", "forename", "prenom", "name.first", "name.given"),
    "last_name": ("last_name", "lastname", "surname", "family_name", "nom", "nom_de_famille", "name.last",
                  "name.family"),
    "full_name": ("name", "full_name", "fullname", "display_name", "nom_complet"),
    "email": ("email", "emails", "e-mail", "mail", "email_address", "courriel", "adresse_email", "adresse_mail"),
    "company": ("company", "company_name", "company.name", "organization", "organisation", "org",
                "organization.name", "organisation.name", "employer", "societe", "entreprise", "raison_sociale"),
    "job_title": ("job_title", "jobtitle", "title", "position", "role", "fonction", "poste"),
    "phone": ("phone", "phone_number", "telephone", "tel", "mobile", "portable", "telephone_portable"),
    "city": ("city", "town", "ville", "address.city", "adresse.ville"),
    "country": ("country", "country_code", "pays", "address.country", "adresse.pays"),
    "registration_id": ("id", "registration_id", "registration_number", "reg_id", "badge_id", "badge_number",
                        "ticket", "ticket_id", "ticket_number", "attendee_id", "ref", "reference", "uid",
                        "barcode", "secret", "numero", "numero_inscription", "n_inscription", "numero_badge"),
}
# Objects that hold the person themselves: their keys count as top-level keys.
CONTAINERS = ("attendee", "contact", "person", "visitor", "participant", "registrant", "badge", "user",
              "visiteur", "inscrit", "personne", "data")


def _fold(key: str) -> str:
    decomposed = unicodedata.normalize("NFKD", key)
    return re.sub(r"[^a-z0-9.]", "", "".join(c for c in decomposed if not unicodedata.combining(c)).lower())


_FIELD_BY_KEY = {_fold(alias): name for name, aliases in ALIASES.items() for alias in aliases}
_CONTAINERS = frozenset(_fold(c) for c in CONTAINERS)


def parse(text: str) -> RawBadge:
    """A JSON object -> RawBadge. Raises BadgeError for invalid JSON, a non-object, or no known key."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        raise BadgeError(f"badge starts like JSON but is not valid JSON: {reason}{where}",
                         format_tried=FORMAT, missing=["valid JSON"]) from None
    if not isinstance(data, dict):
        raise BadgeError(f"JSON badge must be an object {{...}} naming the visitor; got a {type(data).__name__}",
                         format_tried=FORMAT, missing=["object"])
    fields: dict[str, str] = {}
    for path, value in _leaves(data):
        name = _field_for(path)
        if name and name not in fields:
            fields[name] = value
    if not fields:
        keys = ", ".join(repr(k) for k in list(data)[:12])
        raise BadgeError(f"JSON badge has none of the keys we read (it has {keys or 'no keys'}); "
                         "expected keys such as firstName/prenom, lastName/nom, email/courriel, company/societe, "
                         "id/ticket", format_tried=FORMAT, missing=["known keys"])
    registration_id = fields.pop("registration_id", None)
    return RawBadge(format=FORMAT, fields=fields, registration_id=registration_id)


def _field_for(path: str) -> str | None:
    """A folded key path ("attendee.name.first") -> the field it names, or None.

    Containers in front are dropped, so "attendee.email" is the e-mail; any
    other parent stays, so "company.id" is not taken for the visitor's id.
    """
    parts = path.split(".")
    while len(parts) > 1 and parts[0] in _CONTAINERS:
        parts.pop(0)
    return _FIELD_BY_KEY.get(".".join(parts))


def _leaves(data: dict, prefix: str = "", depth: int = 0):
    """Yield (folded key path, text) for every text or number value, three levels deep at most.

    A list gives its first text value (several e-mails: the first is the main one).
    """
    for key, value in data.items():
        path = f"{prefix}{_fold(str(key))}"
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, (str, int, float)) and not isinstance(v, bool)), None)
        if isinstance(value, dict):
            if depth < 2:
                yield from _leaves(value, f"{path}.", depth + 1)
        elif isinstance(value, str):
            yield path, value
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            yield path, str(value)
