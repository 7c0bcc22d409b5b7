"""The per-event facts a badge parser needs, read once from the event's settings.

The settings are validated when they are saved (event_settings.py); this
module only reads them, with defaults for events saved before a key existed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# Order used in messages ("tried vCard, MECARD, ..."); the settings schema offers the same names.
FORMATS = ("vcard", "mecard", "email", "id", "delimited", "json", "url", "bizcard")
# A new event reads what visitors' phones and typed entries give; the show's own
# badge format (JSON, URL, BIZCARD, delimited) is chosen by the admin.
DEFAULT_FORMATS = ("vcard", "mecard", "email", "id")
LABELS = {"vcard": "vCard", "mecard": "MECARD", "email": "e-mail", "id": "registration id",
          "delimited": "delimited record", "json": "JSON", "url": "URL", "bizcard": "BIZCARD"}


@dataclass(frozen=True)
class BadgeContext:
    formats: frozenset[str]
    delimiter: str | None = None  # with `fields`: the event's field map for delimited records
    fields: tuple[str, ...] = ()
    url_patterns: tuple[re.Pattern, ...] = ()
    region: str | None = None  # ISO country for national phone numbers

    def labels(self) -> str:
        """The accepted formats for a message: "vCard, MECARD, e-mail, registration id"."""
        return ", ".join(LABELS[f] for f in FORMATS if f in self.formats)


def badge_context(settings: dict | None, country: str | None = None) -> BadgeContext:
    """Event settings (the whole settings dict) and the event's country -> BadgeContext."""
    badge = (settings or {}).get("badge") or {}
    formats = frozenset(badge.get("formats") or DEFAULT_FORMATS)
    delimited = badge.get("delimited") or {}
    return BadgeContext(
        formats=formats,
        delimiter=delimited.get("delimiter") if "delimited" in formats else None,
        fields=tuple(delimited.get("fields") or ()),
        url_patterns=tuple(re.compile(p) for p in badge.get("url_patterns") or ()),
        region=country.upper() if country else None,
    )
