"""Storing deals: what connectors pull back (incremental, idempotent) and CSV imports of deals.

A deal is upserted by (origin, CRM id): "connector:<id>" for a pull, "csv"
for an import, so pulling or importing twice stores it once. Its links to our
leads are replaced by the CRM's current ones on every store.
"""
from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from marshmallow import ValidationError
from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from sync.base import Connector
from sync.configs import build
from sync.outcomes import LinkedOutcome, pull

from ..actors import Actor
from ..audit import record
from ..db import utcnow
from ..models import CrmConnector, Lead
from ..models.roi import Deal, DealLead
from .config import load as load_settings
from .money import MoneyError, check_currency, parse_amount
from .rates import RateBook

log = logging.getLogger(__name__)
OVERLAP = timedelta(minutes=5)  # a deal changed while we were pulling is pulled again next time
DEAL_COLUMNS = ("crm_id", "name", "stage", "status", "amount", "currency", "created_on", "close_date", "emails")


@dataclass(frozen=True)
class DealValues:
    crm_id: str
    name: str
    stage: str | None
    status: str
    amount_minor: int | None
    currency: str | None
    created_on: date
    close_date: date | None
    contact_ids: tuple[str, ...]
    lead_ids: tuple[int, ...]
    modified_at: datetime | None = None  # the CRM's last change


def from_outcome(item: LinkedOutcome, default_currency: str, today: date) -> DealValues:
    """A pulled outcome as stored values; an amount the CRM gave in a form we cannot read is kept as None."""
    o = item.outcome
    currency = (o.currency or default_currency).upper()
    try:
        amount = parse_amount(o.amount, check_currency(currency)) if o.amount not in (None, "") else None
    except MoneyError:
        log.warning("deal %s: amount %r %s not understood; stored without amount", o.crm_id, o.amount, currency)
        amount = None
    status = "won" if o.is_won else "lost" if o.is_closed else "open"
    return DealValues(o.crm_id, o.name[:300], o.stage, status, amount, currency[:3], o.created_on or today,
                      o.close_date, tuple(o.contact_ids), item.lead_ids, o.modified_at)


def store(session: Session, origin: str, connector_id: int | None, values: list[DealValues]) -> dict:
    """Upsert deals and their lead links; returns {"created": n, "updated": n}. Flushes only."""
    counts = {"created": 0, "updated": 0}
    existing = {}
    ids = [v.crm_id for v in values]
    for start in range(0, len(ids), 1000):
        existing.update({d.crm_id: d for d in session.scalars(
            select(Deal).where(Deal.origin == origin, Deal.crm_id.in_(ids[start:start + 1000])))})
    for v in values:
        deal = existing.get(v.crm_id)
        if deal is None:
            deal = Deal(origin=origin, connector_id=connector_id, crm_id=v.crm_id)
            session.add(deal)
            existing[v.crm_id] = deal
            counts["created"] += 1
        else:
            counts["updated"] += 1
        deal.name, deal.stage, deal.status = v.name, v.stage, v.status
        deal.amount_minor, deal.currency = v.amount_minor, v.currency
        deal.created_on, deal.close_date, deal.contact_ids = v.created_on, v.close_date, list(v.contact_ids)
        deal.modified_at = v.modified_at
    session.flush()
    stored = [existing[v.crm_id] for v in values]
    if stored:
        session.execute(delete(DealLead).where(DealLead.deal_id.in_([d.id for d in stored])))
        links = [{"deal_id": existing[v.crm_id].id, "lead_id": lead} for v in values for lead in set(v.lead_ids)]
        if links:
            session.execute(insert(DealLead), links)
    return counts


def pulls_outcomes(row: CrmConnector) -> bool:
    """Whether this kind of connector can pull deals back (webhook and file drop cannot)."""
    from sync.registry import CONNECTORS

    cls = CONNECTORS.get(row.kind)
    return cls is not None and cls.pull_outcomes is not Connector.pull_outcomes


def pull_and_store(sessions: sessionmaker[Session], connector_id: int, every: timedelta | None = None) -> dict | None:
    """Pull a connector's deals changed since its last pull, store them, then recompute the credits.

    With `every`, only when due, and claimed first (compare-and-set on
    `outcomes_due_at`) so that two workers never pull the same connector at
    once. No transaction spans the HTTP calls. Returns the counts, or None when
    not due or not pullable; raises what the connector raises (the pull is
    then retried when next due; nothing is stored).
    """
    started = utcnow()
    with sessions() as session:
        row = session.get(CrmConnector, connector_id)
        if row is None or not pulls_outcomes(row):
            return None
        if every is not None:
            claimed = session.execute(
                update(CrmConnector).where(CrmConnector.id == connector_id,
                                           or_(CrmConnector.outcomes_due_at.is_(None),
                                               CrmConnector.outcomes_due_at <= started))
                .values(outcomes_due_at=started + every)).rowcount
            if not claimed:
                session.rollback()
                return None
        since = (row.outcomes_pulled_at - OVERLAP) if row.outcomes_pulled_at else started.replace(year=2000)
        build(row)  # fails early on unreadable secrets, before anything is claimed for long
        session.commit()
    with sessions() as session:
        linked = pull(session, row, since)  # HTTP first, then a read
        session.rollback()
    with sessions() as session:
        settings = load_settings(session)
        values = [from_outcome(item, settings.currency, started.date()) for item in linked]
        counts = store(session, f"connector:{connector_id}", connector_id, values)
        session.execute(update(CrmConnector).where(CrmConnector.id == connector_id)
                        .values(outcomes_pulled_at=started))
        from .credits import recompute

        recompute(session, settings, started.date())
        session.commit()
    return counts


def import_deals(session: Session, text: str, actor: Actor) -> dict:
    """CSV of deals for teams whose CRM we do not connect; columns DEAL_COLUMNS (emails: ';'-separated,
    linking the deal to every lead with one of them).

    Validates every line first: an unknown currency, a currency with no rate,
    a bad amount, status or date fails the whole import (ValidationError by
    line) and nothing is stored. Flushes only.
    """
    settings = load_settings(session)
    book = RateBook.load(session, settings.currency)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = set(DEAL_COLUMNS[:8]) - set(reader.fieldnames or [])
    if missing:
        raise ValidationError({"file": [f"missing columns: {', '.join(sorted(missing))}; "
                                         f"expected {', '.join(DEAL_COLUMNS)}"]})
    parsed, errors = [], {}
    for line, raw in enumerate(reader, start=2):
        problems: dict[str, list[str]] = {}
        cell = {k: (raw.get(k) or "").strip() for k in DEAL_COLUMNS}
        try:
            currency = check_currency(cell["currency"])
            if not book.has(currency):
                problems["currency"] = [f"no {currency}->{settings.currency} rate at all: add one before importing"]
            amount = parse_amount(cell["amount"], currency) if cell["amount"] else None
        except MoneyError as exc:
            problems.setdefault("amount" if cell["currency"] else "currency", []).append(str(exc))
            currency, amount = None, None
        if cell["status"] not in ("open", "won", "lost"):
            problems["status"] = ["open, won or lost"]
        dates = {}
        for name in ("created_on", "close_date"):
            try:
                dates[name] = date.fromisoformat(cell[name]) if cell[name] else None
            except ValueError:
                problems[name] = ["a date as YYYY-MM-DD"]
        if not cell["crm_id"]:
            problems["crm_id"] = ["required"]
        if not dates.get("created_on") and "created_on" not in problems:
            problems["created_on"] = ["required"]
        if problems:
            errors[f"line {line}"] = problems
            continue
        parsed.append((cell, currency, amount, dates))
    if errors:
        raise ValidationError(errors)
    emails = {e.strip().lower() for cell, *_ in parsed for e in cell["emails"].split(";") if e.strip()}
    by_email: dict[str, list[int]] = {}
    for lead_id, email in session.execute(select(Lead.id, Lead.email).where(Lead.email.in_(emails))):
        by_email.setdefault(email, []).append(lead_id)
    values = [DealValues(cell["crm_id"], cell["name"], cell["stage"] or None, cell["status"], amount, currency,
                         dates["created_on"], dates["close_date"], (),
                         tuple(lead for e in cell["emails"].split(";") for lead in by_email.get(e.strip().lower(), ())))
              for cell, currency, amount, dates in parsed]
    counts = store(session, "csv", None, values)
    record(session, actor, "roi.deals.import", "deal", None, None, counts)
    return counts
