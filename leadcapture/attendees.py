"""The event's attendee roster: read the organiser's CSV, upsert attendees, complete leads.

`read_roster(bytes)` understands what organisers actually send: UTF-8 with or
without BOM or Windows-1252, separated by `,` `;` tab or `|`, with French or
English headers. `import_roster(session, event, roster, actor)` upserts the
rows (by registration id, else e-mail), rejects the rows a person must fix
with the reason, and fills in the leads that were scanned before the roster
knew the visitor. No Flask here; the caller commits.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.outbox import enqueue as enqueue_sync

from .actors import Actor
from .audit import record
from .badges.contact import CONTACT_FIELDS, name_key, normalise_email
from .badges.normalise import country_code
from .models import Attendee, Event, Lead
from .qualify import requalify

FIELDS = ("registration_id", "first_name", "last_name", "company", "email", "job_title", "phone", "city",
          "country")
# A row must name the person by at least one of these, so the header must offer one.
IDENTITY_FIELDS = ("registration_id", "email", "first_name", "last_name")
SEPARATORS = (",", ";", "\t", "|")
PROGRESS_EVERY = 100  # rows between progress callbacks: a bar per row would cost more than the import

# Header names as organisers write them; matched case-, accent-, space- and punctuation-insensitively.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": ("Prénom", "First name", "Firstname", "Given name", "Forename"),
    "last_name": ("Nom", "Nom de famille", "Last name", "Lastname", "Surname", "Family name"),
    "company": ("Société", "Entreprise", "Company", "Organisation", "Organization", "Raison sociale"),
    "email": ("E-mail", "Email", "Courriel", "Adresse e-mail", "Adresse mail", "Mail", "E-mail address"),
    "job_title": ("Fonction", "Poste", "Job title", "Title"),
    "phone": ("Téléphone", "Tél", "Phone", "Phone number", "Mobile", "Portable"),
    "city": ("Ville", "City"),
    "country": ("Pays", "Country"),
    "registration_id": ("N° d'inscription", "Nº d'inscription", "No d'inscription", "Numéro d'inscription",
                        "Numéro de badge", "N° de badge", "Registration id", "Registration number",
                        "Badge id", "Badge number", "ID", "Ref", "Référence", "Reference"),
}
LABELS = {"first_name": "first name", "last_name": "last name", "company": "company", "email": "e-mail",
          "job_title": "job title", "phone": "phone", "city": "city", "country": "country",
          "registration_id": "registration id"}

class RosterError(ValueError):
    """A roster file that cannot be read at all; the message says what to fix."""


@dataclass
class Roster:
    """A parsed roster file.

    `rows` holds (line number as a person sees it in the file, header = line 1,
    row) where a row maps field names to the stripped, non-empty cell values
    plus "extra": {header: value} for the columns no field claims.
    """

    headers: list[str]
    columns: dict[str, str]  # field -> the header it is read from
    separator: str
    encoding: str
    rows: list[tuple[int, dict]] = field(default_factory=list)


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0  # rows repeating a person met earlier in the same file
    completed_leads: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, what to fix)
    notes: list[str] = field(default_factory=list)  # worth knowing, nothing to fix in the file

    def summary(self) -> str:
        """One line, e.g. "200 rows: 150 created, 48 updated, 2 rejected; 3 incomplete leads completed"."""
        parts = [f"{self.created} created", f"{self.updated} updated"]
        if self.unchanged:
            parts.append(f"{self.unchanged} unchanged")
        if self.duplicates:
            parts.append(f"{self.duplicates} repeated in the file")
        parts.append(f"{len(self.rejected)} rejected")
        leads = "lead" if self.completed_leads == 1 else "leads"
        return (f"{self.rows} {'row' if self.rows == 1 else 'rows'}: {', '.join(parts)}; "
                f"{self.completed_leads} incomplete {leads} completed")


# --- reading the file ---------------------------------------------------------------------------

def read_roster(data: bytes) -> Roster:
    """Parse a roster file's bytes. Raises RosterError when there is no usable header or no text."""
    text, encoding = _decode(data)
    # Excel writes (and obeys) a first line "sep=;" naming the separator.
    declared = re.match(r"sep=(.)\r?\n", text, re.IGNORECASE)
    separator = declared.group(1) if declared else _sniff_separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        if declared:
            next(reader)
        headers = _header_row(reader)
        columns = _map_headers(headers)
        rows = list(_data_rows(reader, headers, columns))
    except csv.Error as exc:
        raise RosterError(f"line {reader.line_num}: {exc}; is this a CSV export of the roster?") from exc
    return Roster(headers=headers, columns={f: headers[i] for i, f in columns.items()},
                  separator=separator, encoding=encoding, rows=rows)


def _decode(data: bytes) -> tuple[str, str]:
    """Bytes -> (text, encoding name). Excel writes UTF-8 with a BOM, UTF-16, or Windows-1252."""
    if data.startswith(b"PK\x03\x04"):
        raise RosterError("this is an Excel workbook, not a CSV file; in Excel use "
                          "File > Save as > CSV UTF-8, then import that file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise RosterError(f"the file is neither UTF-8 nor Windows-1252 text (byte {exc.start}); "
                          "save it as CSV UTF-8 and import it again") from exc


def _sniff_separator(text: str) -> str:
    """The separator used most often on the header line, outside quotes; "," for a one-column file."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = dict.fromkeys(SEPARATORS, 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(SEPARATORS, key=lambda sep: counts[sep])  # ties: the earlier in SEPARATORS
    return best if counts[best] else ","


def _header_row(reader) -> list[str]:
    for cells in reader:
        if any(c.strip() for c in cells):
            return [c.strip() for c in cells]
    raise RosterError("the file is empty: expected a header line (e.g. Prénom;Nom;E-mail) and one line per attendee")


def _fold(text: str) -> str:
    """'N° d’Inscription ' -> 'ndinscription': headers compare without case, accents, spaces or punctuation."""
    decomposed = unicodedata.normalize("NFKD", text)
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in decomposed if not unicodedata.combining(c)).casefold())


_ALIAS_INDEX = {_fold(alias): name for name, aliases in HEADER_ALIASES.items() for alias in aliases}


def _map_headers(headers: list[str]) -> dict[int, str]:
    """Column index -> field. The first column claiming a field wins; later ones are kept as extra."""
    columns: dict[int, str] = {}
    for i, header in enumerate(headers):
        name = _ALIAS_INDEX.get(_fold(header))
        if name and name not in columns.values():
            columns[i] = name
    if not any(name in IDENTITY_FIELDS for name in columns.values()):
        seen = ", ".join(repr(h) for h in headers if h) or "nothing"
        understood = "; ".join(f"{LABELS[name]}: {', '.join(HEADER_ALIASES[name])}" for name in FIELDS)
        raise RosterError(
            f"no usable header line: the first line has {seen}, but no column gives a name, an e-mail or a "
            f"registration id. Put a header line first, with column names such as these ({understood})"
        )
    return columns


def _data_rows(reader, headers: list[str], columns: dict[int, str]):
    """Yield (line number, row) for each non-blank line after the header."""
    while True:
        line = reader.line_num + 1  # a quoted cell may span lines: the row starts here
        try:
            cells = next(reader)
        except StopIteration:
            return
        row: dict = {"extra": {}}
        for i, cell in enumerate(cells):
            value = cell.strip()
            if not value:
                continue
            if i in columns:
                row[columns[i]] = value
            else:
                header = headers[i] if i < len(headers) and headers[i] else f"column {i + 1}"
                key = header if header not in row["extra"] else f"{header} (column {i + 1})"
                row["extra"][key] = value
        if len(row) > 1 or row["extra"]:  # Excel leaves lines of bare separators at the end
            yield line, row


# --- importing ----------------------------------------------------------------------------------

def import_roster(session: Session, event: Event, roster: Roster, actor: Actor,
                  progress: Callable[[int], object] | None = None) -> ImportReport:
    """Upsert the roster's attendees into the event; complete the leads they resolve.

    A row matches an attendee by registration id, else by e-mail (else, for a
    row with only a name, by name and company), so importing a corrected file
    again updates instead of duplicating. Non-empty cells overwrite; empty
    cells leave what was there. Bad rows are listed in the report with what to
    fix and the good rows are imported anyway. `progress(n)` is told as rows
    are done. Only flushes: the caller's transaction decides.
    """
    report = ImportReport(rows=len(roster.rows))
    index = _AttendeeIndex(session, event)
    first_line: dict[Attendee, int] = {}  # attendees this file touched -> the line that did
    pending = 0
    for line, row in roster.rows:
        try:
            values = _clean_row(row)
        except _RowRejected as exc:
            report.rejected.append((line, str(exc)))
        else:
            _upsert(session, event, index, first_line, report, line, values)
        pending += 1
        if progress is not None and pending == PROGRESS_EVERY:
            progress(pending)
            pending = 0
    if progress is not None and pending:
        progress(pending)
    session.flush()
    report.completed_leads = _complete_leads(session, event, index, actor, report)
    record(session, actor, "attendees.import", "event", event.id, event.id, {
        "rows": report.rows, "created": report.created, "updated": report.updated,
        "unchanged": report.unchanged, "duplicates": report.duplicates, "rejected": len(report.rejected),
        "completed_leads": report.completed_leads, "columns": roster.columns,
        "separator": roster.separator, "encoding": roster.encoding,
    })
    session.flush()
    return report


class _RowRejected(ValueError):
    pass


_LENGTHS = {name: Attendee.__table__.c[name].type.length for name in FIELDS}  # longer values fail on PostgreSQL


def _clean_row(row: dict) -> dict:
    """Roster row -> attendee values (normalised e-mail, ISO country). Raises _RowRejected with every problem."""
    values = {name: re.sub(r"\s+", " ", row[name]) for name in FIELDS if row.get(name)}
    values["extra"] = dict(row.get("extra", {}))  # the attendee gets its own copy, not the roster's
    problems = []
    if "email" in values:
        email, problem = normalise_email(values["email"])
        if problem:
            problems.append(f"e-mail {values['email']!r} is not valid ({problem}); correct it or empty the cell")
        values["email"] = email
    if "country" in values:
        code = country_code(values["country"])
        if code is None:
            problems.append(f"country {values['country']!r} is not known; write a two-letter ISO code "
                            f"such as FR, BE or CH, or a name such as France")
        values["country"] = code
    for name, value in values.items():
        limit = _LENGTHS.get(name)
        if limit and value and len(value) > limit:
            problems.append(f"{LABELS[name]} is {len(value)} characters long; at most {limit} fit")
    if not problems and not any(values.get(n) for n in IDENTITY_FIELDS):
        problems.append("no registration id, e-mail or name: fill at least one of them")
    if problems:
        raise _RowRejected("; ".join(problems))
    return values


class _AttendeeIndex:
    """All the event's attendees, loaded once, findable by registration id, e-mail or name."""

    def __init__(self, session: Session, event: Event):
        self.by_reg: dict[str, Attendee] = {}
        self.by_email: dict[str, Attendee] = {}
        self.by_name: dict[str, Attendee] = {}  # attendees known by name only
        for attendee in session.scalars(select(Attendee).where(Attendee.event_id == event.id)):
            self.add(attendee)

    def add(self, a: Attendee) -> None:
        if a.registration_id:
            self.by_reg[a.registration_id] = a
        if a.email:
            self.by_email.setdefault(a.email, a)
        if not (a.registration_id or a.email) and (key := _attendee_name_key(a)):
            self.by_name.setdefault(key, a)

    def remove(self, a: Attendee) -> None:
        """Forget a's keys before they change, so its old e-mail no longer finds it."""
        for mapping, key in ((self.by_reg, a.registration_id), (self.by_email, a.email),
                             (self.by_name, _attendee_name_key(a))):
            if key and mapping.get(key) is a:
                del mapping[key]

    def match(self, values: dict) -> Attendee | None:
        reg, email = values.get("registration_id"), values.get("email")
        if reg:
            if reg in self.by_reg:
                return self.by_reg[reg]
            # Imported before without ids: the same e-mail is the same person; another id is another one.
            found = self.by_email.get(email) if email else None
            return found if found is not None and found.registration_id is None else None
        if email:
            return self.by_email.get(email)
        return self.by_name.get(name_key(values.get("first_name"), values.get("last_name"), values.get("company")))

    def for_lead(self, lead: Lead) -> Attendee | None:
        return (self.by_reg.get(lead.registration_id) if lead.registration_id else None) or (
            self.by_email.get(lead.email) if lead.email else None)


def _attendee_name_key(a: Attendee) -> str | None:
    return name_key(a.first_name, a.last_name, a.company)


def _upsert(session: Session, event: Event, index: _AttendeeIndex, first_line: dict[Attendee, int],
            report: ImportReport, line: int, values: dict) -> None:
    """Create or update the attendee of one clean row, and count what happened."""
    attendee = index.match(values)
    if attendee is None:
        attendee = Attendee(event_id=event.id, extra=values["extra"],
                            **{name: values.get(name) for name in FIELDS})
        session.add(attendee)
        index.add(attendee)
        first_line[attendee] = line
        report.created += 1
        return
    index.remove(attendee)
    changed = _apply(attendee, values)
    index.add(attendee)
    if attendee in first_line:
        report.duplicates += 1
        report.notes.append(f"line {line} repeats the person of line {first_line[attendee]}; "
                            f"line {line}'s values win where both lines have one")
        return
    first_line[attendee] = line
    if changed:
        report.updated += 1
    else:
        report.unchanged += 1


def _apply(attendee: Attendee, values: dict) -> bool:
    """Copy the row's non-empty values onto the attendee; True when something changed."""
    changed = False
    for name in FIELDS:
        value = values.get(name)
        if value is not None and getattr(attendee, name) != value:
            setattr(attendee, name, value)
            changed = True
    extra = {**(attendee.extra or {}), **values["extra"]}
    if extra != attendee.extra:
        attendee.extra = extra  # a new dict: JSON columns do not see in-place changes
        changed = True
    return changed


def _complete_leads(session: Session, event: Event, index: _AttendeeIndex, actor: Actor,
                    report: ImportReport) -> int:
    """Fill the blanks of incomplete leads (scanned as an id or e-mail only) whom the roster now names."""
    incomplete = session.scalars(select(Lead).where(Lead.event_id == event.id, Lead.incomplete.is_(True))).all()
    matches = [(lead, a) for lead in incomplete
               if (a := index.for_lead(lead)) is not None and (a.first_name or a.last_name)]
    if not matches:
        return 0
    emails = {a.email for _lead, a in matches if a.email}
    # A lead keeps its e-mail unique in the event: two leads with one address must be merged by a person.
    email_owner = dict(session.execute(
        select(Lead.email, Lead.id).where(Lead.event_id == event.id, Lead.email.in_(emails))).all())
    for lead, attendee in matches:
        filled = []
        for name in CONTACT_FIELDS:
            value = getattr(attendee, name)
            if not value or getattr(lead, name):
                continue
            if name == "email" and email_owner.get(value, lead.id) != lead.id:
                report.notes.append(f"lead {lead.id} is {value}, who already has lead {email_owner[value]}; "
                                    "merge the two leads")
                continue
            setattr(lead, name, value)
            filled.append(name)
        if lead.email:
            email_owner.setdefault(lead.email, lead.id)
        if attendee.registration_id and not lead.registration_id:
            lead.registration_id = attendee.registration_id
            filled.append("registration_id")
        lead.attendee_id = attendee.id
        lead.name_key = lead.name_key or name_key(lead.first_name, lead.last_name, lead.company)
        lead.incomplete = False
        record(session, actor, "lead.complete", "lead", lead.id, event.id,
               {"attendee_id": attendee.id, "filled": filled})
    requalify(session, event, [lead for lead, _attendee in matches])  # a completed lead may score higher
    enqueue_sync(session, event.id, [lead.id for lead, _attendee in matches])  # e.g. now has an e-mail
    return len(matches)
