"""The organisation's ROI settings (one row): reporting currency, qualified grade, model weights and windows.

Validated with marshmallow; `config_hash` is printed on every report so two
figures can be compared only when they were made under the same settings.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from fractions import Fraction

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy.orm import Session

from ..actors import Actor
from ..audit import record
from ..models.roi import OrgSettings
from .attribution import MODELS, WINDOWS, ModelConfig
from .money import MoneyError, check_currency

DEFAULTS = {"reporting_currency": "EUR", "default_model": "event_sourced", "window": 90, "influence_days": 365,
            "qualified_grade": "B", "w_shaped": {"first": "0.3", "lead": "0.3", "deal": "0.3", "rest": "0.1"}}
SHARE = validate.Regexp(r"^(0(\.\d{1,6})?|1(\.0{1,6})?)$", error="a share between 0 and 1, e.g. 0.3")


class WShapedSchema(Schema):
    first = fields.String(required=True, validate=SHARE)
    lead = fields.String(required=True, validate=SHARE)
    deal = fields.String(required=True, validate=SHARE)
    rest = fields.String(required=True, validate=SHARE)

    @validates_schema
    def _sum_to_one(self, data, **_kwargs):
        if sum(Fraction(v) for v in data.values()) != 1:
            raise ValidationError("the four W-shaped shares must sum to 1", "rest")


class RoiSettingsSchema(Schema):
    reporting_currency = fields.String(required=True, validate=lambda code: bool(_currency(code)))
    default_model = fields.String(required=True, validate=validate.OneOf(MODELS[:-1]))
    window = fields.Integer(required=True, validate=validate.OneOf(WINDOWS, error="one of 30, 90, 180 or 365 days"))
    influence_days = fields.Integer(required=True, validate=validate.Range(min=1, max=3650,
                                                                          error="between 1 and 3650 days"))
    qualified_grade = fields.String(required=True, validate=validate.OneOf(("A", "B", "C", "D")))
    w_shaped = fields.Nested(WShapedSchema, required=True)


def _currency(code: str) -> str:
    try:
        return check_currency(code)
    except MoneyError as exc:
        raise ValidationError(str(exc)) from None


@dataclass(frozen=True)
class RoiSettings:
    values: dict

    @property
    def currency(self) -> str:
        return self.values["reporting_currency"]

    def model_config(self, window: int | None = None) -> ModelConfig:
        """The attribution configuration, optionally with another event-sourced window.

        Raises ValueError for a window of 0 or less."""
        window = self.values["window"] if window is None else window
        if window <= 0:
            raise ValueError(f"a window of {window} days: choose 30, 90, 180 or 365")
        w = self.values["w_shaped"]
        return ModelConfig(window=window, w_first=Fraction(w["first"]), w_lead=Fraction(w["lead"]),
                           w_deal=Fraction(w["deal"]), w_rest=Fraction(w["rest"]),
                           influence_days=self.values["influence_days"])

    def config_hash(self, window: int | None = None) -> str:
        """12 hex digits of SHA-256 over the settings (and the window used), canonical JSON."""
        body = dict(self.values, window=self.values["window"] if window is None else window)
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]


def load(session: Session) -> RoiSettings:
    """The stored settings over the defaults (the row need not exist yet)."""
    row = session.get(OrgSettings, 1)
    stored = dict(row.attribution or {}, reporting_currency=row.reporting_currency) if row else {}
    return RoiSettings({**DEFAULTS, **stored})


def save(session: Session, data: dict, actor: Actor) -> RoiSettings:
    """Validate and store; raises marshmallow.ValidationError with per-field messages. Flushes only."""
    values = RoiSettingsSchema().load({**load(session).values, **data})
    values["reporting_currency"] = values["reporting_currency"].upper()
    row = session.get(OrgSettings, 1) or OrgSettings(id=1)
    row.reporting_currency = values["reporting_currency"]
    row.attribution = {k: v for k, v in values.items() if k != "reporting_currency"}
    session.add(row)
    record(session, actor, "roi.settings", "org_settings", 1, None, values)
    session.flush()
    return RoiSettings({**DEFAULTS, **values})
