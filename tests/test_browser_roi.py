"""The ROI pages in a real Chromium, in French and English; screenshots for docs/roi-*.png."""
from __future__ import annotations

from datetime import date

import pytest
from werkzeug.security import generate_password_hash

import roi_golden
from browser import browser_page, chromium, live_server, screenshot_path  # noqa: F401  (fixtures)
from leadcapture.actors import Actor
from leadcapture.models import Role
from leadcapture.roi import config
from leadcapture.roi.costs import import_costs
from leadcapture.roi.credits import recompute

COSTS = ("category,kind,amount,currency,supplier,spent_on,note,days,daily_rate\n"
         "floor_space,actual,4000,EUR,Viparis,,,,\nstand,actual,2500,EUR,Expo Build,,,,\n"
         "stand,planned,2000,EUR,,,,,\nstaff_time,actual,,EUR,,,,6,450\npromotion,actual,800,USD,,2026-01-02,,,\n")


@pytest.fixture
def scenario(session, make_event, make_user):
    marc = make_user("Marc Marketing", Role.MARKETING, email="marketing@demo.test")
    marc.password_hash = generate_password_hash("demo-password")
    found = roi_golden.load_into(session, make_event)
    for event in found["events"].values():
        import_costs(session, event, COSTS, Actor.cli())
    marc.events = list(found["events"].values())
    recompute(session, config.load(session), date(2026, 7, 1))
    session.commit()
    return found


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", "marketing@demo.test")
    page.fill("input[name=password]", "demo-password")
    page.click("button[type=submit]")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_roi_pages_render_charts_in_both_languages(live_server, browser_page, scenario, tmp_path):
    page = browser_page(viewport=(1280, 900), locale="fr-FR")
    sign_in(page, live_server)
    page.goto(f"{live_server}/roi/?model=w_shaped&lang=fr")
    assert page.locator("svg.chart").count() == 2
    assert "ca gagné non attribué" in page.inner_text("main").lower()
    page.screenshot(path=screenshot_path(tmp_path, "roi-overview-fr.png"), full_page=True)
    event = scenario["events"][1]
    page.goto(f"{live_server}/roi/events/{event.id}?model=linear&lang=en")
    assert page.locator("svg.chart").count() == 3
    assert "fully loaded cost" in page.inner_text("main").lower()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.screenshot(path=screenshot_path(tmp_path, "roi-event-en.png"), full_page=True)
