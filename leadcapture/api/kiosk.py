"""What the tablet kiosk needs beyond scans: pairing, its configuration, staff PINs, the roster.

Pairing is the one route of /api/v1 reached without a token (the code is the
credential); the others take a device's bearer token and reach its event only.
"""
from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from ..kiosk import kiosk_config, met_before, roster, roster_version
from ..flask_db import request_session
from ..pairing import PairingRefused, redeem
from ..staff_pins import PinRefused, check_pin, pin_stamp
from .auth import authenticate_request, current_actor, current_event
from .schemas import ID_RANGE, MetBeforeSchema

pairing_blp = Blueprint("kiosk_pairing", __name__, description="Pairing a tablet with a one-time code")
blp = Blueprint("kiosk", __name__, description="Configuration, staff PINs and roster for paired tablets")


@blp.before_request
def _paired_tablets_only() -> None:
    authenticate_request()
    if current_actor().device is None:
        abort(403, message="these routes serve paired tablets; use a device token")


class PairInSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=4, max=40),
                         metadata={"description": "the one-time code shown by the pairing page, e.g. K7QX-M2RP"})


class PairOutSchema(Schema):
    token = fields.String(metadata={"description": "the device's bearer token; shown once"})
    device = fields.Dict()
    event = fields.Dict()


@pairing_blp.route("/kiosk/pair")
class Pair(MethodView):
    @pairing_blp.doc(security=[])
    @pairing_blp.arguments(PairInSchema)
    @pairing_blp.response(201, PairOutSchema)
    def post(self, data):
        """Trade a one-time pairing code (valid 10 minutes, once) for a device token."""
        session = request_session()
        try:
            device, token = redeem(session, data["code"], request.remote_addr)
        except PairingRefused as exc:
            session.commit()  # the refusal is audited and counts toward the address's limit
            abort(exc.status, message=str(exc))
        session.commit()
        return {"token": token, "device": {"id": device.id, "name": device.name},
                "event": {"slug": device.event.slug, "name": device.event.name}}


class StaffSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    pin_stamp = fields.String(metadata={"description": "changes when the PIN changes; drop offline verifiers then"})


class KioskConfigSchema(Schema):
    device = fields.Dict()
    event = fields.Dict()
    badge = fields.Dict(metadata={"description": "the event's badge settings, for the tablet's preview parse"})
    questions = fields.List(fields.Dict())
    consent = fields.Dict()
    staff = fields.List(fields.Nested(StaffSchema))
    roster_version = fields.String()


@blp.route("/events/<slug>/kiosk")
class KioskConfig(MethodView):
    @blp.response(200, KioskConfigSchema)
    def get(self, slug):
        """The event's questions, consent texts and staff, as the kiosk shows them offline."""
        return kiosk_config(request_session(), current_event(), current_actor().device,
                            current_app.config["SECRET_KEY"])


class PinCheckSchema(Schema):
    staff = fields.Integer(required=True, validate=ID_RANGE)
    pin = fields.String(required=True, validate=validate.Regexp(r"^\d{4,6}$", error="a PIN is 4 to 6 digits"))


@blp.route("/events/<slug>/kiosk/pin-check")
class PinCheck(MethodView):
    @blp.arguments(PinCheckSchema)
    @blp.response(200, StaffSchema)
    @blp.alt_response(403, description="wrong PIN")
    @blp.alt_response(429, description="too many wrong PINs on this tablet for this person")
    def post(self, data, slug):
        """Check a staff member's PIN. Five wrong tries lock that person on this tablet for ten minutes."""
        session = request_session()
        try:
            user = check_pin(session, current_event(), current_actor().device, data["staff"], data["pin"])
        except PinRefused as exc:
            session.commit()  # failures are counted through the audit log
            abort(exc.status, message=str(exc))
        session.commit()
        return {"id": user.id, "name": user.name, "pin_stamp": pin_stamp(current_app.config["SECRET_KEY"], user)}


class RosterSchema(Schema):
    fields_ = fields.List(fields.String(), data_key="fields")
    rows = fields.List(fields.List(fields.Raw()))


@blp.route("/events/<slug>/kiosk/roster")
class Roster(MethodView):
    @blp.response(200, RosterSchema)
    @blp.alt_response(304, description="the roster has not changed since the ETag sent in If-None-Match")
    def get(self, slug):
        """The event's attendees, to name visitors whose badge holds only an id, offline."""
        session, event = request_session(), current_event()
        etag = roster_version(session, event)
        if request.if_none_match.contains(etag):
            return "", 304, {"ETag": f'"{etag}"'}
        data = roster(session, event)
        return {"fields_": data["fields"], "rows": data["rows"]}, 200, {"ETag": f'"{etag}"'}


class MetQuerySchema(Schema):
    email = fields.String(validate=validate.Length(max=254))
    registration_id = fields.String(validate=validate.Length(max=120))


class MetSchema(Schema):
    met_before = fields.List(fields.Nested(MetBeforeSchema))


@blp.route("/events/<slug>/kiosk/met")
class Met(MethodView):
    @blp.arguments(MetQuerySchema, location="query")
    @blp.response(200, MetSchema)
    def get(self, args, slug):
        """Who at the booth met this visitor before, and when (shown on the confirm screen)."""
        return {"met_before": met_before(request_session(), current_event(), args.get("email"),
                                         args.get("registration_id"))}
