"""Read and qualify leads. Reps see only their own leads."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from ..assignment import AssignmentRejected, reassign
from ..flask_db import request_session
from ..leads import LeadEditRejected, LeadFilter, filtered, page_of, update_lead, visible_leads
from ..models import LeadStatus, Rating, Role, User
from .auth import authenticate_request, current_actor, current_event, current_lead
from .schemas import ID_RANGE, SANE_TIME, LeadDetailSchema, LeadSchema

blp = Blueprint("leads", __name__, description="Leads and their qualification")
blp.before_request(authenticate_request)


class LeadQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    q = fields.String(validate=validate.Length(max=200), metadata={"description": "name, company or e-mail contains"})
    rating = fields.String(validate=validate.OneOf([r.value for r in Rating]))
    status = fields.String(validate=validate.OneOf([s.value for s in LeadStatus]))
    staff_id = fields.Integer(validate=ID_RANGE, metadata={"description": "met by this staff member"})
    incomplete = fields.Boolean()
    since = fields.AwareDateTime(validate=SANE_TIME, metadata={"description": "last met at or after"})
    until = fields.AwareDateTime(validate=SANE_TIME, metadata={"description": "last met before"})


class LeadPageSchema(Schema):
    items = fields.List(fields.Nested(LeadSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


class LeadPatchSchema(Schema):
    first_name = fields.String(allow_none=True, validate=validate.Length(max=120))
    last_name = fields.String(allow_none=True, validate=validate.Length(max=120))
    email = fields.String(allow_none=True, validate=validate.Length(max=254))
    company = fields.String(allow_none=True, validate=validate.Length(max=200))
    job_title = fields.String(allow_none=True, validate=validate.Length(max=200))
    phone = fields.String(allow_none=True, validate=validate.Length(max=50))
    city = fields.String(allow_none=True, validate=validate.Length(max=120))
    country = fields.String(allow_none=True, validate=validate.Regexp(r"^[A-Z]{2}$", error="use a two-letter ISO country code"))
    answers = fields.Dict(keys=fields.String(), metadata={"description": "merged; null removes an answer"})
    notes = fields.String(allow_none=True, validate=validate.Length(max=4000))
    rating = fields.String(allow_none=True, validate=validate.OneOf([r.value for r in Rating]))
    status = fields.String(validate=validate.OneOf([s.value for s in LeadStatus]))
    status_reason = fields.String(allow_none=True, validate=validate.Length(max=500),
                                  metadata={"description": "why the lead is disqualified"})
    postal_code = fields.String(allow_none=True, validate=validate.Length(max=20))
    region = fields.String(allow_none=True, validate=validate.Length(max=80))
    company_size = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=0, max=10_000_000))
    owner_id = fields.Integer(allow_none=True, validate=ID_RANGE,
                              metadata={"description": "reassign (marketing and admins; audited); null unassigns"})


@blp.route("/events/<slug>/leads")
class EventLeads(MethodView):
    @blp.arguments(LeadQuerySchema, location="query")
    @blp.response(200, LeadPageSchema)
    def get(self, args, slug):
        """An event's leads, most recently met first."""
        event = current_event()
        page, per_page = args.pop("page"), args.pop("per_page")
        query = filtered(visible_leads(current_actor(), event), LeadFilter(**args))
        items, total = page_of(request_session(), query, page, per_page)
        return {"items": items, "page": page, "per_page": per_page, "total": total,
                "pages": (total + per_page - 1) // per_page}


@blp.route("/leads/<int(max=2147483647):lead_id>")
class LeadById(MethodView):
    @blp.response(200, LeadDetailSchema)
    def get(self, lead_id):
        """One lead with its interactions and consents."""
        return current_lead()

    @blp.arguments(LeadPatchSchema)
    @blp.response(200, LeadDetailSchema)
    def patch(self, changes, lead_id):
        """Edit qualification and contact fields; audited with before and after."""
        lead = current_lead()
        actor = current_actor()
        if actor.is_rep and set(changes) - {"status", "status_reason", "notes"}:
            abort(403, message="sales reps may change only status and notes")
        if "owner_id" in changes and actor.user is not None \
                and actor.user.role not in (Role.ADMIN.value, Role.MARKETING.value):
            abort(403, message="only marketing and admins can reassign leads")
        session = request_session()
        reassign_to = changes.pop("owner_id", lead.owner_id)
        try:
            update_lead(session, lead, changes, actor)
            if reassign_to != lead.owner_id:
                owner = session.get(User, reassign_to) if reassign_to is not None else None
                if reassign_to is not None and owner is None:
                    raise AssignmentRejected(f"no user {reassign_to}")
                reassign(session, lead, owner, actor)
        except LeadEditRejected as exc:
            session.rollback()
            abort(422, message="the lead was not changed", messages={"json": exc.errors})
        except AssignmentRejected as exc:
            session.rollback()
            abort(422, message="the lead was not changed", messages={"json": {"owner_id": [str(exc)]}})
        session.commit()
        return lead
