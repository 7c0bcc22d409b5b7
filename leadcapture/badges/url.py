"""URL badges: https://tickets.example/t/SB123456 or https://example/checkin?id=42.

The badge's QR code links to the registration system; the registration id is
in the URL. The event's patterns (regular expressions with one group, or a
group named "id") say where; by default it is an `id` or `ref` query
parameter, else the last path segment.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

from .contact import BadgeError, RawBadge
from .lookup import is_registration_id

FORMAT = "url"
NEEDS = "a registration id in the URL"
_QUERY_KEYS = ("id", "ref")


def parse(text: str, patterns: tuple[re.Pattern, ...]) -> RawBadge:
    """A URL -> RawBadge with its registration id. Raises BadgeError when the URL carries none."""
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            value = match.group("id") if "id" in pattern.groupindex else match.group(1)
            if value:
                return RawBadge(format=FORMAT, registration_id=unquote(value))
    try:
        parts = urlsplit(text)
    except ValueError as exc:  # e.g. a malformed [IPv6] host
        raise BadgeError(f"URL badge cannot be read: {exc}", format_tried=FORMAT, missing=["valid URL"]) from None
    query = {k.lower(): v for k, v in reversed(parse_qsl(parts.query)) if v.strip()}
    value = next((query[k] for k in _QUERY_KEYS if k in query), None)
    if value is None:
        last = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
        value = last if is_registration_id(last) else None
    if value is None:
        tried = "the event's URL patterns, " if patterns else ""
        raise BadgeError(f"URL badge {text[:80]!r} carries no registration id: tried {tried}an id or ref "
                         "query parameter and the last path segment; add a URL pattern to the event's badge "
                         "settings if the id is elsewhere", format_tried=FORMAT, missing=["registration id"])
    return RawBadge(format=FORMAT, registration_id=value.strip())
