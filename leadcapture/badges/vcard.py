"""vCard 2.1, 3.0 and 4.0 badges, read tolerantly.

Badge printers and phones write vCards that strict readers (vobject among
them) refuse: no END:VCARD, bare 2.1 parameters, quoted-printable with or
without a CHARSET, lowercase names. This reader takes what it can and warns
about what it had to guess. What it cannot read safely it refuses, in
particular a vCard whose line breaks a keyboard-wedge scanner dropped: its
fields run together, and guessing where they split could give a wrong contact.
"""
from __future__ import annotations

import quopri
import re
from dataclasses import dataclass

from .contact import BadgeError, RawBadge

FORMAT = "vcard"
NEEDS = "a name (N or FN), an EMAIL or a registration id (UID)"
# Only these properties are decoded; photos and the like are skipped unread.
_WANTED = frozenset({"N", "FN", "ORG", "TITLE", "ROLE", "EMAIL", "TEL", "ADR", "UID",
                     "X-REGISTRATION-ID", "X-BADGE-ID", "X-ATTENDEE-ID", "X-TICKET-ID"})
_ID_PROPERTIES = ("X-REGISTRATION-ID", "X-BADGE-ID", "X-ATTENDEE-ID", "X-TICKET-ID", "UID")
_VERSION = re.compile(r"^VERSION:[ \t]*([0-9.]+)", re.IGNORECASE | re.MULTILINE)
_NAME = re.compile(r"(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)")
_ESCAPE = re.compile(r"\\(.)")
# Mail clients and browsers read a declared ISO-8859-1 as Windows-1252 (same letters, plus € and œ).
_CHARSET_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252"}
_NOT_MAIN_PHONE = frozenset({"FAX", "PAGER"})


@dataclass
class _Property:
    name: str
    params: dict[str, str]  # KEY -> value, for KEY=value parameters
    types: frozenset[str]  # TYPE values and bare 2.1 parameters, uppercase
    value: str  # decoded, still escaped
    order: int

    def rank(self) -> int:
        """Lower is preferred: 4.0 PREF=1..100, then 2.1/3.0 PREF flags, then the rest."""
        pref = self.params.get("PREF", "")
        if pref.isdigit():
            return int(pref)
        return 0 if "PREF" in self.types else 101


def parse(text: str) -> RawBadge:
    """vCard text (BOM and outer whitespace already stripped) -> RawBadge.

    Warns about a missing END:VCARD, a second vCard, lines that are not
    properties and guessed charsets. Raises BadgeError when the line breaks
    are gone or nothing but the BEGIN line arrived.
    """
    _refuse_run_together(text)
    warnings: list[str] = []
    version = _version(text)
    props = _properties(_logical_lines(text, version), warnings)
    by_name: dict[str, list[_Property]] = {}
    for prop in props:
        by_name.setdefault(prop.name, []).append(prop)
    fields = _name_fields(by_name)
    fields.update(_other_fields(by_name))
    return RawBadge(format=FORMAT, fields=fields, registration_id=_registration_id(by_name), warnings=warnings)


def _refuse_run_together(text: str) -> None:
    if "\n" in text or "\r" in text:
        return
    if len(text) <= len("BEGIN:VCARD") + 1:
        raise BadgeError(
            "only the BEGIN:VCARD line of a vCard arrived: the scanner probably sends Enter for each line "
            "break and the form was submitted after the first line. Scan with the tablet's camera, or set "
            "the scanner to send line breaks as characters rather than Enter",
            format_tried=FORMAT, missing=["line breaks"])
    raise BadgeError(
        "this vCard arrived on one line: the scanner dropped its line breaks, so its fields run together "
        "and cannot be told apart safely. Set the scanner to transmit line breaks (enable CR/LF or "
        "'control characters' output in its configuration codes), or scan with the tablet's camera",
        format_tried=FORMAT, missing=["line breaks"])


def _version(text: str) -> str:
    match = _VERSION.search(text)
    return match.group(1) if match else "3.0"


def _logical_lines(text: str, version: str) -> list[str]:
    """Physical lines -> content lines: unfolded, quoted-printable soft line breaks joined.

    vCard 2.1 unfolds by dropping the line break only (RFC 822); 3.0 and 4.0
    also drop the one space or tab that starts the continuation.
    """
    keep_space = version.startswith("2")
    lines: list[str] = []
    for line in text.splitlines():
        if lines and lines[-1].endswith("=") and _is_quoted_printable(lines[-1]):
            lines[-1] = lines[-1][:-1] + (line if keep_space else line.lstrip(" \t"))
        elif lines and line[:1] in (" ", "\t"):
            lines[-1] += line if keep_space else line[1:]
        else:
            lines.append(line)
    return lines


def _is_quoted_printable(line: str) -> bool:
    head = line.split(":", 1)[0].upper()
    return "QUOTED-PRINTABLE" in head


def _properties(lines: list[str], warnings: list[str]) -> list[_Property]:
    """Content lines between BEGIN and END -> the wanted properties, values decoded."""
    props: list[_Property] = []
    ignored: list[str] = []
    ended = False
    for order, line in enumerate(lines[1:]):
        if not line.strip():
            continue
        head, sep, value = _split_line(line)
        match = _NAME.fullmatch(head.split(";", 1)[0].strip())
        if not sep or match is None:
            ignored.append(line)
            continue
        name = match.group(1).upper()
        if name == "END":
            ended = True
            break
        if name == "BEGIN":
            warnings.append("the badge holds more than one vCard; only the first was read")
            ended = True
            break
        if name in _WANTED:
            prop = _property(name, head, value, order, warnings)
            if prop is not None:
                props.append(prop)
    if ignored:
        warnings.append(f"{len(ignored)} vCard line(s) are not properties and were ignored, "
                        f"the first: {ignored[0][:30]!r}")
    if not ended:
        warnings.append("vCard has no END:VCARD line; it may be cut short, check the whole code was scanned")
    return props


def _split_line(line: str) -> tuple[str, str, str]:
    """Split "NAME;PARAMS:value" at the first colon outside a quoted parameter value."""
    head, sep, value = line.partition(":")
    if '"' not in head:
        return head, sep, value
    quoted = False
    for i, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return line[:i], ":", line[i + 1:]
    return line, "", ""


def _property(name: str, head: str, value: str, order: int, warnings: list[str]) -> _Property | None:
    params: dict[str, str] = {}
    types: set[str] = set()
    for param in _split_params(head)[1:]:
        key, eq, val = param.partition("=")
        key = key.strip().upper()
        if not eq:  # vCard 2.1 bare parameter: TEL;WORK;VOICE, or ;QUOTED-PRINTABLE
            types.add(key)
        elif key == "TYPE":
            types.update(v.strip().strip('"').upper() for v in val.split(","))
        else:
            params[key] = val.strip().strip('"')
    encoding = params.get("ENCODING", "").upper()
    if encoding in ("B", "BASE64") or types & {"BASE64", "B"}:
        warnings.append(f"vCard property {name} is base64-encoded; ignored")
        return None
    if encoding == "QUOTED-PRINTABLE" or "QUOTED-PRINTABLE" in types:
        value = _decode_quoted_printable(name, value, params.get("CHARSET"), warnings)
    return _Property(name, params, frozenset(types), value, order)


def _split_params(head: str) -> list[str]:
    if '"' not in head:
        return head.split(";")
    parts, current, quoted = [], [], False
    for char in head:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _decode_quoted_printable(name: str, value: str, charset: str | None, warnings: list[str]) -> str:
    """Quoted-printable text -> str, in the declared CHARSET, else UTF-8, else Windows-1252 (with a warning)."""
    raw = quopri.decodestring(value.encode("utf-8"))
    if charset:
        codec = _CHARSET_ALIASES.get(charset.lower(), charset)
        try:
            return raw.decode(codec)
        except (LookupError, UnicodeDecodeError):
            warnings.append(f"vCard property {name} is not valid {charset}; read as UTF-8 or Windows-1252")
    if raw.isascii():
        return raw.decode("ascii")
    try:
        decoded = raw.decode("utf-8")
        guess = "UTF-8"
    except UnicodeDecodeError:
        decoded = raw.decode("cp1252", errors="replace")
        guess = "Windows-1252"
    if not charset:
        warnings.append(f"vCard property {name} declares no CHARSET; read as {guess}")
    return decoded


def _unescape(value: str) -> str:
    r"""Undo vCard escapes: \, \; \\ \n (a line break, which becomes a space in a contact field)."""
    if "\\" not in value:
        return value.strip()
    return _ESCAPE.sub(lambda m: " " if m.group(1) in "nN" else m.group(1), value).strip()


def _split(value: str, sep: str) -> list[str]:
    """Split on `sep` where it is not escaped; the parts stay escaped."""
    if "\\" not in value:
        return value.split(sep)
    # Control characters never reach the parsers, so they can stand in for the escapes.
    protected = value.replace("\\\\", "\x00").replace("\\" + sep, "\x01")
    return [part.replace("\x01", "\\" + sep).replace("\x00", "\\\\") for part in protected.split(sep)]


def _component(parts: list[str], index: int) -> str:
    """One component of a structured value; its list values (3.0 "Jean,Pierre") joined by spaces."""
    if index >= len(parts):
        return ""
    return " ".join(v for v in (_unescape(p) for p in _split(parts[index], ",")) if v)


def _best(props: list[_Property] | None, avoid: frozenset[str] = frozenset()) -> _Property | None:
    """The preferred property by PREF, then by order; those of an `avoid` type only if nothing else."""
    if not props:
        return None
    usable = [p for p in props if not (p.types & avoid)] or props
    return min(usable, key=lambda p: (p.rank(), p.order))


def _name_fields(by_name: dict[str, list[_Property]]) -> dict[str, str]:
    """N (family;given;additional;prefix;suffix), or FN when N gives no name."""
    fields: dict[str, str] = {}
    n = _best(by_name.get("N"))
    if n is not None:
        parts = _split(n.value, ";")
        given = " ".join(v for v in (_component(parts, 1), _component(parts, 2)) if v)
        fields["last_name"], fields["first_name"] = _component(parts, 0), given
    fn = _best(by_name.get("FN"))
    if fn is not None and not (fields.get("first_name") or fields.get("last_name")):
        fields["full_name"] = _unescape(fn.value)
    return fields


def _other_fields(by_name: dict[str, list[_Property]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    if org := _best(by_name.get("ORG")):
        # "Company;Department": the company is what the CRM matches on.
        fields["company"] = _component(_split(org.value, ";"), 0)
    if title := _best(by_name.get("TITLE")) or _best(by_name.get("ROLE")):
        fields["job_title"] = _unescape(title.value)
    if email := _best(by_name.get("EMAIL")):
        fields["email"] = _unescape(email.value).removeprefix("mailto:")
    if tel := _best(by_name.get("TEL"), avoid=_NOT_MAIN_PHONE):
        # 4.0 writes a tel: URI, with ";ext=" for an extension.
        fields["phone"] = _unescape(tel.value).removeprefix("tel:").replace(";ext=", " ext. ")
    if adr := _best(by_name.get("ADR")):
        parts = _split(adr.value, ";")
        fields["city"], fields["country"] = _component(parts, 3), _component(parts, 6)
    return fields


def _registration_id(by_name: dict[str, list[_Property]]) -> str | None:
    for name in _ID_PROPERTIES:
        prop = _best(by_name.get(name))
        if prop is None:
            continue
        value = _unescape(prop.value)
        # Phones' contact apps write a random urn:uuid UID; a badge system writes its registration id.
        if value and not value.lower().startswith("urn:uuid:"):
            return value
    return None
