"""Schemas shared by several API modules: how a lead looks on the wire."""
from __future__ import annotations

from datetime import datetime, timezone

from marshmallow import Schema, fields, validate

# Database ids are 32-bit on PostgreSQL; a bigger number is a client error, not a crash.
ID_RANGE = validate.Range(min=1, max=2**31 - 1)
# Times outside this range are a wrong device clock or garbage, and would overflow in UTC conversion.
SANE_TIME = validate.Range(
    min=datetime(2000, 1, 1, tzinfo=timezone.utc), max=datetime(2100, 1, 1, tzinfo=timezone.utc),
    error="must be between 2000 and 2100; check the device clock",
)


class MetBeforeSchema(Schema):
    staff_id = fields.Integer(allow_none=True)
    by = fields.String()
    at = fields.String(metadata={"description": "ISO 8601, UTC"})


class LeadSchema(Schema):
    id = fields.Integer()
    event = fields.Function(lambda lead: lead.event.slug)
    email = fields.String(allow_none=True)
    registration_id = fields.String(allow_none=True)
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    full_name = fields.String()
    company = fields.String(allow_none=True)
    job_title = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    incomplete = fields.Boolean()
    answers = fields.Dict()
    notes = fields.String(allow_none=True)
    rating = fields.String(allow_none=True)
    status = fields.String()
    owner_id = fields.Integer(allow_none=True)
    postal_code = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    company_size = fields.Integer(allow_none=True)
    score = fields.Integer(allow_none=True, metadata={"description": "0-100; null when the event does not score"})
    grade = fields.String(allow_none=True, metadata={"description": "A-D"})
    score_explanation = fields.List(fields.Dict(), allow_none=True,
                                    metadata={"description": "every rule that fired: {rule, points, en, fr}"})
    routing_rule = fields.String(allow_none=True, metadata={"description": "rule id, fallback or manual"})
    routing_reason = fields.Dict(allow_none=True, metadata={"description": "{en, fr}"})
    assigned_at = fields.DateTime(allow_none=True)
    sla_due_at = fields.DateTime(allow_none=True, metadata={"description": "contact the lead before this"})
    status_reason = fields.String(allow_none=True)
    contacted_at = fields.DateTime(allow_none=True)
    first_met_at = fields.DateTime()
    last_met_at = fields.DateTime()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class InteractionSchema(Schema):
    id = fields.Integer()
    client_id = fields.String(attribute="client_uuid")
    source = fields.String()
    captured_at = fields.DateTime()
    received_at = fields.DateTime()
    staff_id = fields.Integer(attribute="staff_user_id", allow_none=True)
    device_id = fields.Integer(allow_none=True)
    badge_format = fields.String(allow_none=True)
    raw_payload = fields.String(allow_none=True)
    answers = fields.Dict()
    notes = fields.String(allow_none=True)
    rating = fields.String(allow_none=True)
    met_before = fields.List(fields.Nested(MetBeforeSchema))
    warnings = fields.List(fields.String())


class ConsentSchema(Schema):
    id = fields.Integer()
    purposes = fields.List(fields.String())
    granted = fields.Boolean()
    text_version = fields.String()
    language = fields.String()
    captured_at = fields.DateTime()
    captured_by = fields.Integer(attribute="captured_by_user_id", allow_none=True)
    withdrawn_at = fields.DateTime(allow_none=True)


class LeadDetailSchema(LeadSchema):
    interactions = fields.List(fields.Nested(InteractionSchema))
    consents = fields.List(fields.Nested(ConsentSchema))
