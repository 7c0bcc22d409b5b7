"""ROI data in and out: costs, rates and deals (CSV, bad input), the CRM pull, the CLI report."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from marshmallow import ValidationError
from sqlalchemy import func, select

import roi_golden
from crm_servers.hubspot import HubSpotServer
from leadcapture.actors import Actor
from leadcapture.cli import cli
from leadcapture.models import CrmConnector
from leadcapture.models.roi import AttributionCredit, Deal, DealLead, EventCost, ExchangeRate
from leadcapture.roi import config
from leadcapture.roi.costs import import_costs
from leadcapture.roi.money import MoneyError
from leadcapture.roi.outcomes import import_deals, pull_and_store
from leadcapture.roi.rates import import_rates
from sync_support import connector, drain, hubspot_values, ingest_all, scans

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
COSTS = """category,kind,amount,currency,supplier,spent_on,note,days,daily_rate
floor_space,actual,"12 000,00",EUR,Viparis,2026-01-05,36 m2,,
stand,actual,8500.50,EUR,Expo Build,,,,
staff_time,actual,,EUR,,,3 people x 2.5 days,7.5,450
promotion,planned,3000,USD,,,,,
"""


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_costs_import_with_staff_time_and_a_french_comma(session, make_event):
    event = make_event()
    assert import_costs(session, event, COSTS, Actor.cli()) == 4
    session.commit()
    rows = session.scalars(select(EventCost).order_by(EventCost.id)).all()
    assert [r.amount_minor for r in rows] == [1200000, 850050, 337500, 300000]
    assert (rows[2].days, rows[2].daily_rate_minor) == (7.5, 45000)


@pytest.mark.parametrize("line, field, message", [
    ("floor_space,actual,-5,EUR,,,,,", "amount", "negative"),
    ("floor_space,actual,abc,EUR,,,,,", "amount", "not an amount"),
    ("floor_space,actual,5,EURO,,,,,", "currency", "unknown currency"),
    ("staff_time,actual,,EUR,,,,0,450", "days", "more than 0"),
    ("giveaways,spent,5,EUR,,,,,", "kind", "Must be one of"),
])
def test_a_bad_cost_line_imports_nothing_and_says_why(session, make_event, line, field, message):
    event = make_event()
    with pytest.raises(ValidationError) as caught:
        import_costs(session, event, COSTS + line + "\n", Actor.cli())
    session.rollback()
    assert message in str(caught.value.messages["line 6"][field])
    assert _count(session, EventCost) == 0


def test_rates_and_deals_imports_refuse_bad_input_whole(session, make_event):
    with pytest.raises(MoneyError, match="line 3.*not a rate"):
        import_rates(session, "EUR", "currency,date,rate\nUSD,2026-01-01,0.9\nGBP,2026-01-01,-1\n", Actor.cli())
    with pytest.raises(MoneyError, match="not a date"):
        import_rates(session, "EUR", "currency,date,rate\nUSD,01/01/2026,0.9\n", Actor.cli())
    assert _count(session, ExchangeRate) == 0
    header = "crm_id,name,stage,status,amount,currency,created_on,close_date,emails\n"
    good = "X1,Kiosks,won,won,100.00,EUR,2026-03-01,2026-04-01,a@example.com\n"
    with pytest.raises(ValidationError) as caught:
        import_deals(session, header + good + "X2,Screens,,won,50,USD,2026-03-01,,\n"
                     "X3,Bad,,maybe,ten,EUR,2026-13-01,,\n", Actor.cli())
    assert "no USD->EUR rate" in caught.value.messages["line 3"]["currency"][0]
    assert set(caught.value.messages["line 4"]) == {"status", "amount", "created_on"}
    session.rollback()
    assert _count(session, Deal) == 0
    assert import_deals(session, header + good, Actor.cli()) == {"created": 1, "updated": 0}
    assert import_deals(session, header + good, Actor.cli()) == {"created": 0, "updated": 1}  # idempotent


def test_a_window_of_zero_and_unknown_settings_are_refused(session):
    with pytest.raises(ValidationError) as caught:
        config.save(session, {"window": 0, "reporting_currency": "XYZ",
                              "w_shaped": {"first": "0.5", "lead": "0.3", "deal": "0.3", "rest": "0.1"}}, Actor.cli())
    assert set(caught.value.messages) == {"window", "reporting_currency", "w_shaped"}
    with pytest.raises(ValueError, match="window of 0"):
        config.load(session).model_config(0)


@SQLITE_ONLY
def test_deals_are_pulled_incrementally_and_stored_once_with_their_leads(app, session, make_event):
    hubspot = HubSpotServer().start()
    try:
        event = make_event(starts_on=date(2026, 3, 14), ends_on=date(2026, 3, 16))
        row_id = connector(session, "hubspot", event, **hubspot_values(hubspot)).id
        ingest_all(session, event, scans(2))
        drain(app, session)
        ids = [hubspot.contact(f"visitor{n}@example.com")["id"] for n in range(2)]
        hubspot.add_deal({"dealname": "Kiosks", "amount": "1200.50", "dealstage": "closedwon",
                          "hs_is_closed_won": "true", "closedate": "2026-04-02T00:00:00Z",
                          "createdate": "2026-03-20T10:00:00Z", "deal_currency_code": "EUR"}, ids)
        sessions = app.extensions["leadcapture.sessions"]
        session.commit()  # SQLite: one connection, which the pulls need
        assert pull_and_store(sessions, row_id) == {"created": 1, "updated": 0}
        assert pull_and_store(sessions, row_id) == {"created": 0, "updated": 1}  # the 5-minute overlap
        session.expire_all()
        deal = session.scalars(select(Deal)).one()
        assert (deal.amount_minor, deal.status, deal.created_on) == (120050, "won", date(2026, 3, 20))
        assert _count(session, DealLead) == 2
        credit = session.scalars(select(AttributionCredit).where(AttributionCredit.model == "event_sourced",
                                                                 AttributionCredit.window_days == 90)).one()
        assert (credit.event_id, credit.amount_minor) == (event.id, 120050)
        assert session.get(CrmConnector, row_id).outcomes_pulled_at is not None
        session.commit()  # SQLite: one connection, which the pulls below need
        # Scheduled (as the worker does): a second claim within the interval does nothing.
        assert pull_and_store(sessions, row_id, timedelta(minutes=15)) is not None
        assert pull_and_store(sessions, row_id, timedelta(minutes=15)) is None
    finally:
        hubspot.stop()


def test_cli_report_prints_its_basis_and_figures(session, make_event, runner):
    golden = roi_golden.load_into(session, make_event)
    import_costs(session, golden["events"][1], COSTS, Actor.cli())
    session.commit()
    assert runner.invoke(cli, ["roi-data", "recompute", "--as-of", "2026-07-01"]).exit_code == 0
    result = runner.invoke(cli, ["roi", "salon-1", "--model", "linear", "--as-of", "2026-07-01"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "model" in text and "linear" in text and config.load(session).config_hash(90) in text
    session.commit()  # SQLite: let go of the one connection
    # 12000.00 + 8500.50 + 3375.00 actual; D1 2/3 (6666.67) + D3 1/3 (33.33) + D5 1/2 (0.01) = 6700.01
    assert "cost                       23875.50" in text
    assert "won_revenue                6700.01" in text
    assert "scanned 3 -> qualified 0 -> synced 0 -> opportunity 2 -> won 2" in text
    check = runner.invoke(cli, ["roi-data", "check", "--as-of", "2026-07-01"])
    assert check.exit_code == 0, check.output
    bad = runner.invoke(cli, ["roi", "salon-1", "--window", "0"])
    assert bad.exit_code == 2 and "window of 0 days" in bad.output
