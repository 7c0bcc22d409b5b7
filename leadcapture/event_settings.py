"""Per-event configuration stored as JSON on the event, and the checks that use it.

The schema is the contract for the web UI, the JSON export and the API: badge
formats, qualifier questions, consent texts (per language, versioned) and
retention.
"""
from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from .badges.context import DEFAULT_FORMATS, FORMATS
from .badges.delimited import DELIMITERS, FIELD_NAMES, PRESETS
from .rule_settings import RoutingSettingsSchema, ScoringSettingsSchema, check_rules

LANGUAGES = ("fr", "en")
QUESTION_TYPES = ("single", "multi", "rating", "text", "number", "boolean")
BADGE_FORMATS = FORMATS
# Fields that can tell who a delimited record is about; a field map needs one.
IDENTITY_FIELDS = ("registration_id", "email", "first_name", "last_name", "full_name")


class LabelSchema(Schema):
    fr = fields.String(required=True, validate=validate.Length(min=1, max=300))
    en = fields.String(required=True, validate=validate.Length(min=1, max=300))


class OptionSchema(Schema):
    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9_]{1,40}$"))
    label = fields.Nested(LabelSchema, required=True)


class QuestionSchema(Schema):
    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9_]{1,40}$"))
    type = fields.String(required=True, validate=validate.OneOf(QUESTION_TYPES))
    label = fields.Nested(LabelSchema, required=True)
    options = fields.List(fields.Nested(OptionSchema), load_default=list)
    required = fields.Boolean(load_default=False)

    @validates_schema
    def _options_match_type(self, data, **kwargs):
        if data["type"] in ("single", "multi") and not data["options"]:
            raise ValidationError("a single or multi choice question needs options", "options")
        ids = [o["id"] for o in data["options"]]
        if len(ids) != len(set(ids)):
            raise ValidationError("option ids must be unique", "options")


class ConsentTextSchema(Schema):
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    version = fields.String(required=True, validate=validate.Length(min=1, max=40))
    text = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class ConsentSettingsSchema(Schema):
    purposes = fields.List(fields.String(validate=validate.Regexp(r"^[a-z0-9_]{1,40}$")),
                           load_default=lambda: ["marketing"])
    texts = fields.List(fields.Nested(ConsentTextSchema), load_default=list)


class DelimitedSchema(Schema):
    """The field map of delimited badge records: a preset's name, or a delimiter and field names in order."""

    preset = fields.String(validate=validate.OneOf(sorted(PRESETS)),
                           metadata={"description": "fills delimiter and fields unless they are given"})
    delimiter = fields.String(validate=validate.OneOf(DELIMITERS))
    fields_ = fields.List(fields.String(validate=validate.OneOf(FIELD_NAMES)), data_key="fields",
                          attribute="fields", validate=validate.Length(min=1, max=60),
                          metadata={"description": "one name per field of the record; 'skip' for unused ones"})

    @validates_schema
    def _complete_map(self, data, **kwargs):
        if "preset" not in data and not ("delimiter" in data and "fields" in data):
            raise ValidationError("name a preset, or give both the delimiter and the fields", "fields")
        if "fields" in data and not set(data["fields"]) & set(IDENTITY_FIELDS):
            raise ValidationError(f"name at least one of {', '.join(IDENTITY_FIELDS)}", "fields")

    @post_load
    def _expand_preset(self, data, **kwargs):
        if "preset" in data:
            delimiter, names = PRESETS[data["preset"]]
            data.setdefault("delimiter", delimiter)
            data.setdefault("fields", list(names))
        return data


def _url_pattern(value: str) -> None:
    try:
        pattern = re.compile(value)
    except re.error as exc:
        raise ValidationError(f"not a regular expression: {exc}") from None
    if pattern.groups < 1:
        raise ValidationError("put the registration id in a group, e.g. /t/(?P<id>[A-Z0-9]+)")


class BadgeSettingsSchema(Schema):
    formats = fields.List(fields.String(validate=validate.OneOf(BADGE_FORMATS)),
                          load_default=lambda: list(DEFAULT_FORMATS))
    delimited = fields.Nested(DelimitedSchema, load_default=None, allow_none=True)
    url_patterns = fields.List(
        fields.String(validate=[validate.Length(max=300), _url_pattern]), load_default=list,
        validate=validate.Length(max=10),
        metadata={"description": "regular expressions finding the registration id in a badge URL (group 'id' "
                                 "or the first group); default: an id/ref parameter, else the last path segment"})

    @validates_schema
    def _delimited_has_a_map(self, data, **kwargs):
        if "delimited" in data.get("formats", []) and not data.get("delimited"):
            raise ValidationError("delimited badges need a field map: a preset, or a delimiter and fields",
                                  "delimited")

    @post_load
    def _field_map_enables_delimited(self, data, **kwargs):
        if data.get("delimited") and "delimited" not in data["formats"]:
            data["formats"].append("delimited")
        return data


class EventSettingsSchema(Schema):
    badge = fields.Nested(BadgeSettingsSchema, load_default=lambda: BadgeSettingsSchema().load({}))
    questions = fields.List(fields.Nested(QuestionSchema), load_default=list)
    consent = fields.Nested(ConsentSettingsSchema, load_default=lambda: ConsentSettingsSchema().load({}))
    retention_days = fields.Integer(load_default=730, validate=validate.Range(min=1, max=3650))
    # Scoring and routing rules: see rule_settings (and rules.py, which also checks the reps exist).
    scoring = fields.Nested(ScoringSettingsSchema, load_default=None, allow_none=True)
    routing = fields.Nested(RoutingSettingsSchema, load_default=None, allow_none=True)

    @validates_schema
    def _unique_questions(self, data, **kwargs):
        ids = [q["id"] for q in data["questions"]]
        if len(ids) != len(set(ids)):
            raise ValidationError("question ids must be unique", "questions")

    @validates_schema
    def _rules_fit_questions(self, data, **kwargs):
        if data.get("scoring") or data.get("routing"):
            _clean, problems = check_rules({"scoring": data.get("scoring"), "routing": data.get("routing")},
                                           data.get("questions", []))
            if problems:
                raise ValidationError(problems, "scoring" if data.get("scoring") else "routing")


def load_settings(raw: dict | None) -> dict:
    """Validate and fill defaults; raises marshmallow.ValidationError with per-field messages."""
    return EventSettingsSchema().load(raw or {})


def validate_answers(settings: dict, answers: dict) -> list[str]:
    """Check answers against the event's questions; return messages (empty when fine)."""
    questions = {q["id"]: q for q in settings.get("questions", [])}
    problems = []
    for qid, value in answers.items():
        question = questions.get(qid)
        if question is None:
            problems.append(f"unknown question {qid!r}; this event asks: {', '.join(questions) or 'nothing'}")
        elif value is not None and (problem := _answer_problem(question, value)):
            problems.append(f"{qid}: {problem}")
    return problems


def _answer_problem(question: dict, value) -> str | None:
    kind = question["type"]
    options = [o["id"] for o in question.get("options", [])]
    if kind == "single":
        if value not in options:
            return f"{value!r} is not one of {', '.join(options)}"
    elif kind == "multi":
        if not isinstance(value, list) or not all(v in options for v in value):
            return f"expected a list of {', '.join(options)}"
    elif kind == "rating":
        if value not in ("hot", "warm", "cold"):
            return "expected hot, warm or cold"
    elif kind == "text":
        if not isinstance(value, str) or len(value) > 2000:
            return "expected text of at most 2000 characters"
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "expected a number"
    elif kind == "boolean" and not isinstance(value, bool):
        return "expected true or false"
    return None


def consent_problem(settings: dict, consent: dict) -> str | None:
    """Check a consent answer names a purpose and a text version this event shows."""
    conf = settings.get("consent", {})
    texts = {(t["language"], t["version"]) for t in conf.get("texts", [])}
    if (consent["language"], consent["text_version"]) not in texts:
        known = ", ".join(f"{lang}/{ver}" for lang, ver in sorted(texts)) or "none configured"
        return (f"consent text {consent['language']}/{consent['text_version']} is not one of this event's "
                f"texts ({known})")
    unknown = [p for p in consent["purposes"] if p not in conf.get("purposes", [])]
    if unknown:
        return f"unknown consent purpose(s) {', '.join(unknown)}; allowed: {', '.join(conf.get('purposes', []))}"
    return None
