"""MECARD badges: MECARD:N:Last,First;ORG:...;EMAIL:...;;"""
from __future__ import annotations

import re

from .contact import BadgeError, ParsedBadge, clean_contact

FORMAT = "mecard"
_FIELD = re.compile(r"((?:\\.|[^;])*)(?:;|$)")


def parse(text: str) -> ParsedBadge:
    warnings: list[str] = []
    body = text[len("MECARD:"):]
    fields: dict[str, str] = {}
    for match in _FIELD.finditer(body):
        item = match.group(1)
        key, sep, value = item.partition(":")
        if sep and key.strip().upper() not in fields:
            fields[key.strip().upper()] = re.sub(r"\\(.)", r"\1", value)
    raw: dict = {}
    if "N" in fields:
        last, comma, first = fields["N"].partition(",")
        if comma:
            raw["last_name"], raw["first_name"] = last, first
        else:
            first, _, last = fields["N"].strip().rpartition(" ")
            raw["first_name"], raw["last_name"] = (first or None), last
    raw["company"] = fields.get("ORG")
    raw["job_title"] = fields.get("TITLE")
    raw["email"] = fields.get("EMAIL")
    raw["phone"] = fields.get("TEL")
    registration_id = (fields.get("UID") or fields.get("CONF") or "").strip() or None
    contact = clean_contact(raw, warnings)
    if not any(k in contact for k in ("first_name", "last_name", "email")) and not registration_id:
        raise BadgeError("MECARD has no N (name), no EMAIL and no UID", format_tried=FORMAT,
                         missing=["N", "EMAIL"])
    return ParsedBadge(format=FORMAT, contact=contact, registration_id=registration_id, warnings=warnings)
