"""The hand-computed ROI scenario in tests/golden/roi/: loaders shared by the pure and the database tests."""
from __future__ import annotations

import csv
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

from leadcapture.roi.attribution import DealFacts, EventDates, Touch

GOLDEN = Path(__file__).parent / "golden" / "roi"


def read(name: str) -> list[dict]:
    with open(GOLDEN / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def events() -> dict[int, EventDates]:
    return {int(r["event"]): EventDates(date.fromisoformat(r["starts_on"]), date.fromisoformat(r["ends_on"]))
            for r in read("events.csv")}


def touches_by_person() -> dict[str, list[Touch]]:
    found: dict[str, list[Touch]] = {}
    for r in read("touches.csv"):
        found.setdefault(r["person"], []).append(
            Touch(datetime.fromisoformat(r["at"]), int(r["event"]), int(r["lead"]), r["kind"]))
    return found


def deals() -> dict[str, tuple[DealFacts, dict]]:
    """deal name -> (facts, the CSV row); the source lead is the linked lead scanned first."""
    people = touches_by_person()
    out = {}
    for r in read("deals.csv"):
        linked = {int(x) for x in r["linked_leads"].split(";")}
        scans = [t for t in people[r["person"]] if t.lead_id in linked and t.kind == "scan"]
        source = min(scans, key=lambda t: t.at).lead_id
        out[r["deal"]] = (DealFacts(date.fromisoformat(r["created_on"]),
                                    date.fromisoformat(r["close_date"]) if r["close_date"] else None, source), r)
    return out


def expected(name: str = "expected_credits.csv") -> set[tuple]:
    """{(deal, model, window, event, weight Fraction, amount_minor)}."""
    return {(r["deal"], r["model"], int(r["window"]), int(r["event"]), Fraction(r["weight"]), int(r["amount_minor"]))
            for r in read(name)}


def load_into(session, make_event, staff=None) -> dict:
    """The scenario in a database: events, scans through capture (one e-mail per person), deals, rates.

    Returns {"events": {1: Event, ...}, "leads": {11: lead id, ...}, "deals": {"D1": deal id, ...}}.
    """
    import uuid

    from sqlalchemy import select

    from leadcapture.actors import Actor
    from leadcapture.capture import Scan, ingest_many
    from leadcapture.models.roi import Deal
    from leadcapture.roi.outcomes import DealValues, store
    from leadcapture.roi.rates import import_rates

    made = {n: make_event(f"salon-{n}", name=f"Salon {n}", starts_on=d.starts_on, ends_on=d.ends_on)
            for n, d in events().items()}
    leads = {}
    for person, touches in touches_by_person().items():
        for t in touches:
            scan = Scan(client_id=str(uuid.uuid4()), captured_at=t.at, source="camera",
                        contact={"first_name": person.upper(), "last_name": "Golden", "company": "Acme",
                                 "email": f"{person}@example.com"}, staff_id=staff.id if staff else None)
            result = ingest_many(session, made[t.event_id], [scan], Actor.cli())[0]
            session.commit()
            leads[t.lead_id] = result.lead.id
    values = []
    for name, (facts, row) in deals().items():
        values.append(DealValues(name, f"Deal {name}", None, row["status"], parse(row), row["currency"],
                                 facts.created_on, facts.close_date, (),
                                 tuple(leads[int(x)] for x in row["linked_leads"].split(";"))))
    store(session, "csv", None, values)
    import_rates(session, "EUR", (GOLDEN / "rates.csv").read_text(), Actor.cli())
    session.commit()
    deal_ids = dict(session.execute(select(Deal.crm_id, Deal.id)).all())
    return {"events": made, "leads": leads, "deals": deal_ids}


def parse(row: dict) -> int:
    from leadcapture.roi.money import parse_amount

    return parse_amount(row["amount"], row["currency"])
