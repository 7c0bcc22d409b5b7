"""Lead scoring: an event's rules + facts about a lead -> score 0-100, grade A-D, explanation.

Pure functions: no Flask, no database. The rules are the event's
`settings["scoring"]`, already validated by `rule_settings.ScoringSettingsSchema`:

    {"grades": {"A": 70, "B": 45, "C": 20},
     "rules": [{"id": "timeline_short", "kind": "answer", "question": "timeline",
                "values": ["lt3m"], "points": 30}, ...]}

Every rule that fires adds its points; the sum is clamped to 0-100. Rules that
share a `group` (seniority tiers, company-size bands) count once: the one with
the most points. The explanation lists each counted rule with its points and a
sentence in French and English, so a rep can see why a lead is an A.
`compile_scoring` does the per-rule work once, so scoring many leads is cheap.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .facts import LeadFacts, fold

GRADES = ("A", "B", "C", "D")
RATING_WORDS = {"hot": ("hot", "chaud"), "warm": ("warm", "tiède"), "cold": ("cold", "froid")}
# Free-mail and consumer ISP domains: an address there says nothing about an employer.
FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.fr", "yahoo.co.uk", "ymail.com", "hotmail.com",
    "hotmail.fr", "hotmail.co.uk", "outlook.com", "outlook.fr", "live.com", "live.fr", "msn.com", "aol.com",
    "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com", "gmx.com", "gmx.fr", "gmx.de", "web.de",
    "mail.com", "yandex.com", "yandex.ru", "mail.ru", "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr",
    "neuf.fr", "laposte.net", "bbox.fr", "club-internet.fr", "aliceadsl.fr", "numericable.fr", "skynet.be",
    "telenet.be", "bluewin.ch", "libero.it", "t-online.de", "videotron.ca", "sympatico.ca",
})

Label = tuple[str, str]  # (English, French)
Test = Callable[[LeadFacts], Label | None]


@dataclass(frozen=True, slots=True)
class Score:
    score: int  # 0-100
    grade: str  # A-D
    explanation: list[dict]  # [{"rule", "points", "en", "fr"}] in rule order


@dataclass(frozen=True, slots=True)
class _Rule:
    id: str
    points: int
    group: str | None
    test: Test


@dataclass(frozen=True, slots=True)
class Scorer:
    """Compiled scoring rules; call it with a LeadFacts."""

    rules: tuple[_Rule, ...]
    thresholds: tuple[int, int, int]  # minimum score of A, B, C
    uses_history: bool  # a rule needs events_attended, which costs a query

    def __call__(self, facts: LeadFacts) -> Score:
        fired = []
        for rule in self.rules:
            label = rule.test(facts)
            if label is not None:
                fired.append((rule, label))
        if any(rule.group for rule, _l in fired):
            fired = _best_of_groups(fired)
        total = sum(rule.points for rule, _l in fired)
        score = 0 if total < 0 else 100 if total > 100 else total
        explanation = [{"rule": rule.id, "points": rule.points, "en": en, "fr": fr} for rule, (en, fr) in fired]
        return Score(score, grade_for(score, self.thresholds), explanation)


def compile_scoring(scoring: dict | None, questions: list[dict]) -> Scorer | None:
    """Compile validated scoring settings against the event's questions; None when the event does not score."""
    if not scoring:
        return None
    by_id = {q["id"]: q for q in questions}
    rules = tuple(_Rule(r["id"], r["points"], r.get("group"), _compile(r, by_id)) for r in scoring["rules"])
    grades = scoring["grades"]
    return Scorer(rules, (grades["A"], grades["B"], grades["C"]),
                  any(r["kind"] == "events_attended" for r in scoring["rules"]))


def score_lead(scoring: dict, questions: list[dict], facts: LeadFacts) -> Score:
    """Score one lead (compiles the rules each time: use compile_scoring for many leads)."""
    scorer = compile_scoring(scoring, questions)
    if scorer is None:
        raise ValueError("this event has no scoring rules")
    return scorer(facts)


def grade_for(score: int, thresholds: tuple[int, int, int]) -> str:
    """A at or above the first threshold, B the second, C the third, else D."""
    for grade, minimum in zip(GRADES[:3], thresholds, strict=True):
        if score >= minimum:
            return grade
    return "D"


def grade_at_least(grade: str | None, minimum: str | None) -> bool:
    """True when `grade` is `minimum` or better (A is best); no minimum lets everything through."""
    if minimum is None:
        return True
    return grade is not None and GRADES.index(grade) <= GRADES.index(minimum)


def _best_of_groups(fired: list) -> list:
    best: dict[str, _Rule] = {}
    for rule, _label in fired:
        if rule.group and (rule.group not in best or rule.points > best[rule.group].points):
            best[rule.group] = rule
    return [(rule, label) for rule, label in fired if not rule.group or best[rule.group] is rule]


# --------------------------------------------------------------------------- one compiler per kind


def _compile(rule: dict, questions: dict) -> Test:
    test = _COMPILERS[rule["kind"]](rule, questions)
    if rule.get("label"):
        fixed = (rule["label"]["en"], rule["label"]["fr"])
        return lambda facts: fixed if test(facts) is not None else None
    return test


def _answer(rule: dict, questions: dict) -> Test:
    question = questions[rule["question"]]
    qid, kind = question["id"], question["type"]
    q_en, q_fr = question["label"]["en"], question["label"]["fr"]
    if kind == "number":
        low, high = rule.get("min"), rule.get("max")

        def number(facts: LeadFacts) -> Label | None:
            value = facts.answers.get(qid)
            if value is None or isinstance(value, bool) or (low is not None and value < low) \
                    or (high is not None and value > high):
                return None
            return f"{q_en}: {value:g}", f"{q_fr} : {value:g}"
        return number
    if kind == "text":
        def answered(facts: LeadFacts) -> Label | None:
            value = facts.answers.get(qid)
            return (f"{q_en}: answered", f"{q_fr} : répondu") if isinstance(value, str) and value.strip() else None
        return answered
    options = {o["id"]: (o["label"]["en"], o["label"]["fr"]) for o in question.get("options", [])}
    if kind == "boolean":
        options = {True: ("yes", "oui"), False: ("no", "non")}
    elif kind == "rating":
        options = RATING_WORDS
    wanted = {v: options[v] for v in rule["values"]}
    if kind == "multi":
        def any_of(facts: LeadFacts) -> Label | None:
            chosen = [wanted[v] for v in facts.answers.get(qid) or () if v in wanted]
            if not chosen:
                return None
            return (f"{q_en}: {', '.join(en for en, _f in chosen)}", f"{q_fr} : {', '.join(fr for _e, fr in chosen)}")
        return any_of

    def one_of(facts: LeadFacts) -> Label | None:
        value = facts.answers.get(qid)
        if value is None or isinstance(value, list) or value not in wanted:
            return None
        en, fr = wanted[value]
        return f"{q_en}: {en}", f"{q_fr} : {fr}"
    return one_of


def _job_title(rule: dict, _questions: dict) -> Test:
    # Whole words only: "vp" must not match "mvp", nor "cto" match "director".
    pattern = re.compile(r"\b(" + "|".join(re.escape(fold(k)) for k in rule["keywords"]) + r")\b")

    def title(facts: LeadFacts) -> Label | None:
        if not facts.job_title:
            return None
        found = pattern.search(fold(facts.job_title))
        if found is None:
            return None
        return (f"Job title “{facts.job_title}” matches “{found.group(1)}”",
                f"Fonction « {facts.job_title} » : « {found.group(1)} »")
    return title


def _company_size(rule: dict, _questions: dict) -> Test:
    low, high = rule.get("min"), rule.get("max")

    def size(facts: LeadFacts) -> Label | None:
        n = facts.company_size
        if n is None or (low is not None and n < low) or (high is not None and n > high):
            return None
        return f"Company of {n} employees", f"Entreprise de {n} salariés"
    return size


def _country(rule: dict, _questions: dict) -> Test:
    markets = frozenset(rule["values"])

    def country(facts: LeadFacts) -> Label | None:
        if facts.country not in markets:
            return None
        return f"Country {facts.country} is a target market", f"Pays {facts.country} : marché cible"
    return country


def _business_email(rule: dict, _questions: dict) -> Test:
    free = FREE_MAIL_DOMAINS | {d.lower() for d in rule.get("free_domains") or ()}

    def business(facts: LeadFacts) -> Label | None:
        if not facts.email or "@" not in facts.email:
            return None
        domain = facts.email.rsplit("@", 1)[1]
        if domain in free:
            return None
        return f"Business e-mail domain ({domain})", f"Domaine e-mail professionnel ({domain})"
    return business


def _rating(rule: dict, _questions: dict) -> Test:
    wanted = frozenset(rule["values"])

    def rating(facts: LeadFacts) -> Label | None:
        if facts.rating not in wanted:
            return None
        en, fr = RATING_WORDS[facts.rating]
        return f"Rated {en} at the booth", f"Noté {fr} au stand"
    return rating


def _at_least(attribute: str, en: str, fr: str) -> Callable[[dict, dict], Test]:
    def compiler(rule: dict, _questions: dict) -> Test:
        minimum = rule["min"]

        def test(facts: LeadFacts) -> Label | None:
            n = getattr(facts, attribute)
            return (en.format(n=n), fr.format(n=n)) if n >= minimum else None
        return test
    return compiler


_COMPILERS: dict[str, Callable[[dict, dict], Test]] = {
    "answer": _answer,
    "job_title": _job_title,
    "company_size": _company_size,
    "country": _country,
    "business_email": _business_email,
    "rating": _rating,
    "staff_met": _at_least("staff_met", "Met {n} staff members", "Rencontré par {n} personnes de l'équipe"),
    "visit_days": _at_least("visit_days", "Came to the booth on {n} days", "Venu au stand {n} jours"),
    "events_attended": _at_least("events_attended", "Met at {n} events", "Rencontré sur {n} salons"),
}
KINDS = tuple(_COMPILERS)
