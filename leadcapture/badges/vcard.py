"""vCard 2.1/3.0/4.0 badges: the common properties, unfolded and unescaped."""
from __future__ import annotations

import re

from .contact import BadgeError, ParsedBadge, clean_contact

FORMAT = "vcard"
_UNFOLD = re.compile(r"\r?\n[ \t]")


def parse(text: str) -> ParsedBadge:
    warnings: list[str] = []
    lines = [line for line in _UNFOLD.sub("", text).splitlines() if line.strip()]
    if len(lines) == 1 and len(text) > 40:
        raise BadgeError(
            "vCard arrived on one line: the scanner stripped its line breaks. "
            "Set the scanner to keep line breaks (send CR/LF) or use the camera.",
            format_tried=FORMAT,
        )
    if not lines[-1].strip().upper().startswith("END:VCARD"):
        warnings.append("vCard has no END:VCARD line; it may be cut short")
    props: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            continue
        prop = name.split(";")[0].split(".")[-1].strip().upper()
        props.setdefault(prop, []).append(value)

    raw: dict = {}
    registration_id = None
    if "N" in props:
        parts = _split(props["N"][0])
        raw["last_name"] = parts[0] if parts else None
        raw["first_name"] = parts[1] if len(parts) > 1 else None
    if not (raw.get("first_name") or raw.get("last_name")) and "FN" in props:
        full = _unescape(props["FN"][0]).strip()
        first, _, last = full.rpartition(" ")
        raw["first_name"], raw["last_name"] = (first, last) if first else (None, full)
        warnings.append("vCard has FN but no N; the full name was split at its last space")
    if "ORG" in props:
        raw["company"] = _split(props["ORG"][0])[0]
    if "TITLE" in props:
        raw["job_title"] = _unescape(props["TITLE"][0])
    if "EMAIL" in props:
        raw["email"] = _unescape(props["EMAIL"][0])
    if "TEL" in props:
        raw["phone"] = _unescape(props["TEL"][0]).removeprefix("tel:")
    if "ADR" in props:
        adr = _split(props["ADR"][0]) + [""] * 7
        raw["city"], raw["country"] = adr[3] or None, None
    for key in ("UID", "X-REGISTRATION-ID", "X-BADGE-ID"):
        if key in props:
            registration_id = _unescape(props[key][0]).strip() or None
            break
    contact = clean_contact(raw, warnings)
    if not any(k in contact for k in ("first_name", "last_name", "email")) and not registration_id:
        raise BadgeError("vCard has no name (N or FN), no EMAIL and no UID", format_tried=FORMAT,
                         missing=["N", "EMAIL"])
    return ParsedBadge(format=FORMAT, contact=contact, registration_id=registration_id, warnings=warnings)


def _unescape(value: str) -> str:
    return re.sub(r"\\([\\,;nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _split(value: str) -> list[str]:
    """Split a structured value on unescaped semicolons."""
    return [_unescape(p).strip() for p in re.split(r"(?<!\\);", value)]
