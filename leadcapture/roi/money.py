"""Amounts in integer minor units with an ISO 4217 code; parsing, conversion rounding and allocation.

Rounding rule (documented in the README): a converted figure is rounded once,
half-up to the reporting currency's minor unit; splitting an amount over
shares uses the largest-remainder method, so the parts sum exactly to the
whole (ties go to the earlier key in the given order).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from babel.numbers import get_currency_precision, list_currencies

_CURRENCIES = frozenset(list_currencies())


class MoneyError(ValueError):
    """An amount or currency a person must fix; the message says what and how."""


def check_currency(code: str | None) -> str:
    """The upper-cased ISO 4217 code; MoneyError for an unknown one."""
    value = (code or "").strip().upper()
    if len(value) != 3 or value not in _CURRENCIES:
        raise MoneyError(f"unknown currency {code!r}: use an ISO 4217 code such as EUR, USD or GBP")
    return value


def exponent(currency: str) -> int:
    """Digits after the decimal point of the currency's minor unit (EUR 2, JPY 0, KWD 3)."""
    return get_currency_precision(currency)


def parse_amount(text: str | int | Decimal, currency: str, allow_negative: bool = False) -> int:
    """'1 234,50' or '1234.50' in `currency` -> minor units (123450).

    Raises MoneyError for text that is not a number, more decimals than the
    currency has, or a negative amount (unless allowed).
    """
    raw = str(text).strip().replace("\u00a0", "").replace(" ", "")
    if "," in raw and "." not in raw:
        raw = raw.replace(",", ".")  # a French decimal comma
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise MoneyError(f"{text!r} is not an amount: write digits with an optional decimal point") from None
    if not value.is_finite():
        raise MoneyError(f"{text!r} is not an amount")
    if value < 0 and not allow_negative:
        raise MoneyError(f"{text!r} is negative: costs and deal amounts are zero or more")
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{text!r} has more decimals than {currency} allows ({exponent(currency)})")
    return int(scaled)


def to_decimal(minor: int, currency: str) -> Decimal:
    """Minor units -> a Decimal amount in major units (123450 EUR -> 1234.50)."""
    return Decimal(minor).scaleb(-exponent(currency))


def convert(minor: int, currency: str, rate: Decimal, target: str) -> int:
    """`minor` of `currency` at `rate` (1 currency = rate target) -> minor units of target, half-up."""
    if currency == target:
        return minor
    value = to_decimal(minor, currency) * rate
    return int(value.scaleb(exponent(target)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def allocate(total: int, weights: dict, order: list | None = None) -> dict:
    """Split integer `total` over `weights` (Fractions summing to 1) so the parts sum to `total` exactly.

    Largest remainder: everyone gets the floor of their exact share, then the
    units left over go to the largest fractional remainders (ties: the earlier
    key in `order`, default the dict's order).
    """
    keys = list(order or weights)
    exact = {k: Fraction(total) * Fraction(weights[k]) for k in keys}
    parts = {k: exact[k].numerator // exact[k].denominator for k in keys}
    left = total - sum(parts.values())
    ranked = sorted(keys, key=lambda k: (-(exact[k] - parts[k]), keys.index(k)))
    for k in ranked[:left]:
        parts[k] += 1
    return parts


def format_money(minor: int | None, currency: str, locale: str = "en") -> str:
    """'€1,234.50' / '1 234,50 €' for the page; '-' for None."""
    if minor is None:
        return "-"
    from babel.numbers import format_currency

    return format_currency(to_decimal(minor, currency), currency, locale=locale)
