"""Exchange rates into the reporting currency: lookup frozen at a date, manual entry and CSV import.

A rate applies from its date until the next one: converting on a day uses the
latest rate on or before that day. Every converted figure carries the rate
and its date, so a report can say which rate made it.
"""
from __future__ import annotations

import bisect
import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..actors import Actor
from ..audit import record
from ..models.roi import ExchangeRate
from .money import MoneyError, check_currency, convert


class MissingRate(LookupError):
    """No rate for a currency on or before a date; the message says which to add."""


@dataclass(frozen=True)
class Converted:
    minor: int
    rate: Decimal
    rate_date: date | None  # None when no conversion was needed


class RateBook:
    """All rates into one base currency, loaded once; `convert` never touches the database."""

    def __init__(self, base: str, rows: list[tuple[str, date, Decimal]]):
        self.base = base
        self._dates: dict[str, list[date]] = {}
        self._rates: dict[str, list[Decimal]] = {}
        for currency, on, rate in sorted(rows):
            self._dates.setdefault(currency, []).append(on)
            self._rates.setdefault(currency, []).append(rate)

    @classmethod
    def load(cls, session: Session, base: str) -> "RateBook":
        return cls(base, list(session.execute(
            select(ExchangeRate.currency, ExchangeRate.valid_from, ExchangeRate.rate)
            .where(ExchangeRate.base == base))))

    def has(self, currency: str) -> bool:
        return currency == self.base or currency in self._dates

    def rate(self, currency: str, on: date) -> tuple[Decimal, date | None]:
        """(rate, its date) for 1 `currency` in the base on `on`; MissingRate if there is none yet."""
        if currency == self.base:
            return Decimal(1), None
        dates = self._dates.get(currency, [])
        i = bisect.bisect_right(dates, on)
        if i == 0:
            raise MissingRate(f"no {currency}->{self.base} rate on or before {on.isoformat()}: "
                              f"add one under ROI > Exchange rates (or import a CSV of rates)")
        return self._rates[currency][i - 1], dates[i - 1]

    def convert(self, minor: int, currency: str, on: date) -> Converted:
        rate, rate_date = self.rate(currency, on)
        return Converted(convert(minor, currency, rate, self.base), rate, rate_date)


def parse_rate(text: str) -> Decimal:
    try:
        rate = Decimal(str(text).strip().replace(",", "."))
    except InvalidOperation:
        raise MoneyError(f"{text!r} is not a rate: write a positive decimal number such as 0.9215") from None
    if not rate.is_finite() or rate <= 0:
        raise MoneyError(f"{text!r} is not a rate: it must be more than 0")
    return rate


def set_rate(session: Session, base: str, currency: str, on: date, rate: Decimal, actor: Actor) -> ExchangeRate:
    """Add or replace the rate of a day; raises MoneyError for a bad currency or rate. Flushes only."""
    currency = check_currency(currency)
    if currency == base:
        raise MoneyError(f"{currency} is the reporting currency: its rate is always 1")
    rate = parse_rate(str(rate))
    row = session.scalar(select(ExchangeRate).where(ExchangeRate.base == base, ExchangeRate.currency == currency,
                                                    ExchangeRate.valid_from == on))
    if row is None:
        row = ExchangeRate(base=base, currency=currency, valid_from=on, rate=rate)
        session.add(row)
    row.rate = rate
    session.flush()
    record(session, actor, "roi.rate", "exchange_rate", row.id, None,
           {"base": base, "currency": currency, "on": on.isoformat(), "rate": str(rate)})
    return row


def import_rates(session: Session, base: str, text: str, actor: Actor) -> int:
    """CSV with columns currency,date,rate (1 currency = rate base); returns rows stored.

    Raises MoneyError listing every bad line (and stores nothing) when any line is wrong.
    """
    rows, errors = [], []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"currency", "date", "rate"} - set(reader.fieldnames or [])
    if missing:
        raise MoneyError(f"the rates CSV needs the columns currency, date, rate; missing: {', '.join(sorted(missing))}")
    for line, raw in enumerate(reader, start=2):
        try:
            currency = check_currency(raw["currency"])
            if currency == base:
                raise MoneyError(f"{currency} is the reporting currency")
            rows.append((currency, _date(raw["date"]), parse_rate(raw["rate"])))
        except MoneyError as exc:
            errors.append(f"line {line}: {exc}")
    if errors:
        raise MoneyError("nothing imported; fix these lines: " + "; ".join(errors))
    for currency, on, rate in rows:
        set_rate(session, base, currency, on, rate, actor)
    return len(rows)


def _date(text: str) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise MoneyError(f"{text!r} is not a date: write YYYY-MM-DD") from None
