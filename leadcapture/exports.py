"""An event's leads as CSV or XLSX, one row per lead, ready for a spreadsheet or a CRM import.

Columns: the contact, rating, score, grade, status and owner, one column per qualifier question
(English labels), notes, first and last met (event time zone), who met them,
consent, and source attribution. Text that a spreadsheet would run as a
formula (= + - @ ...) is neutralised. No Flask here.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import datetime
from operator import attrgetter

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .models import Event, Interaction, Lead

# Leading characters that make Excel, LibreOffice or Sheets evaluate a cell (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BATCH = 500  # leads per round trip: memory stays flat on big events
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"

Column = tuple[str, Callable[[Lead], object]]


def leads_csv(session: Session, event: Event) -> str:
    """All the event's leads as CSV text (comma-separated, header first, ordered by first met)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns = lead_columns(event)
    writer.writerow(_csv_cell(header) for header, _value in columns)
    for values in _rows(session, event, columns):
        writer.writerow(_csv_cell(v) for v in values)
    return out.getvalue()


def leads_xlsx(session: Session, event: Event) -> bytes:
    """All the event's leads as an XLSX workbook (one sheet "Leads"); dates are local to the event."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Leads")
    columns = lead_columns(event)
    bold = Font(bold=True)
    sheet.append([_xlsx_cell(sheet, header, font=bold) for header, _value in columns])
    for values in _rows(session, event, columns):
        sheet.append([_xlsx_cell(sheet, v) for v in values])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def lead_columns(event: Event) -> list[Column]:
    """(header, lead -> value) for every export column, in order; values are str, int, datetime or None."""
    tz = event.tz

    def local(moment: datetime | None) -> datetime | None:
        return moment.astimezone(tz).replace(microsecond=0) if moment else None

    return [
        *_attributes(("Lead ID", "id"), ("First name", "first_name"), ("Last name", "last_name"),
                     ("E-mail", "email"), ("Company", "company"), ("Job title", "job_title"), ("Phone", "phone"),
                     ("City", "city"), ("Country", "country"), ("Registration ID", "registration_id"),
                     ("Rating", "rating"), ("Score", "score"), ("Grade", "grade"), ("Status", "status")),
        ("Owner", lambda lead: lead.owner.name if lead.owner else None),
        *(_question_column(q) for q in event.settings.get("questions", [])),
        ("Notes", attrgetter("notes")),
        ("First met", lambda lead: local(lead.first_met_at)),
        ("Last met", lambda lead: local(lead.last_met_at)),
        ("Met by", _met_by),
        ("Consent", _consent_state),
        ("Consent text", _consent_text),
        ("Event", lambda _lead: event.slug),
        ("Campaign", lambda _lead: event.campaign_name),
        ("UTM source", lambda _lead: event.utm_source),
        ("UTM medium", lambda _lead: event.utm_medium),
        ("UTM campaign", lambda _lead: event.utm_campaign),
    ]


def _attributes(*columns: tuple[str, str]) -> list[Column]:
    """(header, attribute name) pairs -> columns that read the lead's attribute as it is."""
    return [(header, attrgetter(name)) for header, name in columns]


def _question_column(question: dict) -> Column:
    """A question's column: choice ids become their English labels, multi answers are joined with "; "."""
    labels = {o["id"]: o["label"]["en"] for o in question.get("options", [])}

    def answer(lead: Lead):
        value = (lead.answers or {}).get(question["id"])
        if value is None:
            return None
        if question["type"] == "multi":
            return "; ".join(labels.get(v, str(v)) for v in value)
        if question["type"] == "boolean":
            return "yes" if value else "no"
        if question["type"] == "number":
            return value
        return labels.get(value, str(value))  # an option removed since keeps its id

    return question["label"]["en"], answer


def _met_by(lead: Lead) -> str:
    """Who met the lead, first meeting first: staff names, else the device's name."""
    names: list[str] = []
    for interaction in lead.interactions:
        name = interaction.staff.name if interaction.staff else (
            interaction.device.name if interaction.device else None)
        if name and name not in names:
            names.append(name)
    return ", ".join(names)


def _consent_state(lead: Lead) -> str:
    """The latest consent answer: granted, refused, withdrawn (granted then taken back), or none."""
    if not lead.consents:
        return "none"
    latest = lead.consents[-1]
    if latest.withdrawn_at is not None:
        return "withdrawn"
    return "granted" if latest.granted else "refused"


def _consent_text(lead: Lead) -> str | None:
    """Which text the visitor answered, as language/version (e.g. fr/2026-01): the GDPR proof."""
    if not lead.consents:
        return None
    latest = lead.consents[-1]
    return f"{latest.language}/{latest.text_version}"


def _rows(session: Session, event: Event, columns: list[Column]) -> Iterator[list]:
    """One list of values per lead, ordered by first met; related rows come in a few batched queries."""
    query = (
        select(Lead).where(Lead.event_id == event.id)
        .order_by(Lead.first_met_at, Lead.id)
        .options(selectinload(Lead.interactions).selectinload(Interaction.staff),
                 selectinload(Lead.interactions).selectinload(Interaction.device),
                 selectinload(Lead.consents), selectinload(Lead.owner))
        .execution_options(yield_per=BATCH)
    )
    for lead in session.scalars(query):
        yield [value(lead) for _header, value in columns]


def _csv_cell(value) -> str:
    """A value as CSV text; text a spreadsheet would evaluate gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_START) else value
    return str(value)


def _xlsx_cell(sheet, value, font: Font | None = None) -> WriteOnlyCell:
    """A value as an XLSX cell: text always stored as text (never a formula), dates as local date-times."""
    if isinstance(value, datetime):
        # Excel has no time zones: store the event's wall-clock time, which is what people read.
        cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))
        cell.number_format = XLSX_DATETIME_FORMAT
    elif isinstance(value, str):
        # openpyxl would store "=..." as a formula and refuses control characters.
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"
    else:
        cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    return cell
