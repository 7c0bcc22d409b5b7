"""scoring: table-driven cases with the explanation a rep would read."""
from __future__ import annotations

import pytest

from leadcapture.demo import DEMO_SETTINGS
from leadcapture.facts import LeadFacts, region_of
from leadcapture.rule_templates import BANT_SCORING
from leadcapture.scoring import compile_scoring, grade_at_least, grade_for, score_lead

QUESTIONS = DEMO_SETTINGS["questions"]
BANT = compile_scoring(BANT_SCORING, QUESTIONS)


def explained(score) -> list[tuple[str, int, str]]:
    return [(e["rule"], e["points"], e["en"]) for e in score.explanation]


@pytest.mark.parametrize("facts, score, grade, explanation", [
    (LeadFacts(), 0, "D", []),
    (LeadFacts(answers={"timeline": "lt3m", "budget": "yes", "role": "decider"}, rating="hot"), 85, "A", [
        ("budget_approved", 20, "Budget approved?: Yes"),
        ("decision_maker", 15, "Role in the decision: Decision maker"),
        ("timeline_under_3_months", 30, "Project timeline: < 3 months"),
        ("rated_hot", 20, "Rated hot at the booth"),
    ]),
    (LeadFacts(job_title="Directrice Générale", email="anne@acme.fr", country="FR"), 25, "C", [
        ("title_c_level", 15, "Job title “Directrice Générale” matches “directrice generale”"),
        ("target_market", 5, "Country FR is a target market"),
        ("business_email", 5, "Business e-mail domain (acme.fr)"),
    ]),
    (LeadFacts(job_title="Head of Marketing", email="bob@gmail.com", answers={"interest": ["kiosk", "analytics"]}), 20,
     "C", [
        ("title_director", 10, "Job title “Head of Marketing” matches “head”"),
        ("product_interest", 10, "Products of interest: Kiosk, ROI analytics"),
    ]),
    (LeadFacts(job_title="MVP of the year", rating="cold", answers={"timeline": "3to12m"}), 5, "D", [
        ("timeline_this_year", 15, "Project timeline: 3-12 months"),
        ("rated_cold", -10, "Rated cold at the booth"),
    ]),
    (LeadFacts(rating="cold"), 0, "D", [("rated_cold", -10, "Rated cold at the booth")]),
    (LeadFacts(company_size=120, staff_met=2, visit_days=2, events_attended=3), 20, "C", [
        ("mid_size_company", 5, "Company of 120 employees"),
        ("met_several_staff", 5, "Met 2 staff members"),
        ("came_back", 5, "Came to the booth on 2 days"),
        ("returning_visitor", 5, "Met at 3 events"),
    ]),
    (LeadFacts(company_size=5000, answers={"budget": "unknown", "role": "influencer"}, rating="warm"), 31, "C", [
        ("budget_unknown", 5, "Budget approved?: Don't know"),
        ("influencer", 8, "Role in the decision: Influencer"),
        ("large_company", 10, "Company of 5000 employees"),
        ("rated_warm", 8, "Rated warm at the booth"),
    ]),
], ids=["nothing", "bant-hot", "ceo-fr", "free-mail-head", "words-not-substrings", "never-below-zero",
        "behaviour", "groups-count-once"])
def test_bant_template(facts, score, grade, explanation):
    result = BANT(facts)
    assert (result.score, result.grade) == (score, grade)
    assert explained(result) == explanation


def test_score_is_capped_at_100_and_explains_every_rule():
    facts = LeadFacts(answers={"timeline": "lt3m", "budget": "yes", "role": "decider", "interest": ["kiosk"]},
                      rating="hot", job_title="CEO", email="ceo@acme.fr", country="BE", company_size=900,
                      staff_met=3, visit_days=2, events_attended=2)
    result = BANT(facts)
    assert result.score == 100 and result.grade == "A"
    assert sum(e["points"] for e in result.explanation) == 145
    assert [e["fr"] for e in result.explanation][:2] == ["Budget validé ? : Oui", "Rôle dans la décision : Décideur"]


@pytest.mark.parametrize("score, grade", [(100, "A"), (70, "A"), (69, "B"), (45, "B"), (44, "C"), (20, "C"),
                                          (19, "D"), (0, "D")])
def test_grade_thresholds(score, grade):
    assert grade_for(score, (70, 45, 20)) == grade


@pytest.mark.parametrize("grade, minimum, ok", [("A", "B", True), ("B", "B", True), ("C", "B", False),
                                                (None, "D", False), (None, None, True), ("D", None, True)])
def test_grade_at_least(grade, minimum, ok):
    assert grade_at_least(grade, minimum) is ok


@pytest.mark.parametrize("rule, facts, fired", [
    ({"kind": "answer", "question": "seats", "min": 10}, LeadFacts(answers={"seats": 12}), "Seats: 12"),
    ({"kind": "answer", "question": "seats", "min": 10}, LeadFacts(answers={"seats": 9}), None),
    ({"kind": "answer", "question": "seats", "max": 10}, LeadFacts(answers={"seats": True}), None),
    ({"kind": "answer", "question": "gdpr", "values": [True]}, LeadFacts(answers={"gdpr": True}), "GDPR?: yes"),
    ({"kind": "answer", "question": "memo", "answered": True}, LeadFacts(answers={"memo": "call me"}),
     "Memo: answered"),
    ({"kind": "answer", "question": "memo", "answered": True}, LeadFacts(answers={"memo": "  "}), None),
    ({"kind": "business_email", "free_domains": ["acme.fr"]}, LeadFacts(email="x@acme.fr"), None),
    ({"kind": "country", "values": ["FR"]}, LeadFacts(country=None), None),
    ({"kind": "job_title", "keywords": ["VP"]}, LeadFacts(job_title="vp sales"), "Job title “vp sales” matches “vp”"),
])
def test_rule_kinds(rule, facts, fired):
    questions = [
        {"id": "seats", "type": "number", "label": {"fr": "Postes", "en": "Seats"}},
        {"id": "gdpr", "type": "boolean", "label": {"fr": "RGPD ?", "en": "GDPR?"}},
        {"id": "memo", "type": "text", "label": {"fr": "Mémo", "en": "Memo"}},
    ]
    result = score_lead({"grades": {"A": 70, "B": 40, "C": 10}, "rules": [{"id": "r", "points": 10, **rule}]},
                        questions, facts)
    assert [e["en"] for e in result.explanation] == ([fired] if fired else [])


def test_custom_label_replaces_the_generated_one():
    rules = {"grades": {"A": 3, "B": 2, "C": 1},
             "rules": [{"id": "eu", "kind": "country", "values": ["DE"], "points": 5,
                        "label": {"en": "EU priority market", "fr": "Marché prioritaire UE"}}]}
    result = score_lead(rules, [], LeadFacts(country="DE"))
    assert result.explanation == [
        {"rule": "eu", "points": 5, "en": "EU priority market", "fr": "Marché prioritaire UE"}]


@pytest.mark.parametrize("country, postal, region, expected", [
    ("FR", "59000", None, "59"), ("FR", "20090", None, "2A"), ("FR", "20200", None, "2B"),
    ("FR", "97400", None, "974"), ("BE", "1000", None, None), ("FR", "75 011", None, "75"), ("DE", None, "by", "BY"),
])
def test_region_of(country, postal, region, expected):
    assert region_of(country, postal, region) == expected
