"""Rule sets: bad input rejected with per-rule messages and never half-applied; export/import."""
from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import select

from helpers import at, new_client_id
from leadcapture.actors import Actor
from leadcapture.capture import Scan, ingest
from leadcapture.cli import cli
from leadcapture.models import AuditEntry, Role
from leadcapture.rule_settings import check_rules
from leadcapture.rule_templates import BANT_SCORING, bant_rules
from leadcapture.rules import RulesRejected, apply_rules, export_rules, validate_rules

QUESTIONS = [
    {"id": "timeline", "type": "single", "label": {"fr": "Échéance", "en": "Timeline"},
     "options": [{"id": "lt3m", "label": {"fr": "< 3 mois", "en": "< 3 months"}},
                 {"id": "later", "label": {"fr": "Plus tard", "en": "Later"}}]},
    {"id": "seats", "type": "number", "label": {"fr": "Postes", "en": "Seats"}},
]
GOOD = {"grades": {"A": 60, "B": 40, "C": 20},
        "rules": [{"id": "soon", "kind": "answer", "question": "timeline", "values": ["lt3m"], "points": 30}]}


def scoring_with(**changes) -> dict:
    """GOOD with the first rule changed; None removes a field."""
    rules = copy.deepcopy(GOOD)
    for key, value in changes.items():
        if value is None:
            rules["rules"][0].pop(key, None)
        else:
            rules["rules"][0][key] = value
    return {"scoring": rules}


@pytest.mark.parametrize("raw, problem", [
    (scoring_with(question="timline"),
     'scoring rule #1 "soon": question "timline" is not one of this event\'s questions (timeline, seats)'),
    (scoring_with(values=["asap"]),
     'scoring rule #1 "soon": \'asap\' is not an answer to "timeline"; its answers are lt3m, later'),
    (scoring_with(points="30"), 'scoring rule #1 "soon": points: Not a valid integer.'),
    (scoring_with(points=300), 'scoring rule #1 "soon": points: Must be greater than or equal to -100 and less '
                               'than or equal to 100.'),
    (scoring_with(kind="telepathy"), 'scoring rule #1 "soon": kind: Must be one of: answer, job_title, '
                                     'company_size, country, business_email, rating, staff_met, visit_days, '
                                     'events_attended.'),
    (scoring_with(kind="country", values=["france"]),
     'scoring rule #1 "soon": question: question does not apply to a country rule'),
    (scoring_with(kind="job_title", question=None, values=None),
     'scoring rule #1 "soon": keywords: a job_title rule needs keywords'),
    (scoring_with(question="seats", values=None, min=10), None),
    (scoring_with(question="seats"), 'scoring rule #1 "soon": "seats" is a number question: give min, max or both'),
    ({"scoring": {**GOOD, "grades": {"A": 60, "B": 60, "C": 20}}},
     "scoring.grades.B: grade thresholds overlap: B starts at 60 but must start below A (60)"),
    ({"scoring": {**GOOD, "grades": {"A": 60, "B": 40, "C": 45}}},
     "scoring.grades.C: grade thresholds overlap: C starts at 45 but must start below B (40)"),
    ({"scoring": {**GOOD, "rules": GOOD["rules"] * 2}},
     'scoring rule #2 "soon": the id is already used by rule #1'),
    ({"routing": {"rules": [{"id": "fr", "match": {"countries": ["FR"]}, "reps": []}]}},
     'routing rule #1 "fr": reps: name at least one rep'),
    ({"routing": {"rules": [{"id": "fr", "match": {"answers": {"timeline": ["now"]}}, "reps": ["a@x.fr"]}]}},
     'routing rule #1 "fr": \'now\' is not an answer to "timeline"; its answers are lt3m, later'),
    ({"routing": {"min_grade": "B", "rules": []}}, "routing: min_grade B needs scoring rules to grade leads"),
    ({"routing": {"rules": [{"id": "fr", "match": {"countrys": ["FR"]}, "reps": ["a@x.fr"]}]}},
     'routing rule #1 "fr": match.countrys: Unknown field.'),
    ([1, 2], 'a rule set is a JSON object with "scoring" and "routing"'),
])
def test_bad_rules_say_which_rule_and_what_is_wrong(raw, problem):
    clean, problems = check_rules(raw, QUESTIONS)
    if problem is None:
        assert problems == [] and clean["scoring"]["rules"][0]["min"] == 10
    else:
        assert problem in problems, problems
        assert clean is None


def test_the_template_is_valid_on_the_demo_questions():
    from leadcapture.demo import DEMO_SETTINGS

    clean, problems = check_rules({"scoring": BANT_SCORING}, DEMO_SETTINGS["questions"])
    assert problems == [] and len(clean["scoring"]["rules"]) == 20


@pytest.fixture
def event(make_event):
    return make_event()


@pytest.fixture
def team(make_user, event):
    return {"rep": make_user("Rémi", Role.REP, events=[event]), "rose": make_user("Rose", Role.REP, events=[event]),
            "marc": make_user("Marc", Role.MARKETING, events=[event]),
            "alice": make_user("Alice", events=[event])}


def rules_for(team) -> dict:
    return bant_rules([team["rep"].email, team["rose"].email], team["marc"].email)


def test_rule_pointing_at_a_deleted_or_foreign_rep_is_rejected(session, event, team, make_user, make_event):
    raw = rules_for(team)
    outsider = make_user("Olga", Role.REP, events=[make_event("other")])
    raw["routing"]["rules"][0]["reps"] = ["ghost@example.test", outsider.email]
    team["marc"].active = False
    session.commit()
    _clean, problems = validate_rules(session, event, raw)
    assert problems == [
        'routing rule #1 "benelux": rep ghost@example.test is not a user (deleted, or never created)',
        'routing rule #1 "benelux": rep olga@example.test does not work this event; add them to it first',
        "routing: fallback owner marc@example.test is deactivated",
    ]


def test_a_rejected_rule_set_changes_nothing(session, event, team):
    apply_rules(session, event, rules_for(team), Actor.cli())
    session.commit()
    before = export_rules(event)
    bad = rules_for(team)
    bad["scoring"]["rules"][3]["points"] = 15.5  # one bad rule among twenty
    with pytest.raises(RulesRejected) as caught:
        apply_rules(session, event, bad, Actor.cli())
    session.rollback()
    assert caught.value.problems == ['scoring rule #4 "influencer": points: Not a valid integer.']
    session.refresh(event)
    assert export_rules(event) == before


def test_applying_rules_rescores_existing_leads_and_is_audited(session, event, team):
    alice = team["alice"]
    lead = ingest(session, event, Scan(new_client_id(), at(10), contact={"first_name": "Ana", "last_name": "Lima"},
                                       answers={"timeline": "lt3m"}, rating="hot"), Actor.for_user(alice)).lead
    session.commit()
    assert lead.score is None
    apply_rules(session, event, rules_for(team), Actor.cli())
    session.commit()
    assert (lead.score, lead.grade) == (50, "B")
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "rules.update")).one()
    assert entry.details["before"] == {"scoring": None, "routing": None}


def test_cli_export_then_import(runner, session, event, team, tmp_path):
    def run(*args):
        session.commit()  # SQLite: the command needs the write lock the test's transaction would hold
        result = runner.invoke(cli, [str(a) for a in args])
        session.expire_all()
        return result

    apply_rules(session, event, rules_for(team), Actor.cli())
    exported = run("rules", "export", event.slug)
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.output)
    assert data["routing"]["fallback_owner"] == "marc@example.test"
    data["scoring"]["grades"]["A"] = 80
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(data))
    imported = run("rules", "import", event.slug, path)
    assert imported.exit_code == 0, imported.output
    assert event.settings["scoring"]["grades"]["A"] == 80

    data["scoring"]["grades"]["B"] = 90
    path.write_text(json.dumps(data))
    refused = run("rules", "import", event.slug, path)
    assert refused.exit_code == 1
    assert "scoring.grades.B: grade thresholds overlap: B starts at 90 but must start below A (80)" in refused.output
    assert event.settings["scoring"]["grades"]["B"] == 45
