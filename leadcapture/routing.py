"""Lead routing: an event's rules + facts about a lead + reps -> owner and the rule that chose them.

Pure functions: no Flask, no database. The rules are the event's
`settings["routing"]`, validated by `rule_settings.RoutingSettingsSchema`:

    {"min_grade": "B", "fallback_owner": "marc@example.com", "sla_hours": {"A": 24},
     "rules": [{"id": "north", "match": {"countries": ["FR"], "regions": ["59", "62"]},
                "reps": ["rep@example.com", "rep2@example.com"]}, ...]}

Rules are tried in order and the first that matches, with at least one rep
available, wins. Within a rule, reps take turns weighted by their capacity
(a rep of capacity 2 gets twice the leads of a rep of capacity 1) and reps
marked away are skipped. The turn counters live in the database; `route`
reads them and says which counter to bump, so it stays pure. When no rule
matches, the fallback owner gets the lead.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .facts import LeadFacts
from .scoring import grade_at_least

FALLBACK = "fallback"
Counts = Mapping[tuple[str, int], int]  # (rule id, rep id) -> leads assigned by that rule so far


@dataclass(frozen=True, slots=True)
class Rep:
    id: int
    email: str
    name: str
    capacity: int = 1  # relative weight in the round-robin; 0 takes no new leads
    away: bool = False
    countries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    postal_prefixes: tuple[str, ...] = ()

    @property
    def available(self) -> bool:
        return not self.away and self.capacity > 0

    def covers(self, facts: LeadFacts) -> bool:
        """Whether the lead is in this rep's territory; a rep with no territory covers nothing."""
        if not (self.countries or self.regions or self.postal_prefixes):
            return False
        if self.countries and facts.country not in self.countries:
            return False
        if self.regions and facts.region not in self.regions:
            return False
        return not self.postal_prefixes or bool(
            facts.postal_code and facts.postal_code.replace(" ", "").startswith(self.postal_prefixes))


@dataclass(frozen=True, slots=True)
class Route:
    owner_id: int | None
    rule_id: str | None  # the rule that chose the owner, "fallback", or None when nobody
    reason: dict  # {"en": ..., "fr": ...}
    counter: tuple[str, int] | None = None  # the turn counter to bump when this route is used


@dataclass(frozen=True, slots=True)
class _Rule:
    id: str
    label: str
    conditions: tuple[Callable[[LeadFacts], bool], ...]
    described: tuple[str, str]
    reps: tuple[Rep, ...]
    by_rep_territory: bool


@dataclass(frozen=True)
class Router:
    """Compiled routing rules; see `route`."""

    min_grade: str | None
    rules: tuple[_Rule, ...]
    fallback: Rep | None
    sla_hours: dict = field(default_factory=dict)

    def eligible(self, grade: str | None) -> bool:
        return grade_at_least(grade, self.min_grade)

    def route(self, facts: LeadFacts, counts: Counts) -> Route:
        """Who gets this lead. `counts` is only read; bump `Route.counter` when the route is used."""
        skipped_en, skipped_fr = [], []
        for rule in self.rules:
            if not all(test(facts) for test in rule.conditions):
                continue
            reps = [r for r in rule.reps if r.available and (not rule.by_rep_territory or r.covers(facts))]
            if not reps:
                skipped_en.append(f"rule {rule.label} matched but none of its reps is available")
                skipped_fr.append(f"la règle {rule.label} correspond mais aucun de ses commerciaux n'est disponible")
                continue
            rep = _next_in_turn(rule.id, reps, counts)
            available = f"{len(reps)}/{len(rule.reps)}"
            en = (f"rule {rule.label} ({rule.described[0]}): {rep.name}, weighted round-robin "
                  f"among {available} available reps")
            fr = (f"règle {rule.label} ({rule.described[1]}) : {rep.name}, à tour de rôle pondéré "
                  f"entre {available} commerciaux disponibles")
            return Route(rep.id, rule.id, _with_skipped(en, fr, skipped_en, skipped_fr), (rule.id, rep.id))
        if self.fallback is not None:
            return Route(self.fallback.id, FALLBACK, _with_skipped(
                f"no rule matched: fallback owner {self.fallback.name}",
                f"aucune règle ne correspond : responsable par défaut {self.fallback.name}", skipped_en, skipped_fr))
        return Route(None, None, _with_skipped("no rule matched and there is no fallback owner",
                                               "aucune règle ne correspond et il n'y a pas de responsable par défaut",
                                               skipped_en, skipped_fr))


def compile_routing(routing: dict | None, reps_by_email: Mapping[str, Rep]) -> Router | None:
    """Compile validated routing settings; None when the event does not route.

    Reps the rules name but `reps_by_email` lacks (deleted or deactivated since
    the rules were saved) are left out: their turn passes to the others.
    """
    if not routing:
        return None
    rules = []
    for r in routing.get("rules", []):
        match = r.get("match") or {}
        rules.append(_Rule(
            id=r["id"], label=r.get("label") or r["id"], conditions=_conditions(match), described=_describe(match),
            reps=tuple(reps_by_email[e] for e in r["reps"] if e in reps_by_email),
            by_rep_territory=r.get("by_rep_territory", False),
        ))
    fallback = reps_by_email.get(routing["fallback_owner"]) if routing.get("fallback_owner") else None
    return Router(routing.get("min_grade"), tuple(rules), fallback, dict(routing.get("sla_hours") or {}))


def rep_emails(routing: dict | None) -> set[str]:
    """Every e-mail the routing settings name, to load those users in one query."""
    if not routing:
        return set()
    emails = {e for r in routing.get("rules", []) for e in r["reps"]}
    if routing.get("fallback_owner"):
        emails.add(routing["fallback_owner"])
    return emails


def _next_in_turn(rule_id: str, reps: list[Rep], counts: Counts) -> Rep:
    # The rep furthest behind their share goes next: (assigned + 1) / capacity is
    # when their next lead is "due". This keeps every rep within one lead of
    # capacity_i / sum(capacities) of the total, in any order of arrival.
    return min(reps, key=lambda rep: (counts.get((rule_id, rep.id), 0) + 1) / rep.capacity)


def _with_skipped(en: str, fr: str, skipped_en: list[str], skipped_fr: list[str]) -> dict:
    if skipped_en:
        en += " (" + "; ".join(skipped_en) + ")"
        fr += " (" + " ; ".join(skipped_fr) + ")"
    return {"en": en, "fr": fr}


def _conditions(match: dict) -> tuple[Callable[[LeadFacts], bool], ...]:
    tests: list[Callable[[LeadFacts], bool]] = []
    if match.get("countries"):
        countries = frozenset(match["countries"])
        tests.append(lambda f: f.country in countries)
    if match.get("regions"):
        regions = frozenset(match["regions"])
        tests.append(lambda f: f.region in regions)
    if match.get("postal_prefixes"):
        prefixes = tuple(match["postal_prefixes"])
        tests.append(lambda f: bool(f.postal_code) and f.postal_code.replace(" ", "").startswith(prefixes))
    for qid, values in (match.get("answers") or {}).items():
        tests.append(_answer_test(qid, frozenset(values)))
    low, high = match.get("company_size_min"), match.get("company_size_max")
    if low is not None or high is not None:
        tests.append(lambda f: f.company_size is not None and (low is None or f.company_size >= low)
                     and (high is None or f.company_size <= high))
    if match.get("grades"):
        grades = frozenset(match["grades"])
        tests.append(lambda f: f.grade in grades)
    return tuple(tests)


def _answer_test(qid: str, values: frozenset) -> Callable[[LeadFacts], bool]:
    def test(facts: LeadFacts) -> bool:
        answer = facts.answers.get(qid)
        if isinstance(answer, list):
            return not values.isdisjoint(answer)
        return answer in values
    return test


def _describe(match: dict) -> tuple[str, str]:
    en, fr = [], []
    for key, en_word, fr_word in (("countries", "country", "pays"), ("regions", "region", "région"),
                                  ("postal_prefixes", "postal code", "code postal"), ("grades", "grade", "note")):
        if match.get(key):
            values = "/".join(match[key])
            en.append(f"{en_word} {values}")
            fr.append(f"{fr_word} {values}")
    for qid, values in (match.get("answers") or {}).items():
        en.append(f"{qid} {'/'.join(map(str, values))}")
        fr.append(f"{qid} {'/'.join(map(str, values))}")
    low, high = match.get("company_size_min"), match.get("company_size_max")
    if low is not None or high is not None:
        span = f"{low if low is not None else 0}-{high if high is not None else '∞'}"
        en.append(f"company size {span}")
        fr.append(f"taille {span}")
    return (", ".join(en) or "every lead", ", ".join(fr) or "tous les leads")
