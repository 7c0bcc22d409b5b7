"""MECARD badges: MECARD:N:Last,First;ORG:...;EMAIL:...;;

The DoCoMo format phones and many badge printers use: KEY:value pairs split by
';', with backslash escapes. Organisers add their own keys (CONF:, UID:) for the
registration id.
"""
from __future__ import annotations

import re

from .contact import RawBadge

FORMAT = "mecard"
NEEDS = "a name (N), an EMAIL or a registration id (UID or CONF)"
_SIMPLE = {"ORG": "company", "TITLE": "job_title", "EMAIL": "email", "TEL": "phone"}
_ID_KEYS = ("UID", "CONF", "ID", "REF")
_ESCAPE = re.compile(r"\\(.)")


def key_values(body: str) -> list[tuple[str, str]]:
    """"N:Curie,Marie;ORG:Institut\\; Radium;;" -> [("N", "Curie,Marie"), ("ORG", "Institut\\; Radium")].

    Keys are uppercased; values keep their escapes (a value may still need
    splitting on its own separators). Items without a colon are skipped:
    they are the empty items of the closing ";;". BIZCARD shares this syntax.
    """
    if "\\" in body:
        # Control characters never reach the parsers, so they can stand in for escaped ';' and '\'.
        body = body.replace("\\\\", "\x00").replace("\\;", "\x01")
        items = [i.replace("\x01", "\\;").replace("\x00", "\\\\") for i in body.split(";")]
    else:
        items = body.split(";")
    pairs = []
    for item in items:
        key, sep, value = item.partition(":")
        if sep:
            pairs.append((key.strip().upper(), value))
    return pairs


def unescape(value: str) -> str:
    """Undo backslash escapes (\\; \\: \\, \\\\)."""
    return _ESCAPE.sub(r"\1", value).strip() if "\\" in value else value.strip()


def parse(text: str) -> RawBadge:
    """MECARD text -> RawBadge. The first of repeated keys (TEL, EMAIL) is the main one."""
    pairs = key_values(text[len("MECARD:"):])
    first: dict[str, str] = {}
    for key, value in pairs:
        first.setdefault(key, value)
    fields: dict[str, str] = {}
    if "N" in first:
        fields.update(_name(first["N"]))
    for key, name in _SIMPLE.items():
        if key in first:
            fields[name] = unescape(first[key])
    if "ADR" in first:
        fields.update(_address(first["ADR"]))
    registration_id = next((unescape(first[k]) for k in _ID_KEYS if first.get(k, "").strip()), None)
    return RawBadge(format=FORMAT, fields=fields, registration_id=registration_id)


def _name(value: str) -> dict[str, str]:
    """"Last,First" (the standard), or a full name without a comma."""
    parts = _split_unescaped_commas(value)
    if len(parts) >= 2:
        return {"last_name": unescape(parts[0]), "first_name": unescape(",".join(parts[1:]))}
    return {"full_name": unescape(value)}


def _address(value: str) -> dict[str, str]:
    """ADR is "PO box,extended,street,city,region,postcode,country"."""
    parts = _split_unescaped_commas(value)
    if len(parts) < 7:
        return {}
    return {"city": unescape(parts[3]), "country": unescape(parts[6])}


def _split_unescaped_commas(value: str) -> list[str]:
    if "\\" not in value:
        return value.split(",")
    protected = value.replace("\\\\", "\x00").replace("\\,", "\x01")
    return [p.replace("\x01", "\\,").replace("\x00", "\\\\") for p in protected.split(",")]
