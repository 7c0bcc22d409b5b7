"""Benchmark scoring + routing throughput (leads/s, one core) with a realistic 30-rule set.

    .venv/bin/python bench/scoring.py              # pure functions: 50,000 leads
    .venv/bin/python bench/scoring.py --rescore    # also rescore a 50,000-lead event in SQLite

The rule set is the demo's BANT template (20 scoring rules) plus 10 more
(job-title tiers, markets, questions), i.e. 30 scoring rules, and 8 routing
rules by territory, postal prefix, product interest, company size and grade
over 6 reps. Goal: >= 20,000 leads/s, so rescoring a 50,000-lead event takes seconds.
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from leadcapture.demo import CITIES, COMPANIES, DEMO_SETTINGS, FIRST, LAST, TITLES
from leadcapture.facts import LeadFacts, region_of
from leadcapture.routing import Rep, compile_routing
from leadcapture.rule_settings import check_rules
from leadcapture.rule_templates import BANT_SCORING
from leadcapture.scoring import compile_scoring

GOAL = 20_000  # leads/s
QUESTIONS = DEMO_SETTINGS["questions"]
MORE_RULES = [
    {"id": "title_it", "kind": "job_title", "points": 5, "keywords": ["it", "dsi", "cio", "informatique", "digital"]},
    {"id": "title_marketing", "kind": "job_title", "points": 5, "keywords": ["marketing", "événementiel", "events"]},
    {"id": "title_buyer", "kind": "job_title", "points": -5, "keywords": ["acheteur", "acheteuse", "buyer"]},
    {"id": "title_student", "kind": "job_title", "points": -20, "keywords": ["étudiant", "étudiante", "student",
                                                                              "stagiaire", "intern"]},
    {"id": "core_market", "kind": "country", "points": 5, "values": ["FR"]},
    {"id": "far_market", "kind": "country", "points": -5, "values": ["CA", "US"]},
    {"id": "wants_kiosk", "kind": "answer", "points": 5, "question": "interest", "values": ["kiosk"]},
    {"id": "wants_roi", "kind": "answer", "points": 5, "question": "interest", "values": ["analytics"]},
    {"id": "user_only", "kind": "answer", "points": -5, "question": "role", "values": ["user"]},
    {"id": "no_budget", "kind": "answer", "points": -10, "question": "budget", "values": ["no"]},
]
REPS = {f"rep{i}@bench.test": Rep(i, f"rep{i}@bench.test", f"Rep {i}", capacity=1 + i % 3,
                                  countries=("FR",), regions=(("59", "62", "80"), ("75", "92", "93"), ("69", "38"),
                                                              ("13", "83"), ("33", "31"), ("44", "35"))[i - 1])
        for i in range(1, 7)}
ROUTING = {
    "min_grade": "C", "fallback_owner": "rep1@bench.test", "sla_hours": {"A": 24, "B": 72},
    "rules": [
        {"id": "enterprise", "match": {"company_size_min": 1000, "grades": ["A", "B"]}, "reps": ["rep1@bench.test"]},
        {"id": "benelux", "match": {"countries": ["BE", "LU", "NL"]}, "reps": ["rep2@bench.test", "rep3@bench.test"]},
        {"id": "swiss", "match": {"countries": ["CH"]}, "reps": ["rep4@bench.test"]},
        {"id": "roi_a", "match": {"answers": {"interest": ["analytics"]}, "grades": ["A"]},
         "reps": ["rep5@bench.test", "rep6@bench.test"]},
        {"id": "paris", "match": {"countries": ["FR"], "postal_prefixes": ["75", "92", "93", "94"]},
         "reps": ["rep2@bench.test"]},
        {"id": "france_territory", "match": {"countries": ["FR"]}, "reps": list(REPS), "by_rep_territory": True},
        {"id": "france", "match": {"countries": ["FR"]}, "reps": list(REPS)},
        {"id": "uk", "match": {"countries": ["GB"], "grades": ["A", "B"]}, "reps": ["rep3@bench.test"]},
    ],
}
POSTAL = ["75011", "92100", "59000", "62000", "69003", "38000", "13001", "33000", "44000", "35000", "80000", "2A004"]


def rule_set() -> dict:
    raw = {"scoring": {**BANT_SCORING, "rules": BANT_SCORING["rules"] + MORE_RULES}, "routing": ROUTING}
    clean, problems = check_rules(raw, QUESTIONS)
    assert not problems, problems
    assert len(clean["scoring"]["rules"]) == 30
    return clean


def make_facts(n: int, seed: int = 2026) -> list[LeadFacts]:
    rng = random.Random(seed)
    opts = {q["id"]: [o["id"] for o in q.get("options", [])] for q in QUESTIONS}
    facts = []
    for i in range(n):
        _city, country = rng.choice(CITIES)
        postal = rng.choice(POSTAL) if country == "FR" else None
        answers = {qid: rng.choice(values) for qid, values in opts.items() if values and qid != "interest"
                   and rng.random() < 0.8}
        if rng.random() < 0.7:
            answers["interest"] = rng.sample(opts["interest"], rng.randint(1, 2))
        domain = rng.choice(["gmail.com", "orange.fr", "acme.fr", "nordic.example", "pixel.co"])
        facts.append(LeadFacts(
            answers=answers, job_title=rng.choice(TITLES + ["Étudiante", "DSI", "Directeur général"]),
            company_size=rng.choice([None, 8, 45, 120, 600, 2500]), email=f"p{i}@{domain}", country=country,
            region=region_of(country, postal, None), postal_code=postal,
            rating=rng.choice(["hot", "warm", "cold", None]), staff_met=rng.choice([1, 1, 1, 2, 3]),
            visit_days=rng.choice([1, 1, 2]), events_attended=rng.choice([1, 1, 2])))
    return facts


def bench_pure(n: int, repeat: int) -> dict:
    rules = rule_set()
    scorer = compile_scoring(rules["scoring"], QUESTIONS)
    router = compile_routing(rules["routing"], REPS)
    facts = make_facts(n)
    best = float("inf")
    grades: dict = {}
    for _ in range(repeat):
        counts: dict = {}
        grades = {}
        t0 = time.perf_counter()
        for f in facts:
            result = scorer(f)
            if router.eligible(result.grade):
                route = router.route(f.with_grade(result.grade), counts)
                if route.counter is not None:
                    counts[route.counter] = counts.get(route.counter, 0) + 1
            grades[result.grade] = grades.get(result.grade, 0) + 1
        best = min(best, time.perf_counter() - t0)
    return {"leads": n, "seconds": best, "rate": n / best, "grades": dict(sorted(grades.items()))}


def bench_rescore(n: int) -> dict:
    """Seed `n` leads (with one interaction each) into a fresh SQLite event and time rules.rescore_event."""
    from sqlalchemy import insert

    from leadcapture.db import make_engine, make_session_factory
    from leadcapture.event_settings import load_settings
    from leadcapture.migrate import upgrade
    from leadcapture.models import Event, Interaction, Lead, User, event_members
    from leadcapture.rules import rescore_event

    with tempfile.TemporaryDirectory(prefix="leadcapture-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'rescore.sqlite3'}"
        upgrade(url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        rules = rule_set()
        with sessions() as session:
            event = Event(slug="bench", name="Bench", starts_on=date(2026, 3, 14), ends_on=date(2026, 3, 16),
                          timezone="Europe/Paris", settings={**load_settings(DEMO_SETTINGS), **rules})
            session.add(event)
            session.flush()
            for rep in REPS.values():
                session.add(User(id=rep.id, email=rep.email, name=rep.name, role="rep", capacity=rep.capacity,
                                 territory_countries=list(rep.countries), territory_regions=list(rep.regions)))
            session.flush()
            session.execute(insert(event_members), [{"event_id": event.id, "user_id": r.id} for r in REPS.values()])
            rng = random.Random(7)
            met = datetime(2026, 3, 14, 9, tzinfo=timezone.utc)
            rows = []
            for i, f in enumerate(make_facts(n), 1):
                rows.append({"id": i, "event_id": event.id, "dedup_key": f"email:{f.email}", "email": f.email,
                             "first_name": rng.choice(FIRST), "last_name": rng.choice(LAST),
                             "company": rng.choice(COMPANIES), "job_title": f.job_title, "country": f.country,
                             "postal_code": f.postal_code, "company_size": f.company_size, "answers": dict(f.answers),
                             "rating": f.rating, "incomplete": False, "status": "new", "first_met_at": met,
                             "last_met_at": met})
            session.execute(insert(Lead), rows)
            session.execute(insert(Interaction), [
                {"client_uuid": f"00000000-0000-4000-8000-{i:012d}", "event_id": event.id, "lead_id": i,
                 "captured_at": met + timedelta(minutes=i % 600), "source": "camera", "answers": {}, "met_before": [],
                 "warnings": []} for i in range(1, n + 1)])
            session.commit()
            t0 = time.perf_counter()
            rescore_event(session, event)  # first pass: scores, assigns and queues notifications
            session.commit()
            first = time.perf_counter() - t0
            event.settings = {**event.settings, "scoring": {**rules["scoring"],
                                                            "grades": {"A": 75, "B": 50, "C": 25}}}
            session.commit()
            t0 = time.perf_counter()
            rescore_event(session, event)  # a rule tweak: new scores and grades, owners stay
            session.commit()
            again = time.perf_counter() - t0
        engine.dispose()
    return {"leads": n, "first": first, "again": again}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--leads", type=int, default=50_000)
    p.add_argument("--repeat", type=int, default=3, help="best of N runs")
    p.add_argument("--rescore", action="store_true", help="also time rescoring a whole event in SQLite")
    args = p.parse_args(argv)
    print(f"machine: {os.cpu_count()} CPUs, {platform.machine()}; Python {platform.python_version()}")
    pure = bench_pure(args.leads, args.repeat)
    verdict = "PASS" if pure["rate"] >= GOAL else "MISS"
    print(f"scoring + routing (30 scoring rules, 8 routing rules, 6 reps): {pure['leads']:,} leads in "
          f"{pure['seconds']:.2f}s = {pure['rate']:,.0f} leads/s on one core (goal >= {GOAL:,}) {verdict}")
    print(f"  grades: {pure['grades']}")
    if args.rescore:
        res = bench_rescore(args.leads)
        print(f"rescore a {res['leads']:,}-lead event in SQLite, through the ORM: first pass (score, route, "
              f"queue notifications) {res['first']:.1f}s = {res['leads'] / res['first']:,.0f} leads/s; after a "
              f"threshold change {res['again']:.1f}s = {res['leads'] / res['again']:,.0f} leads/s")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
