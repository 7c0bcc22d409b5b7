"""Attribution models as pure functions, checked exactly against hand-computed golden credits."""
from __future__ import annotations

from datetime import date, datetime, timezone
from fractions import Fraction

import pytest

import roi_golden
from leadcapture.roi.attribution import (MODELS, WINDOWS, DealFacts, EventDates, ModelConfig, Touch, check_weights,
                                         weights)
from leadcapture.roi.money import MoneyError, allocate, check_currency, convert, parse_amount


def _credits_for_scenario() -> set[tuple]:
    events, people, found = roi_golden.events(), roi_golden.touches_by_person(), set()
    for name, (facts, row) in roi_golden.deals().items():
        minor = parse_amount(row["amount"], row["currency"])
        runs = [(m, 0, ModelConfig()) for m in ("first_touch", "last_touch", "linear", "w_shaped")]
        runs += [("event_sourced", w, ModelConfig(window=w)) for w in WINDOWS] + [("influenced", 365, ModelConfig())]
        for model, window, config in runs:
            result = weights(model, facts, people[row["person"]], events, config)
            check_weights(model, result)
            parts = dict.fromkeys(result, minor) if model == "influenced" else allocate(minor, result, sorted(result))
            found |= {(name, model, window, e, w, parts[e]) for e, w in result.items()}
    return found


def test_every_model_gives_the_hand_computed_credits():
    assert _credits_for_scenario() == roi_golden.expected()


def test_touch_order_in_the_input_does_not_matter():
    events, people = roi_golden.events(), roi_golden.touches_by_person()
    facts, row = roi_golden.deals()["D1"]
    for model in MODELS:
        assert weights(model, facts, people["p1"][::-1], events, ModelConfig()) == \
            weights(model, facts, people["p1"], events, ModelConfig())


def _touches(n: int) -> list[Touch]:
    return [Touch(datetime(2026, 1, 1 + i, tzinfo=timezone.utc), 10 + i, 100 + i, "scan") for i in range(n)]


EVENTS = {10 + i: EventDates(date(2026, 1, 1 + i), date(2026, 1, 1 + i)) for i in range(9)}


@pytest.mark.parametrize("count, expected", [
    (1, {10: Fraction(1)}),
    (2, {10: Fraction(1, 2), 11: Fraction(1, 2)}),
    (3, {10: Fraction(1, 3), 11: Fraction(1, 3), 12: Fraction(1, 3)}),  # no middle: the rest back to the three
    (5, {10: Fraction(3, 10), 11: Fraction(3, 10), 12: Fraction(1, 20), 13: Fraction(1, 20), 14: Fraction(3, 10)}),
])
def test_w_shaped_positions(count, expected):
    # The source lead is the second touch's: first 30, lead creation 30, deal creation 30, 10 over the rest.
    facts = DealFacts(date(2026, 2, 1), None, source_lead_id=101 if count > 1 else 100)
    result = weights("w_shaped", facts, _touches(count), EVENTS, ModelConfig())
    assert result == expected
    check_weights("w_shaped", result)


def test_weights_of_every_summed_model_total_zero_or_one_on_many_shapes():
    for n in range(0, 9):
        for created in (date(2025, 12, 1), date(2026, 1, 4), date(2026, 3, 1)):
            facts = DealFacts(created, date(2026, 4, 1), 100 if n else None)
            for model in MODELS:
                check_weights(model, weights(model, facts, _touches(n), EVENTS, ModelConfig()))


def test_a_window_of_zero_is_refused():
    with pytest.raises(ValueError, match="1 or more"):
        weights("event_sourced", DealFacts(date(2026, 1, 2), None, 100), _touches(1), EVENTS, ModelConfig(window=0))


def test_allocation_sums_exactly_and_rounds_by_largest_remainder():
    thirds = {1: Fraction(1, 3), 2: Fraction(1, 3), 3: Fraction(1, 3)}
    assert allocate(100, thirds) == {1: 34, 2: 33, 3: 33}
    assert sum(allocate(1_000_001, {1: Fraction(7, 10), 2: Fraction(3, 10)}).values()) == 1_000_001


def test_money_parsing_and_conversion():
    assert parse_amount("1 234,50", "EUR") == 123450
    assert parse_amount("1000", "JPY") == 1000
    assert convert(10001, "USD", __import__("decimal").Decimal("0.92"), "EUR") == 9201  # 92.0092 -> 92.01
    for bad, message in (("-3", "negative"), ("abc", "not an amount"), ("1.234", "more decimals"),
                         ("NaN", "not an amount")):
        with pytest.raises(MoneyError, match=message):
            parse_amount(bad, "EUR")
    with pytest.raises(MoneyError, match="unknown currency"):
        check_currency("EURO")
