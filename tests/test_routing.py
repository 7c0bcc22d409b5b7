"""routing: first matching rule wins, weighted round-robin, away reps skipped, fallback; pure."""
from __future__ import annotations

from collections import Counter

import pytest

from leadcapture.facts import LeadFacts
from leadcapture.routing import FALLBACK, Rep, compile_routing

REPS = {
    "nord@x.fr": Rep(1, "nord@x.fr", "Nora", countries=("FR",), regions=("59", "62")),
    "paris@x.fr": Rep(2, "paris@x.fr", "Paul", countries=("FR",), postal_prefixes=("75", "92")),
    "be@x.fr": Rep(3, "be@x.fr", "Bea", capacity=2),
    "away@x.fr": Rep(4, "away@x.fr", "Ali", away=True),
    "big@x.fr": Rep(5, "big@x.fr", "Gus"),
    "boss@x.fr": Rep(9, "boss@x.fr", "Marc"),
}
ROUTING = {
    "min_grade": "C",
    "fallback_owner": "boss@x.fr",
    "rules": [
        {"id": "enterprise", "match": {"company_size_min": 1000, "grades": ["A"]}, "reps": ["big@x.fr"]},
        {"id": "kiosk_be", "label": "Kiosk Belgium", "match": {"countries": ["BE"], "answers": {"interest": ["kiosk"]}},
         "reps": ["be@x.fr", "away@x.fr"]},
        {"id": "holiday", "match": {"countries": ["LU"]}, "reps": ["away@x.fr"]},
        {"id": "france", "match": {"countries": ["FR"]}, "reps": ["nord@x.fr", "paris@x.fr"], "by_rep_territory": True},
        {"id": "idf", "match": {"postal_prefixes": ["77", "78"]}, "reps": ["paris@x.fr"]},
    ],
}
ROUTER = compile_routing(ROUTING, REPS)


@pytest.mark.parametrize("facts, owner, rule, reason", [
    (LeadFacts(country="FR", region="59", grade="B"), 1, "france",
     "rule france (country FR): Nora, weighted round-robin among 1/2 available reps"),
    (LeadFacts(country="FR", postal_code="75011", grade="B"), 2, "france",
     "rule france (country FR): Paul, weighted round-robin among 1/2 available reps"),
    (LeadFacts(country="BE", answers={"interest": ["crm_sync", "kiosk"]}, grade="C"), 3, "kiosk_be",
     "rule Kiosk Belgium (country BE, interest kiosk): Bea, weighted round-robin among 1/2 available reps"),
    (LeadFacts(country="FR", company_size=5000, grade="A"), 5, "enterprise",
     "rule enterprise (grade A, company size 1000-∞): Gus, weighted round-robin among 1/1 available reps"),
    (LeadFacts(country="FR", company_size=5000, grade="B", postal_code="78000"), 2, "idf",
     "rule idf (postal code 77/78): Paul, weighted round-robin among 1/1 available reps "
     "(rule france matched but none of its reps is available)"),
    (LeadFacts(country="LU", grade="A"), 9, FALLBACK,
     "no rule matched: fallback owner Marc (rule holiday matched but none of its reps is available)"),
    (LeadFacts(country="US", grade="A"), 9, FALLBACK, "no rule matched: fallback owner Marc"),
], ids=["territory-region", "territory-postcode", "answers", "size-and-grade", "next-rule-when-nobody-covers",
        "all-away", "fallback"])
def test_first_matching_rule_wins(facts, owner, rule, reason):
    route = ROUTER.route(facts, {})
    assert (route.owner_id, route.rule_id, route.reason["en"]) == (owner, rule, reason)
    assert route.reason["fr"]


def test_no_fallback_means_nobody_and_says_so():
    router = compile_routing({**ROUTING, "fallback_owner": None}, REPS)
    route = router.route(LeadFacts(country="US"), {})
    assert route.owner_id is None and route.rule_id is None and route.counter is None
    assert route.reason["en"] == "no rule matched and there is no fallback owner"


def test_min_grade():
    assert ROUTER.eligible("A") and ROUTER.eligible("C") and not ROUTER.eligible("D")
    assert not ROUTER.eligible(None)


def test_deleted_rep_is_left_out_of_the_turns():
    reps = {k: v for k, v in REPS.items() if k != "be@x.fr"}
    route = compile_routing(ROUTING, reps).route(LeadFacts(country="BE", answers={"interest": ["kiosk"]}), {})
    assert route.rule_id == FALLBACK


def run(router, facts, n: int, counts: dict | None = None) -> Counter:
    counts = {} if counts is None else counts
    owners: Counter = Counter()
    for _ in range(n):
        route = router.route(facts, counts)
        counts[route.counter] = counts.get(route.counter, 0) + 1
        owners[route.owner_id] += 1
    return owners


@pytest.mark.parametrize("capacities", [(1, 1, 1), (1, 2, 3), (3, 1, 0, 2), (5, 7)])
def test_round_robin_is_fair_over_1000_leads(capacities):
    reps = {f"r{i}@x.fr": Rep(i, f"r{i}@x.fr", f"R{i}", capacity=c) for i, c in enumerate(capacities, 1)}
    router = compile_routing({"rules": [{"id": "all", "match": {}, "reps": list(reps)}]}, reps)
    owners = run(router, LeadFacts(), 1000)
    total = sum(capacities)
    for i, capacity in enumerate(capacities, 1):
        assert abs(owners[i] - 1000 * capacity / total) <= 1, (owners, capacities)


def test_away_rep_is_skipped_and_the_rest_stay_fair():
    reps = {f"r{i}@x.fr": Rep(i, f"r{i}@x.fr", f"R{i}") for i in (1, 2, 3)}
    rules = {"rules": [{"id": "all", "match": {}, "reps": list(reps)}]}
    counts: dict = {}
    first = run(compile_routing(rules, reps), LeadFacts(), 300, counts)
    reps["r2@x.fr"] = Rep(2, "r2@x.fr", "R2", away=True)
    during = run(compile_routing(rules, reps), LeadFacts(), 300, counts)
    assert first == {1: 100, 2: 100, 3: 100}
    assert during == {1: 150, 3: 150}


def test_route_does_not_touch_the_counts():
    counts = {("france", 1): 3}
    ROUTER.route(LeadFacts(country="FR", region="59"), counts)
    assert counts == {("france", 1): 3}
