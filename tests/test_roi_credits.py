"""Credits stored from the database match the golden file exactly, and the checks catch what they must."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import select, update

import roi_golden
from leadcapture.models.roi import AttributionCredit, Deal
from leadcapture.roi import config
from leadcapture.roi.credits import checks, recompute

AS_OF = date(2026, 7, 1)


@pytest.fixture
def golden(session, make_event):
    return roi_golden.load_into(session, make_event)


def _stored(session, golden) -> set[tuple]:
    event_no = {e.id: n for n, e in golden["events"].items()}
    deal_name = {i: n for n, i in golden["deals"].items()}
    return {(deal_name[c.deal_id], c.model, c.window_days, event_no[c.event_id],
             Fraction(c.weight).limit_denominator(1000), c.amount_minor)
            for c in session.scalars(select(AttributionCredit))}


def test_stored_credits_equal_the_hand_computed_ones_in_the_reporting_currency(session, golden):
    settings = config.load(session)
    result = recompute(session, settings, AS_OF)
    session.commit()
    assert result.problems == []
    assert _stored(session, golden) == roi_golden.expected("expected_credits_eur.csv")
    d2 = session.scalars(select(AttributionCredit).where(AttributionCredit.deal_id == golden["deals"]["D2"])).first()
    assert (d2.rate, d2.rate_date, d2.currency) == (Decimal("0.92"), date(2026, 6, 1), "EUR")  # says which rate
    assert {c.config_hash for c in session.scalars(select(AttributionCredit))} == {settings.config_hash()}
    assert checks(session, settings, AS_OF) == []


def test_checks_fail_loudly_when_stored_credits_are_tampered_with(session, golden):
    settings = config.load(session)
    recompute(session, settings, AS_OF)
    d1 = golden["deals"]["D1"]
    session.execute(update(AttributionCredit)
                    .where(AttributionCredit.deal_id == d1, AttributionCredit.model == "linear")
                    .values(weight=Decimal("0.9"), amount_minor=900000))
    session.commit()
    failures = checks(session, settings, AS_OF)
    assert any("weights sum to" in f for f in failures)
    assert any("credits sum to" in f for f in failures)
    assert any("attributed won revenue" in f for f in failures)
    assert any("differ from a recomputation" in f for f in failures)


def test_a_deal_in_a_currency_without_rate_is_reported_not_guessed(session, golden):
    session.execute(update(Deal).where(Deal.crm_id == "D3").values(currency="JPY", amount_minor=10000))
    session.commit()
    result = recompute(session, config.load(session), AS_OF)
    assert result.problems and "no JPY->EUR rate" in result.problems[0]
    d3 = session.scalars(select(AttributionCredit).where(AttributionCredit.deal_id == golden["deals"]["D3"])).all()
    assert d3 and all(c.amount_minor is None for c in d3)
