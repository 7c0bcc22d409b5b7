"""The credit table: every deal's weights per event under every model, in the reporting currency.

`compute` derives the rows from stored data and settings alone (reproducible);
`recompute` replaces the stored table with them in one transaction; `checks`
re-derives and compares, and verifies the invariants a CFO relies on.
Amounts: the deal amount is converted once (rate of its close date; open deals
at `as_of`) and split over the events by largest remainder, so each deal's
credits sum exactly to its converted amount.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..models.roi import AttributionCredit, Deal
from .attribution import MODELS, WINDOWS, DealFacts, check_weights, weights
from .config import RoiSettings
from .money import allocate
from .rates import RateBook
from .touches import load_ledger

WEIGHT_PLACES = Decimal("1e-10")


@dataclass
class Computed:
    rows: list[dict]
    problems: list[str] = field(default_factory=list)  # deals whose amount could not be converted


def deal_amount(deal, book: RateBook, as_of: date):
    """(converted minor | None, rate, rate date, problem | None) for a deal: closed at its close date,
    open at `as_of`."""
    if deal.amount_minor is None:
        return None, None, None, None
    on = deal.close_date if deal.status != "open" and deal.close_date else as_of
    try:
        c = book.convert(deal.amount_minor, deal.currency or book.base, on)
    except LookupError as exc:
        return None, None, None, f"deal {deal.crm_id} ({deal.name}): {exc}"
    return c.minor, c.rate, c.rate_date or on, None


def compute(session: Session, settings: RoiSettings, as_of: date) -> Computed:
    """Every credit row, from the stored deals, touches, rates and settings; reads only."""
    book = RateBook.load(session, settings.currency)
    ledger = load_ledger(session)
    config = settings.model_config()
    hashed = settings.config_hash()
    out = Computed([])
    deals = session.execute(select(Deal.id, Deal.crm_id, Deal.name, Deal.status, Deal.amount_minor, Deal.currency,
                                   Deal.created_on, Deal.close_date).order_by(Deal.id)).all()
    for deal in deals:
        touches = ledger.touches.get(deal.id)
        if not touches:
            continue
        minor, rate, rate_date, problem = deal_amount(deal, book, as_of)
        if problem:
            out.problems.append(problem)
        facts = DealFacts(deal.created_on, deal.close_date, ledger.source_lead.get(deal.id))
        runs = [(m, 0, config) for m in MODELS if m not in ("event_sourced", "influenced")]
        runs += [("event_sourced", w, settings.model_config(w)) for w in WINDOWS]
        runs.append(("influenced", config.influence_days, config))
        for model, window, cfg in runs:
            result = weights(model, facts, touches, ledger.events, cfg)
            check_weights(model, result)
            order = sorted(result)
            if minor is None:
                parts = dict.fromkeys(order)
            elif model == "influenced":  # yes/no: each influencing event shows the whole deal
                parts = dict.fromkeys(order, minor)
            else:
                parts = allocate(minor, result, order)
            for event_id in order:
                out.rows.append({
                    "deal_id": deal.id, "event_id": event_id, "model": model, "window_days": window,
                    "weight": Decimal(result[event_id].numerator) / Decimal(result[event_id].denominator),
                    "amount_minor": parts[event_id], "currency": settings.currency, "rate": rate,
                    "rate_date": rate_date, "config_hash": hashed})
    for row in out.rows:
        row["weight"] = row["weight"].quantize(WEIGHT_PLACES)
    return out


def recompute(session: Session, settings: RoiSettings, as_of: date) -> Computed:
    """Replace the stored credits with freshly computed ones. Flushes; the caller commits."""
    result = compute(session, settings, as_of)
    session.execute(delete(AttributionCredit))
    now = utcnow()
    for start in range(0, len(result.rows), 5000):
        session.execute(insert(AttributionCredit), [dict(r, computed_at=now) for r in result.rows[start:start + 5000]])
    session.flush()
    return result


def won_total(session: Session, settings: RoiSettings) -> int:
    """Won revenue of every deal (linked to our leads or not), each converted as its credits are."""
    book = RateBook.load(session, settings.currency)
    return sum(deal_amount(deal, book, date.max)[0] or 0
               for deal in session.scalars(select(Deal).where(Deal.status == "won")))


def _key(row: dict) -> tuple:
    return (row["deal_id"], row["event_id"], row["model"], row["window_days"])


def checks(session: Session, settings: RoiSettings, as_of: date) -> list[str]:
    """What is wrong with the stored credits (an empty list: all is well). Reads only.

    - per deal, model and window the weights sum to 0 or 1, and the amounts to the deal's converted amount;
    - attributed won revenue over all events never exceeds the won total of all deals;
    - the stored table equals what the stored data and settings give today (reproducibility).
    """
    failures = []
    stored = [dict(deal_id=c.deal_id, event_id=c.event_id, model=c.model, window_days=c.window_days,
                   weight=c.weight, amount_minor=c.amount_minor, currency=c.currency, rate=c.rate,
                   rate_date=c.rate_date, config_hash=c.config_hash)
              for c in session.scalars(select(AttributionCredit))]
    sums: dict[tuple, list] = {}
    for row in stored:
        key = (row["deal_id"], row["model"], row["window_days"])
        total = sums.setdefault(key, [Decimal(0), 0])
        total[0] += row["weight"]
        total[1] += row["amount_minor"] or 0
    amounts = dict(session.execute(select(Deal.id, Deal.amount_minor)).all())
    book = RateBook.load(session, settings.currency)
    deals = {d.id: d for d in session.scalars(select(Deal))}
    for (deal_id, model, window), (weight, minor) in sorted(sums.items()):
        if model == "influenced":
            continue
        if abs(weight - 1) > Decimal("1e-8"):
            failures.append(f"deal {deal_id} {model}/{window}: weights sum to {weight}, not 1")
        converted = deal_amount(deals[deal_id], book, as_of)[0] if amounts.get(deal_id) is not None else None
        if converted is not None and minor != converted:
            failures.append(f"deal {deal_id} {model}/{window}: credits sum to {minor}, the deal is {converted}")
    failures += won_overrun(session, settings)
    fresh = compute(session, settings, as_of)
    expected = {_key(r): r for r in fresh.rows}
    have = {_key(r): r for r in stored}
    if expected != have:
        differ = sorted(set(expected) ^ set(have)) or sorted(k for k in expected if expected[k] != have[k])
        failures.append(f"stored credits differ from a recomputation ({len(differ)} rows, e.g. {differ[:3]}): "
                        "run `leadcapture roi-data recompute`")
    return failures


def won_overrun(session: Session, settings: RoiSettings) -> list[str]:
    """Attributed won revenue summed over events must not exceed the CRM's won total (same currency)."""
    won = func.sum(AttributionCredit.amount_minor)
    attributed = session.execute(
        select(AttributionCredit.model, AttributionCredit.window_days, won)
        .join(Deal, Deal.id == AttributionCredit.deal_id)
        .where(Deal.status == "won", AttributionCredit.model != "influenced")
        .group_by(AttributionCredit.model, AttributionCredit.window_days)).all()
    total = won_total(session, settings)
    return [f"{model}/{window}: attributed won revenue {value} exceeds the CRM's won total {total}"
            for model, window, value in attributed if (value or 0) > total]
