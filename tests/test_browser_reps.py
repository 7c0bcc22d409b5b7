"""The rep's and marketing's pages in a real Chromium: a phone-sized "My leads", the lead, the rule tester."""
from __future__ import annotations

import pytest
from werkzeug.security import generate_password_hash

from browser import browser_page, chromium, live_server, screenshot_path  # noqa: F401  (fixtures)
from helpers import at, new_client_id
from leadcapture.actors import Actor
from leadcapture.capture import Scan, ingest_many
from leadcapture.models import Role
from leadcapture.rule_templates import bant_rules
from leadcapture.rules import apply_rules

PEOPLE = [("Anne", "Durand", "Directrice générale", "Acme Industrie", {"timeline": "lt3m", "budget": "yes",
                                                                         "role": "decider"}, "hot"),
          ("Louis", "Martin", "Head of Marketing", "Nordic Logistics", {"timeline": "3to12m", "role": "influencer"},
           "warm"),
          ("Chloé", "Moreau", "Chef de projet", "Pixel & Co", {"timeline": "lt3m", "interest": ["kiosk"]}, "hot"),
          ("Hugo", "Blanc", "Acheteur", "Vins du Sud", {"timeline": "later"}, "cold")]


@pytest.fixture
def demo(session, make_event, make_user):
    event = make_event(name="Salon Demo")
    rep = make_user("Rémi Rep", Role.REP, events=[event], email="rep@demo.test")
    marc = make_user("Marc Marketing", Role.MARKETING, events=[event], email="marketing@demo.test")
    alice = make_user("Alice", events=[event])
    for user in (rep, marc):
        user.password_hash = generate_password_hash("demo-password")
    apply_rules(session, event, bant_rules([rep.email], marc.email), Actor.cli())
    scans = [Scan(new_client_id(), at(9 + n), rating=rating, answers=answers,
                  notes="Demo next week" if n == 0 else None,
                  contact={"first_name": first, "last_name": last, "job_title": title, "company": company,
                           "country": "FR", "email": f"{first.lower()}@{company.split()[0].lower()}.fr"})
             for n, (first, last, title, company, answers, rating) in enumerate(PEOPLE)]
    leads = [r.lead for r in ingest_many(session, event, scans, Actor.for_user(alice))]
    leads[1].sla_due_at = at(8)  # long past: overdue
    session.commit()
    return {"event": event, "leads": leads}


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "demo-password")
    page.click("button[type=submit]")


def test_my_leads_on_a_phone(live_server, browser_page, demo, tmp_path):
    page = browser_page(viewport=(390, 844), locale="fr-FR")
    sign_in(page, live_server, "rep@demo.test")
    page.goto(f"{live_server}/leads")
    cards = page.locator(".lead-card")
    assert cards.count() == 3  # Hugo is a D: not routed yet
    assert cards.first.inner_text().startswith("A")
    assert page.locator(".lead-card.overdue").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    page.screenshot(path=screenshot_path(tmp_path, "my-leads-phone.png"), full_page=True)

    cards.first.click()
    page.wait_for_selector("h1")
    assert "Pourquoi la note A" in page.content()
    page.select_option("select[name=status]", "contacted")
    page.click("form.status-form button")
    page.wait_for_selector(".flash")
    assert "Statut modifié." in page.inner_text(".flash")
    page.screenshot(path=screenshot_path(tmp_path, "lead-detail-phone.png"), full_page=True)


def test_who_would_get_this_lead(live_server, browser_page, demo, tmp_path):
    page = browser_page(locale="en-GB")
    sign_in(page, live_server, "marketing@demo.test")
    page.goto(f"{live_server}/events/{demo['event'].slug}/rules/test")
    page.fill("input[name=job_title]", "VP Sales")
    page.fill("input[name=country]", "FR")
    page.fill("input[name=email]", "vp@acme.fr")
    page.select_option("select[name=q_timeline]", "lt3m")
    page.select_option("select[name=q_budget]", "yes")
    page.select_option("select[name=rating]", "hot")
    page.click("form.sample button[type=submit]")
    page.wait_for_selector(".result")
    assert "Rémi Rep would get this lead" in page.inner_text(".result")
    page.screenshot(path=screenshot_path(tmp_path, "rules-tester.png"), full_page=True)
