"""Badge payload -> contact. One module per format; no Flask.

`parse_badge` is the single entry point used by `capture.ingest` and the
`leadcapture parse-badge` command. The formats here are the minimal set
(vCard, MECARD, e-mail, registration id); richer formats plug in behind the
same function.
"""
from __future__ import annotations

import re

from . import mecard, vcard
from .contact import BadgeError, ParsedBadge, normalise_email

__all__ = ["BadgeError", "ParsedBadge", "parse_badge", "MAX_PAYLOAD_BYTES"]

MAX_PAYLOAD_BYTES = 4096
# Tab, LF and CR are legitimate inside multi-line badges; any other control character is not.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BARE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-./:#]{1,63}$")
TRIED = "vCard, MECARD, e-mail, registration id"


def parse_badge(payload: str, settings: dict | None = None) -> ParsedBadge:
    """Parse one scanned badge.

    Returns a ParsedBadge (contact fields, detected format, registration id,
    `needs_lookup` when only an id or e-mail was on the badge, warnings).
    Raises BadgeError saying which format was tried and what was wrong.
    """
    if not isinstance(payload, str):
        raise BadgeError("badge payload must be text")
    size = len(payload.encode("utf-8"))
    if size > MAX_PAYLOAD_BYTES:
        raise BadgeError(f"badge payload is {size} bytes; a badge holds at most {MAX_PAYLOAD_BYTES}")
    bad = _CONTROL.search(payload)
    if bad:
        raise BadgeError(
            f"badge payload contains control character U+{ord(bad.group()):04X} at position {bad.start()}; "
            "check the scanner's output settings"
        )
    text = payload.lstrip("\ufeff").strip()
    if not text:
        raise BadgeError("badge payload is empty")
    upper = text[:12].upper()
    if upper.startswith("BEGIN:VCARD"):
        return vcard.parse(text)
    if upper.startswith("MECARD:"):
        return mecard.parse(text)
    if "@" in text and not any(c.isspace() for c in text):
        email, problem = normalise_email(text)
        if problem:
            raise BadgeError(f"badge looks like an e-mail address but {problem}", format_tried="email")
        return ParsedBadge(format="email", contact={"email": email}, needs_lookup=True)
    if _BARE_ID.match(text):
        return ParsedBadge(format="id", contact={}, registration_id=text, needs_lookup=True)
    raise BadgeError(
        f"badge not recognised (tried {TRIED}); it starts with {text[:30]!r}",
        format_tried=TRIED,
    )
