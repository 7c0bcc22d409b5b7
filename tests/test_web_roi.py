"""ROI pages: the report with its basis and drill-downs, costs entry with clear errors, exports, settings."""
from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

import roi_golden
from leadcapture.models import Role
from leadcapture.models.roi import EventCost
from leadcapture.roi import config
from leadcapture.roi.credits import recompute
from test_web_auth import csrf_token, login

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def golden(session, make_event, make_user):
    found = roi_golden.load_into(session, make_event)
    recompute(session, config.load(session), date.today())
    marketing = make_user("Marc", role=Role.MARKETING, events=list(found["events"].values())[:2])
    marketing.password_hash = generate_password_hash("s3cret!")
    admin = make_user("Ada", role=Role.ADMIN)
    admin.password_hash = generate_password_hash("s3cret!")
    session.commit()
    return found


def _post(client, url, follow_redirects=False, **data):
    return client.post(url, data={"csrf_token": csrf_token(client), **data}, follow_redirects=follow_redirects)


@SQLITE_ONLY
def test_report_shows_its_basis_figures_and_drill_downs_in_french(client, golden, session):
    settings_hash = config.load(session).config_hash(90)
    session.commit()  # SQLite: the app needs the one connection
    login(client, "marc@example.test", "s3cret!")
    event = golden["events"][1]
    page = client.get(f"/roi/events/{event.id}?model=linear&lang=fr")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Linéaire" in html and settings_hash in html
    assert "<svg" in html and "ROI = (" in html
    assert f"/roi/events/{event.id}/deals?model=linear" in html
    deals = client.get(f"/roi/events/{event.id}/deals?model=linear&window=90").get_data(as_text=True)
    assert "Deal D1" in deals and "Deal D3" in deals and "0.6667" in deals
    assert client.get(f"/roi/events/{golden['events'][3].id}").status_code == 404  # not Marc's event
    path = client.get("/roi/journey?email=P1@example.com&lang=en").get_data(as_text=True)
    assert path.count("scan (lead created)") == 2 and "Salon 3" not in path and "Deal D1" in path
    assert client.get("/roi/settings").status_code == 403


@SQLITE_ONLY
def test_costs_are_added_refused_clearly_and_exported(client, golden, session):
    login(client, "marc@example.test", "s3cret!")
    event = golden["events"][1]
    url = f"/roi/events/{event.id}/costs"
    bad = _post(client, url, category="stand", amount="-12", currency="EUR", follow_redirects=True)
    assert "negative" in bad.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(EventCost)) == 0
    session.commit()
    _post(client, url, category="staff_time", days="2", daily_rate="400", currency="EUR")
    _post(client, url, category="floor_space", amount="1 000,50", currency="eur", supplier="=HYPERLINK(1)")
    csv_text = client.get(f"/roi/events/{event.id}/report.csv").get_data(as_text=True)
    assert "figure,cost,1800.50" in csv_text and "'=HYPERLINK" not in csv_text  # the supplier is not exported
    book = load_workbook(io.BytesIO(client.get(f"/roi/events/{event.id}/report.xlsx").data))
    assert ["figure", "cost", 1800.5] == [c.value for c in book["ROI"][8]][:3]


@SQLITE_ONLY
def test_admin_settings_validate_and_rates_refuse_bad_input(client, golden):
    login(client, "ada@example.test", "s3cret!")
    page = _post(client, "/roi/settings", reporting_currency="EUR", default_model="linear", window="0",
                 influence_days="365", qualified_grade="B", w_first="0.3", w_lead="0.3", w_deal="0.3", w_rest="0.2")
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and "one of 30, 90, 180 or 365" in html and "sum to 1" in html
    bad = _post(client, "/roi/rates", currency="ZZZ", on="2026-01-01", rate="1.1", follow_redirects=True)
    assert "unknown currency" in bad.get_data(as_text=True)
    ok = _post(client, "/roi/rates", currency="GBP", on="2026-01-01", rate="1.17", follow_redirects=True)
    assert "1.17" in ok.get_data(as_text=True)
    overview = client.get("/roi/?check=1&lang=en").get_data(as_text=True)
    assert "All checks pass" in overview, overview
