"""The schema of an event's scoring and routing rules (`settings["scoring"]`, `settings["routing"]`).

`check_rules(raw, questions)` validates a rule set as a whole and returns
(clean rules, problems): every problem is one sentence naming the rule (by
position and id) and what is wrong with it, e.g.
`scoring rule #3 "budget_ok": question "budjet" is not one of this event's questions (interest, timeline, ...)`.
Whether the reps the rules name exist is checked by `rules.validate_rules`,
which has the database.
"""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .models.leads import Rating
from .scoring import GRADES, KINDS

RULE_ID = validate.Regexp(r"^[a-z0-9_]{1,40}$", error="use 1-40 lowercase letters, digits or _")
COUNTRY = fields.String(validate=validate.Regexp(r"^[A-Z]{2}$", error="use a two-letter ISO code such as FR"))
# Which optional fields each kind of scoring rule takes; anything else is a mistake worth reporting.
KIND_FIELDS = {
    "answer": {"question", "values", "min", "max", "answered"},
    "job_title": {"keywords"},
    "company_size": {"min", "max"},
    "country": {"values"},
    "business_email": {"free_domains"},
    "rating": {"values"},
    "staff_met": {"min"},
    "visit_days": {"min"},
    "events_attended": {"min"},
}
OPTIONAL = {"question", "values", "min", "max", "answered", "keywords", "free_domains"}


class RuleLabelSchema(Schema):
    fr = fields.String(required=True, validate=validate.Length(min=1, max=200))
    en = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ScoringRuleSchema(Schema):
    id = fields.String(required=True, validate=RULE_ID)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    points = fields.Integer(required=True, strict=True, validate=validate.Range(min=-100, max=100))
    label = fields.Nested(RuleLabelSchema, load_default=None, allow_none=True)
    group = fields.String(load_default=None, allow_none=True, validate=RULE_ID,
                          metadata={"description": "rules of one group count once: the one with most points"})
    question = fields.String()
    values = fields.List(fields.Raw(), validate=validate.Length(min=1))
    min = fields.Float(allow_nan=False)
    max = fields.Float(allow_nan=False)
    answered = fields.Boolean()
    keywords = fields.List(fields.String(validate=validate.Length(min=1, max=60)), validate=validate.Length(min=1))
    free_domains = fields.List(fields.String(validate=validate.Length(min=3, max=120)))

    @validates_schema
    def _fields_fit_kind(self, data, **kwargs):
        kind = data.get("kind")
        if kind not in KIND_FIELDS:
            return
        stray = sorted((set(data) & OPTIONAL) - KIND_FIELDS[kind])
        if stray:
            raise ValidationError(f"{', '.join(stray)} does not apply to a {kind} rule", stray[0])
        needs = {"job_title": ["keywords"], "country": ["values"], "rating": ["values"],
                 "staff_met": ["min"], "visit_days": ["min"], "events_attended": ["min"], "answer": ["question"]}
        for name in needs.get(kind, []):
            if name not in data:
                raise ValidationError(f"a {kind} rule needs {name}", name)
        if kind == "company_size" and "min" not in data and "max" not in data:
            raise ValidationError("a company_size rule needs min, max or both", "min")
        if "min" in data and "max" in data and data["min"] > data["max"]:
            raise ValidationError(f"min ({data['min']:g}) is above max ({data['max']:g})", "min")
        if kind == "rating" and not set(data["values"]) <= {r.value for r in Rating}:
            raise ValidationError("values must be among hot, warm, cold", "values")
        if kind == "country":
            bad = [v for v in data["values"] if not (isinstance(v, str) and len(v) == 2 and v.isupper())]
            if bad:
                raise ValidationError(f"{bad[0]!r} is not a two-letter ISO country code such as FR", "values")


class GradesSchema(Schema):
    A = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100))
    B = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100))
    C = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100))

    @validates_schema
    def _decreasing(self, data, **kwargs):
        if {"A", "B", "C"} <= set(data):
            for better, worse in (("A", "B"), ("B", "C")):
                if data[worse] >= data[better]:
                    raise ValidationError(
                        f"grade thresholds overlap: {worse} starts at {data[worse]} but must start below "
                        f"{better} ({data[better]})", worse)


class ScoringSettingsSchema(Schema):
    grades = fields.Nested(GradesSchema, required=True,
                           metadata={"description": "minimum score of grades A, B and C; below C is D"})
    rules = fields.List(fields.Nested(ScoringRuleSchema), required=True)


class RoutingMatchSchema(Schema):
    countries = fields.List(COUNTRY)
    regions = fields.List(fields.String(validate=validate.Length(min=1, max=80)))
    postal_prefixes = fields.List(fields.String(validate=validate.Regexp(r"^[0-9A-Z]{1,10}$")))
    answers = fields.Dict(keys=fields.String(), values=fields.List(fields.Raw(), validate=validate.Length(min=1)))
    company_size_min = fields.Integer(strict=True, validate=validate.Range(min=0))
    company_size_max = fields.Integer(strict=True, validate=validate.Range(min=0))
    grades = fields.List(fields.String(validate=validate.OneOf(GRADES)))


class RoutingRuleSchema(Schema):
    id = fields.String(required=True, validate=RULE_ID)
    label = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120))
    match = fields.Nested(RoutingMatchSchema, load_default=dict)
    reps = fields.List(fields.Email(), required=True, validate=validate.Length(min=1, error="name at least one rep"))
    by_rep_territory = fields.Boolean(load_default=False, metadata={
        "description": "only the reps whose own territory (countries, regions, postal prefixes) covers the lead"})


class RoutingSettingsSchema(Schema):
    min_grade = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(GRADES))
    rules = fields.List(fields.Nested(RoutingRuleSchema), load_default=list)
    fallback_owner = fields.Email(load_default=None, allow_none=True)
    sla_hours = fields.Dict(keys=fields.String(validate=validate.OneOf(GRADES)),
                            values=fields.Integer(strict=True, validate=validate.Range(min=1, max=24 * 90)),
                            load_default=dict, metadata={"description": "contact leads of this grade within N hours"})


class RuleSetSchema(Schema):
    """What `leadcapture rules export` writes and `import` reads."""

    scoring = fields.Nested(ScoringSettingsSchema, load_default=None, allow_none=True)
    routing = fields.Nested(RoutingSettingsSchema, load_default=None, allow_none=True)


def check_rules(raw: dict, questions: list[dict]) -> tuple[dict | None, list[str]]:
    """Validate a whole rule set {"scoring", "routing"} against the event's questions.

    Returns (clean rule set, []) or (None, problems); never a part of it.
    """
    if not isinstance(raw, dict):
        return None, ["a rule set is a JSON object with \"scoring\" and \"routing\""]
    try:
        clean = RuleSetSchema().load(raw)
    except ValidationError as exc:
        return None, _flatten(exc.messages, raw)
    problems = _check_scoring(clean["scoring"], questions) + _check_routing(clean, questions)
    if clean["scoring"]:
        _normalise_numbers(clean["scoring"]["rules"])
    clean["routing"] = _lower_emails(clean["routing"])
    return (None, problems) if problems else (clean, [])


def _check_scoring(scoring: dict | None, questions: list[dict]) -> list[str]:
    if not scoring:
        return []
    by_id = {q["id"]: q for q in questions}
    problems = _duplicates("scoring", scoring["rules"])
    for n, rule in enumerate(scoring["rules"], 1):
        if rule["kind"] != "answer":
            continue
        where = f"scoring rule #{n} \"{rule['id']}\""
        question = by_id.get(rule["question"])
        if question is None:
            problems.append(f"{where}: question \"{rule['question']}\" is not one of this event's questions "
                            f"({', '.join(by_id) or 'none'})")
            continue
        if problem := _answer_rule_problem(rule, question):
            problems.append(f"{where}: {problem}")
    return problems


def _answer_rule_problem(rule: dict, question: dict) -> str | None:
    kind, qid = question["type"], question["id"]
    if kind == "number":
        if "values" in rule or "answered" in rule or ("min" not in rule and "max" not in rule):
            return f"\"{qid}\" is a number question: give min, max or both"
        return None
    if kind == "text":
        if rule.get("answered") is not True or {"values", "min", "max"} & set(rule):
            return f"\"{qid}\" is a text question: the rule can only say \"answered\": true"
        return None
    if "values" not in rule or {"min", "max", "answered"} & set(rule):
        return f"\"{qid}\" is a {kind} question: give the answers that score as \"values\""
    allowed = {"boolean": [True, False], "rating": [r.value for r in Rating]}.get(
        kind, [o["id"] for o in question.get("options", [])])
    unknown = [v for v in rule["values"] if v not in allowed or isinstance(v, bool) != (kind == "boolean")]
    if unknown:
        return (f"{unknown[0]!r} is not an answer to \"{qid}\"; its answers are "
                f"{', '.join(map(_json_word, allowed))}")
    return None


def _check_routing(clean: dict, questions: list[dict]) -> list[str]:
    routing = clean["routing"]
    if not routing:
        return []
    by_id = {q["id"]: q for q in questions}
    problems = _duplicates("routing", routing["rules"])
    if routing.get("min_grade") and not clean["scoring"]:
        problems.append(f"routing: min_grade {routing['min_grade']} needs scoring rules to grade leads")
    for grade in routing["sla_hours"]:
        if not clean["scoring"]:
            problems.append(f"routing: sla_hours for grade {grade} needs scoring rules to grade leads")
            break
    for n, rule in enumerate(routing["rules"], 1):
        where = f"routing rule #{n} \"{rule['id']}\""
        match = rule["match"]
        if match.get("grades") and not clean["scoring"]:
            problems.append(f"{where}: matches on grade but this event has no scoring rules")
        low, high = match.get("company_size_min"), match.get("company_size_max")
        if low is not None and high is not None and low > high:
            problems.append(f"{where}: company_size_min ({low}) is above company_size_max ({high})")
        for qid, values in (match.get("answers") or {}).items():
            question = by_id.get(qid)
            if question is None:
                problems.append(f"{where}: question \"{qid}\" is not one of this event's questions "
                                f"({', '.join(by_id) or 'none'})")
                continue
            options = [o["id"] for o in question.get("options", [])]
            if question["type"] not in ("single", "multi"):
                problems.append(f"{where}: routing can match only choice questions; \"{qid}\" is {question['type']}")
            elif unknown := [v for v in values if v not in options]:
                problems.append(f"{where}: {unknown[0]!r} is not an answer to \"{qid}\"; its answers are "
                                f"{', '.join(options)}")
    return problems


def _duplicates(section: str, rules: list[dict]) -> list[str]:
    seen: dict[str, int] = {}
    problems = []
    for n, rule in enumerate(rules, 1):
        if rule["id"] in seen:
            problems.append(f"{section} rule #{n} \"{rule['id']}\": the id is already used by rule #{seen[rule['id']]}")
        seen.setdefault(rule["id"], n)
    return problems


def _normalise_numbers(rules: list[dict]) -> None:
    """Whole-number bounds stay ints in the JSON (min 2, not 2.0) so an export reads as it was written."""
    for rule in rules:
        for key in ("min", "max"):
            if isinstance(rule.get(key), float) and rule[key].is_integer():
                rule[key] = int(rule[key])


def _lower_emails(routing: dict | None) -> dict | None:
    if not routing:
        return routing
    for rule in routing["rules"]:
        rule["reps"] = [e.lower() for e in rule["reps"]]
    if routing.get("fallback_owner"):
        routing["fallback_owner"] = routing["fallback_owner"].lower()
    return routing


def _json_word(value) -> str:
    return {True: "true", False: "false"}.get(value, str(value)) if isinstance(value, bool) else str(value)


def _flatten(messages, raw, path: tuple = ()) -> list[str]:
    """marshmallow's nested {field: {index: {field: [msg]}}} -> sentences that name the rule."""
    if isinstance(messages, list):
        return [f"{_where(path, raw)}: {m}" for m in messages if isinstance(m, str)] + [
            line for m in messages if isinstance(m, dict) for line in _flatten(m, raw, path)]
    lines = []
    for key, value in messages.items():
        lines.extend(_flatten(value, raw, (*path, key)))
    return lines


def _where(path: tuple, raw) -> str:
    """("scoring", "rules", 2, "points") -> 'scoring rule #3 "budget_ok": points'."""
    if len(path) >= 3 and path[1] == "rules" and isinstance(path[2], int):
        rules = raw.get(path[0], {}).get("rules", []) if isinstance(raw.get(path[0]), dict) else []
        rule = rules[path[2]] if isinstance(rules, list) and path[2] < len(rules) else None
        rule_id = rule.get("id") if isinstance(rule, dict) else None
        name = f"{path[0]} rule #{path[2] + 1}" + (f" \"{rule_id}\"" if isinstance(rule_id, str) else "")
        rest = ".".join(str(p) for p in path[3:] if p != "_schema")
        return f"{name}: {rest}" if rest else name
    return ".".join(str(p) for p in path if p != "_schema") or "rule set"
