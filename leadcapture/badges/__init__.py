"""Badge payload -> contact. One module per format; no Flask.

`parse_badge` is the single entry point used by `capture.ingest` and the
`leadcapture parse-badge` command; `parse_badge_photo` decodes a photo's
barcodes first. The event's settings say which formats its badges may carry
(vCard, MECARD, e-mail and registration id unless the admin adds JSON, URL,
BIZCARD or a delimited field map); its country is the default region for
phone numbers.
"""
from __future__ import annotations

import re

from . import bizcard, delimited, json_badge, lookup, mecard, url, vcard
from .context import FORMATS, LABELS, BadgeContext, badge_context
from .contact import BadgeError, ParsedBadge, RawBadge, normalise_badge
from .images import BadgePhoto, parse_badge_image, read_badge_photo
from .keyboard import wrong_layout

__all__ = ["BadgeError", "BadgePhoto", "ParsedBadge", "parse_badge", "parse_badge_image", "parse_badge_photo",
           "MAX_PAYLOAD_BYTES"]

MAX_PAYLOAD_BYTES = 4096
# Tab, LF and CR are legitimate inside multi-line badges; any other control character
# (C0, DEL, C1) is not, nor are lone surrogates or U+FFFD, which mark bytes that were not text.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd]")
_NEEDS = {"vcard": vcard.NEEDS, "mecard": mecard.NEEDS, "bizcard": bizcard.NEEDS, "json": json_badge.NEEDS,
          "delimited": delimited.NEEDS, "url": url.NEEDS}
# What each format would have needed to be recognised, for the "not recognised" message.
_SIGNS = {"vcard": "a BEGIN:VCARD line", "mecard": "the MECARD: prefix", "bizcard": "the BIZCARD: prefix",
          "json": "a JSON object in { }", "url": "an http(s):// address",
          "email": "an e-mail address (one word with @)",
          "id": "a registration id (one word of letters and digits, with at least one digit)"}


def parse_badge(payload: str, settings: dict | None = None, country: str | None = None) -> ParsedBadge:
    """Parse one scanned badge.

    `settings` is the event's settings dict (its "badge" part is used) and
    `country` the event's ISO country, the default region for phone numbers.
    Returns a ParsedBadge (normalised contact fields, detected format,
    registration id, `needs_lookup` when the badge names nobody and only the
    roster can, warnings). Raises BadgeError, and nothing else, naming the
    formats tried and what was missing.
    """
    ctx = badge_context(settings, country)
    text = _screen(payload)
    fmt = _detect(text, ctx)
    if fmt not in ctx.formats:
        raise BadgeError(f"this is a {LABELS[fmt]} badge, but this event reads only {ctx.labels()}; "
                         f"add {fmt!r} to the event's badge formats", format_tried=LABELS[fmt])
    parsed = normalise_badge(_read(fmt, text, ctx), ctx.region)
    _check_identity(parsed)
    return parsed


def parse_badge_photo(data: bytes, settings: dict | None = None, country: str | None = None) -> BadgePhoto:
    """Photo bytes -> the first barcode on it that parses as a badge of this event, and notes about the photo.

    Raises BadgeError when the photo is unreadable, holds no barcode, or none is a badge.
    """
    return read_badge_photo(data, lambda payload: parse_badge(payload, settings, country))


def _screen(payload: str) -> str:
    """Refuse what is not badge text; return it without BOM and surrounding whitespace."""
    if not isinstance(payload, str):
        raise BadgeError("badge payload must be text")
    size = len(payload.encode("utf-8", errors="surrogatepass"))
    if size > MAX_PAYLOAD_BYTES:
        raise BadgeError(f"badge payload is {size} bytes; a badge holds at most {MAX_PAYLOAD_BYTES}")
    bad = _CONTROL.search(payload)
    if bad:
        binary = bad.group() in "\x00\ufffd" or len(_CONTROL.findall(payload)) > 2
        raise BadgeError(
            f"badge payload contains control character U+{ord(bad.group()):04X} at position {bad.start()}"
            + ("; it looks like binary data, not the text of a badge" if binary else "")
            + "; check the scanner's output settings"
        )
    text = payload.lstrip("\ufeff").strip()
    if not text:
        raise BadgeError("badge payload is empty")
    return text


def _detect(text: str, ctx: BadgeContext) -> str:
    """The format `text` is written in, or BadgeError saying what it lacked for each accepted format."""
    head = text[:16].upper()
    if head.startswith("BEGIN:VCARD"):
        return "vcard"
    if head.startswith("MECARD:"):
        return "mecard"
    if head.startswith("BIZCARD:"):
        return "bizcard"
    if text[0] in "{[":
        return "json"
    if head.startswith(("HTTP://", "HTTPS://")):
        return "url"
    if ctx.delimiter and ctx.delimiter in text:
        return "delimited"
    # Before e-mail: a record's fields often include an address.
    if delimited.looks_delimited(text):
        raise _not_recognised(text, ctx)
    if lookup.is_email(text):
        return "email"
    if lookup.is_registration_id(text):
        return "id"
    raise _not_recognised(text, ctx)


def _not_recognised(text: str, ctx: BadgeContext) -> BadgeError:
    tried = ctx.labels()
    layout = wrong_layout(text)
    if layout:
        return BadgeError(f"badge not recognised (tried {tried}): {layout}", format_tried=tried)
    if delimited.looks_delimited(text):
        return delimited.unconfigured(text, ctx.delimiter)
    signs = [_SIGNS[f] for f in _SIGNS if f in ctx.formats]
    if ctx.delimiter:
        signs.append(f"fields separated by {ctx.delimiter!r}")
    lacking = ", ".join(signs)
    return BadgeError(f"badge not recognised (tried {tried}); it has none of: {lacking}. "
                      f"It starts with {text[:30]!r}", format_tried=tried,
                      missing=[f for f in FORMATS if f in ctx.formats])


def _read(fmt: str, text: str, ctx: BadgeContext) -> RawBadge:
    if fmt == "vcard":
        return vcard.parse(text)
    if fmt == "mecard":
        return mecard.parse(text)
    if fmt == "bizcard":
        return bizcard.parse(text)
    if fmt == "json":
        return json_badge.parse(text)
    if fmt == "url":
        return url.parse(text, ctx.url_patterns)
    if fmt == "delimited":
        return delimited.parse(text, ctx.delimiter, ctx.fields)
    if fmt == "email":
        return lookup.parse_email(text)
    return lookup.parse_id(text)


def _check_identity(parsed: ParsedBadge) -> None:
    """A badge must name the visitor, or give an e-mail or registration id the roster can resolve."""
    contact = parsed.contact
    if contact.get("first_name") or contact.get("last_name") or contact.get("email") or parsed.registration_id:
        return
    label = LABELS[parsed.format]
    why = f" ({'; '.join(parsed.warnings)})" if parsed.warnings else ""
    raise BadgeError(f"{label} badge has no name, no e-mail and no registration id: it needs "
                     f"{_NEEDS[parsed.format]}{why}", format_tried=label, missing=["name", "email", "registration_id"])
