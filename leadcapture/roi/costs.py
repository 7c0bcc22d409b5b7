"""An event's cost ledger: categories, one validated write path (web form, CSV import), audited.

Amounts are given as decimal text in their currency and stored in minor
units; staff time is days x daily rate (rounded half-up to the minor unit).
Costs are converted to the reporting currency at the rate of their date (the
event's last day when they have none).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..actors import Actor
from ..audit import record
from ..models import Event
from ..models.roi import EventCost
from .money import MoneyError, check_currency, parse_amount
from .rates import RateBook

CATEGORIES = {
    "floor_space": _l("Floor space"),
    "stand": _l("Stand design and build"),
    "show_services": _l("Show services (power, internet, cleaning)"),
    "shipping": _l("Shipping and storage"),
    "travel": _l("Travel and accommodation"),
    "promotion": _l("Promotion and sponsorship"),
    "giveaways": _l("Giveaways"),
    "lead_retrieval": _l("Lead-retrieval fees"),
    "staff_time": _l("Staff time (days x daily rate)"),
    "other": _l("Other"),
}
KINDS = ("planned", "actual")


class CostSchema(Schema):
    """One cost line as a person types it; amounts are text so that '12,50' and '12.50' both work."""

    category = fields.String(required=True, validate=validate.OneOf(list(CATEGORIES)))
    kind = fields.String(load_default="actual", validate=validate.OneOf(KINDS))
    amount = fields.String(load_default=None, allow_none=True)
    currency = fields.String(required=True)
    days = fields.String(load_default=None, allow_none=True)
    daily_rate = fields.String(load_default=None, allow_none=True)
    supplier = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    spent_on = fields.Date(load_default=None, allow_none=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))

    @validates_schema
    def _money(self, data, **_kwargs):
        """Turns the text amounts into minor units (as `amount_minor`, `days`, `daily_rate_minor`)."""
        try:
            data["currency"] = check_currency(data.get("currency"))
        except MoneyError as exc:
            raise ValidationError(str(exc), "currency") from None
        currency = data["currency"]
        if data["category"] == "staff_time":
            try:
                days = Decimal((data.get("days") or "").replace(",", "."))
            except InvalidOperation:
                raise ValidationError("staff time needs a number of days, e.g. 3 or 2.5", "days") from None
            if not days.is_finite() or days <= 0 or days != days.quantize(Decimal("0.01")):
                raise ValidationError("days must be more than 0, with at most 2 decimals", "days")
            try:
                rate = parse_amount(data.get("daily_rate") or "", currency)
            except MoneyError as exc:
                raise ValidationError(str(exc), "daily_rate") from None
            data["days"], data["daily_rate_minor"] = days, rate
            data["amount_minor"] = int((days * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            return
        if data.get("days") or data.get("daily_rate"):
            raise ValidationError("days and daily rate are for staff time only", "days")
        try:
            data["amount_minor"] = parse_amount(data.get("amount") or "", currency)
        except MoneyError as exc:
            raise ValidationError(str(exc), "amount") from None
        data["days"] = data["daily_rate_minor"] = None


def _row(event: Event, values: dict, actor: Actor) -> EventCost:
    values = {k: v for k, v in values.items() if k not in ("amount", "daily_rate")}
    return EventCost(event_id=event.id, created_by_user_id=actor.user.id if actor.user else None, **values)


def add_cost(session: Session, event: Event, data: dict, actor: Actor) -> EventCost:
    """Validate and add one cost line; raises marshmallow.ValidationError (per field). Flushes only."""
    row = _row(event, CostSchema().load(data), actor)
    session.add(row)
    session.flush()
    record(session, actor, "roi.cost.add", "event_cost", row.id, event.id, _audit(row))
    return row


def delete_cost(session: Session, row: EventCost, actor: Actor) -> None:
    record(session, actor, "roi.cost.delete", "event_cost", row.id, row.event_id, _audit(row))
    session.delete(row)
    session.flush()


def import_costs(session: Session, event: Event, text: str, actor: Actor) -> int:
    """CSV with a header: category, kind, amount, currency, supplier, spent_on, note, days, daily_rate.

    Every line is validated first; if any is wrong, nothing is stored and
    ValidationError lists the lines ({"line 3": {field: [message]}}).
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    unknown = set(reader.fieldnames or []) - set(CostSchema().fields)
    if unknown or not reader.fieldnames:
        raise ValidationError({"file": [f"unknown columns: {', '.join(sorted(unknown)) or '(no header)'}; use "
                                         f"{', '.join(CostSchema().fields)}"]})
    loaded, errors = [], {}
    for line, raw in enumerate(reader, start=2):
        try:
            loaded.append(CostSchema().load({k: (v.strip() or None) if isinstance(v, str) else v
                                             for k, v in raw.items()}))
        except ValidationError as exc:
            errors[f"line {line}"] = exc.messages
    if errors:
        raise ValidationError(errors)
    for values in loaded:
        row = _row(event, values, actor)
        session.add(row)
        session.flush()
        record(session, actor, "roi.cost.import", "event_cost", row.id, event.id, _audit(row))
    return len(loaded)


def _audit(row: EventCost) -> dict:
    return {"category": row.category, "kind": row.kind, "amount_minor": row.amount_minor, "currency": row.currency,
            "supplier": row.supplier, "spent_on": row.spent_on.isoformat() if row.spent_on else None}


@dataclass(frozen=True)
class CostLine:
    row: EventCost
    minor: int | None  # in the reporting currency; None when no rate converts it
    rate: Decimal | None
    rate_date: date | None
    error: str | None


def event_costs(session: Session, event: Event, book: RateBook) -> list[CostLine]:
    """Every ledger line of the event, converted (or with the reason it could not be)."""
    lines = []
    for row in session.scalars(select(EventCost).where(EventCost.event_id == event.id)
                               .order_by(EventCost.category, EventCost.id)):
        try:
            c = book.convert(row.amount_minor, row.currency, row.spent_on or event.ends_on)
            lines.append(CostLine(row, c.minor, c.rate, c.rate_date, None))
        except LookupError as exc:
            lines.append(CostLine(row, None, None, None, str(exc)))
    return lines
