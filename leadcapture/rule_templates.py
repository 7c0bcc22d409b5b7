"""Rule sets to start from. `BANT` scores Budget, Authority, Need and Timeline, as a marketer would,
on the demo event's questions (interest, timeline, budget, role), plus the contact and the booth."""
from __future__ import annotations

import copy

C_LEVEL = ["ceo", "cfo", "cto", "coo", "cmo", "cio", "pdg", "dg", "président", "présidente", "president",
           "directeur général", "directrice générale", "general manager", "founder", "co-founder", "fondateur",
           "fondatrice", "owner", "gérant", "gérante"]
DIRECTOR = ["directeur", "directrice", "director", "head", "vp", "vice president", "vice-président",
            "vice-présidente", "responsable"]
MANAGER = ["manager", "chef", "lead", "team leader"]


def _rule(rule_id: str, kind: str, points: int, **fields) -> dict:
    return {"id": rule_id, "kind": kind, "points": points, **fields}


BANT_SCORING = {
    "grades": {"A": 70, "B": 45, "C": 20},
    "rules": [
        # Budget
        _rule("budget_approved", "answer", 20, question="budget", values=["yes"], group="budget"),
        _rule("budget_unknown", "answer", 5, question="budget", values=["unknown"], group="budget"),
        # Authority
        _rule("decision_maker", "answer", 15, question="role", values=["decider"], group="authority"),
        _rule("influencer", "answer", 8, question="role", values=["influencer"], group="authority"),
        _rule("title_c_level", "job_title", 15, keywords=C_LEVEL, group="seniority"),
        _rule("title_director", "job_title", 10, keywords=DIRECTOR, group="seniority"),
        _rule("title_manager", "job_title", 5, keywords=MANAGER, group="seniority"),
        # Need
        _rule("product_interest", "answer", 10, question="interest", values=["kiosk", "crm_sync", "analytics"]),
        # Timeline
        _rule("timeline_under_3_months", "answer", 30, question="timeline", values=["lt3m"], group="timeline"),
        _rule("timeline_this_year", "answer", 15, question="timeline", values=["3to12m"], group="timeline"),
        # Fit and behaviour
        _rule("large_company", "company_size", 10, min=250, group="size"),
        _rule("mid_size_company", "company_size", 5, min=50, max=249, group="size"),
        _rule("target_market", "country", 5, values=["FR", "BE", "CH", "LU"]),
        _rule("business_email", "business_email", 5),
        _rule("rated_hot", "rating", 20, values=["hot"], group="booth"),
        _rule("rated_warm", "rating", 8, values=["warm"], group="booth"),
        _rule("rated_cold", "rating", -10, values=["cold"]),
        _rule("met_several_staff", "staff_met", 5, min=2),
        _rule("came_back", "visit_days", 5, min=2),
        _rule("returning_visitor", "events_attended", 5, min=2),
    ],
}


def bant_rules(reps: list[str], fallback_owner: str) -> dict:
    """The BANT scoring above and a plain routing: Benelux to the first rep, France's A leads shared
    by all reps, other French leads to the last rep, the rest to `fallback_owner`; A within 24 h."""
    return {
        "scoring": copy.deepcopy(BANT_SCORING),
        "routing": {
            "min_grade": "C",
            "fallback_owner": fallback_owner,
            "sla_hours": {"A": 24, "B": 72},
            "rules": [
                {"id": "benelux", "label": "Belgique / Luxembourg", "match": {"countries": ["BE", "LU"]},
                 "reps": reps[:1]},
                {"id": "france_hot", "label": "France, A", "match": {"countries": ["FR"], "grades": ["A"]},
                 "reps": reps},
                {"id": "france", "label": "France", "match": {"countries": ["FR"]}, "reps": reps[-1:]},
            ],
        },
    }
