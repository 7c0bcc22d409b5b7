"""Delimited badge records: "12345^Jean^Dupont^jean@acme.fr^..." read with the event's field map.

Registration systems print one record per badge, its fields split by a
character (^ | ; , * %). Nothing in the record says which field is which, so
the event's settings give the delimiter and the field names, by hand or by
naming a preset.
"""
from __future__ import annotations

import csv
from collections import Counter

from .contact import CONTACT_FIELDS, BadgeError, RawBadge

FORMAT = "delimited"
NEEDS = "a name, an e-mail or a registration id in the fields the field map names"
DELIMITERS = ("^", "|", ";", ",", "*", "%")
# Names a field map may use; "skip" is a column we do not keep (state, zip, meal choice...).
FIELD_NAMES = ("registration_id", "full_name", *CONTACT_FIELDS, "skip")
# Layouts seen on badges, named by their shape. Each: (delimiter, field names in order).
PRESETS: dict[str, tuple[str, tuple[str, ...]]] = {
    # RefID^First^Last^Email^Title^Company^City^State^Zip^Phone
    "ref-first-last-caret": ("^", ("registration_id", "first_name", "last_name", "email", "job_title",
                                   "company", "city", "skip", "skip", "phone")),
    # RefID|Last|First|Company|Title|Email|Phone|City|Country
    "ref-last-first-pipe": ("|", ("registration_id", "last_name", "first_name", "company", "job_title",
                                  "email", "phone", "city", "country")),
    # N°;Nom;Prénom;Société;Fonction;E-mail;Téléphone;Ville;Pays (French registration exports)
    "ref-last-first-semicolon": (";", ("registration_id", "last_name", "first_name", "company", "job_title",
                                       "email", "phone", "city", "country")),
}
_SHOWN_FIELDS = 12


def parse(text: str, delimiter: str, names: tuple[str, ...]) -> RawBadge:
    """A record and the event's field map -> RawBadge.

    A record with fewer or more fields than the map is read as far as it
    goes, with a warning: a printer that drops a trailing empty field is
    common, a shifted record is not, and the warning lets staff check.
    """
    values = _split(text, delimiter)
    warnings = []
    if len(values) != len(names):
        warnings.append(f"the record has {len(values)} fields but the event's field map names {len(names)}; "
                        "check the fields were read in the right columns")
    fields: dict[str, str] = {}
    for name, value in zip(names, values):
        if name != "skip" and value.strip():
            fields.setdefault(name, value.strip())
    registration_id = fields.pop("registration_id", None)
    return RawBadge(format=FORMAT, fields=fields, registration_id=registration_id, warnings=warnings)


def _split(text: str, delimiter: str) -> list[str]:
    if '"' not in text:
        return text.split(delimiter)
    # A quoted field may hold the delimiter ("Acme, Inc").
    try:
        return next(csv.reader([text], delimiter=delimiter), [])
    except csv.Error:  # a stray quote inside a field: the plain split is the better reading
        return text.split(delimiter)


def looks_delimited(text: str) -> bool:
    """True when one delimiter splits `text` into three fields or more."""
    return _most_common_delimiter(text) is not None


def _most_common_delimiter(text: str) -> str | None:
    counts = Counter(c for c in text if c in DELIMITERS)
    if not counts:
        return None
    seen, count = counts.most_common(1)[0]
    return seen if count >= 2 else None


def unconfigured(text: str, delimiter: str | None) -> BadgeError:
    """The error for a delimited-looking payload that the event's field map cannot read.

    The message shows the fields it saw, so an admin can write the map.
    """
    seen = _most_common_delimiter(text) or delimiter or ","
    values = _split(text, seen)
    shown = ", ".join(repr(v[:30]) for v in values[:_SHOWN_FIELDS]) + (", ..." if len(values) > _SHOWN_FIELDS else "")
    if delimiter is None:
        fix = ("configure the event's field map (badge settings: 'delimited' with a delimiter and the field "
               f"names in order, or a preset such as {next(iter(PRESETS))!r})")
    else:
        fix = (f"the event's field map expects fields separated by {delimiter!r}; change its delimiter "
               "and fields to match these badges")
    return BadgeError(f"this looks like a delimited record of {len(values)} fields separated by {seen!r}: "
                      f"{shown}; {fix}", format_tried=FORMAT, missing=["field map"])
