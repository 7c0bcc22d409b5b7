"""POST scans, one or a batch, as badge text or as a badge photo. All go through capture.ingest_many."""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import wraps

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..badges import BadgeError, parse_badge_photo
from ..capture import Scan, ScanRejected, ingest_many
from ..config import MAX_BATCH_SCANS
from ..flask_db import request_session
from ..event_settings import LANGUAGES
from ..models import Rating, Source
from .auth import authenticate_request, current_actor, current_event
from .schemas import ID_RANGE, SANE_TIME, LeadSchema, MetBeforeSchema

blp = Blueprint("scans", __name__, description="Badge scans from kiosks, imports and integrations")
blp.before_request(authenticate_request)


class ContactSchema(Schema):
    first_name = fields.String(validate=validate.Length(max=120))
    last_name = fields.String(validate=validate.Length(max=120))
    email = fields.String(validate=validate.Length(max=254))
    company = fields.String(validate=validate.Length(max=200))
    job_title = fields.String(validate=validate.Length(max=200))
    phone = fields.String(validate=validate.Length(max=50))
    city = fields.String(validate=validate.Length(max=120))
    country = fields.String(validate=validate.Regexp(r"^[A-Za-z]{2}$", error="use a two-letter ISO country code"))
    registration_id = fields.String(validate=validate.Length(max=120))


class ConsentInSchema(Schema):
    granted = fields.Boolean(required=True)
    purposes = fields.List(fields.String(), load_default=lambda: ["marketing"])
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    text_version = fields.String(required=True, validate=validate.Length(min=1, max=40))


class PhotoScanSchema(Schema):
    """The fields of a scan sent with a badge photo: all of a scan's but `payload`, which the photo gives."""

    client_id = fields.UUID(required=True, metadata={"description": "made by the device; a resend is stored once"})
    contact = fields.Nested(ContactSchema, allow_none=True, metadata={"description": "typed or corrected contact fields"})
    captured_at = fields.AwareDateTime(required=True, validate=SANE_TIME, metadata={"description": "device time, with offset"})
    source = fields.String(load_default=Source.API.value, validate=validate.OneOf([s.value for s in Source]))
    staff = fields.Integer(allow_none=True, validate=ID_RANGE, metadata={"description": "id of the staff user who scanned"})
    answers = fields.Dict(keys=fields.String(), load_default=dict)
    notes = fields.String(allow_none=True, validate=validate.Length(max=2000))
    rating = fields.String(allow_none=True, validate=validate.OneOf([r.value for r in Rating]))
    consent = fields.Nested(ConsentInSchema, allow_none=True)


class ScanSchema(PhotoScanSchema):
    payload = fields.String(allow_none=True, metadata={"description": "raw badge text as scanned"})

    @validates_schema
    def _payload_or_contact(self, data, **kwargs):
        if not data.get("payload") and not data.get("contact"):
            raise ValidationError("send the badge text in 'payload' or typed fields in 'contact'", "payload")


class BatchSchema(Schema):
    scans = fields.List(fields.Raw(), required=True,
                        validate=validate.Length(min=1, max=MAX_BATCH_SCANS,
                                                 error=f"send between 1 and {MAX_BATCH_SCANS} scans"),
                        metadata={"description": f"up to {MAX_BATCH_SCANS} scans, each shaped like a single scan"})


class ScanResultSchema(Schema):
    client_id = fields.String()
    interaction_id = fields.Integer()
    new_lead = fields.Boolean()
    met_before = fields.List(fields.Nested(MetBeforeSchema))
    message = fields.String(allow_none=True)
    warnings = fields.List(fields.String())
    lead = fields.Nested(LeadSchema)


class BatchItemSchema(Schema):
    index = fields.Integer()
    client_id = fields.String(allow_none=True)
    status = fields.Integer(metadata={"description": "201 stored, 200 already stored, 422 rejected"})
    result = fields.Nested(ScanResultSchema, allow_none=True)
    errors = fields.Dict(allow_none=True)


class BatchResultSchema(Schema):
    created = fields.Integer()
    duplicates = fields.Integer()
    rejected = fields.Integer()
    items = fields.List(fields.Nested(BatchItemSchema))


def to_scan(data: dict) -> Scan:
    return Scan(
        client_id=str(data["client_id"]), captured_at=data["captured_at"], source=data["source"],
        payload=data.get("payload"), contact=data.get("contact"), staff_id=data.get("staff"),
        answers=data["answers"], notes=data.get("notes"), rating=data.get("rating"),
        consent=data.get("consent"),
    )


def result_body(result, event) -> dict:
    return {
        "client_id": result.interaction.client_uuid,
        "interaction_id": result.interaction.id,
        "new_lead": result.new_lead,
        "met_before": result.met_before,
        "message": met_before_message(result.met_before, event),
        "warnings": result.interaction.warnings,
        "lead": result.lead,
    }


def met_before_message(met_before: list[dict], event) -> str | None:
    """'already met by Alice at 10:42' in the event's time zone, for the latest earlier meeting."""
    if not met_before:
        return None
    last = met_before[-1]
    local = datetime.fromisoformat(last["at"]).astimezone(event.tz)
    return f"already met by {last['by']} on {local:%Y-%m-%d} at {local:%H:%M}"


# The same URL takes a badge photo as multipart/form-data; documented beside the JSON body.
PHOTO_REQUEST_BODY = {"content": {"multipart/form-data": {
    "schema": {"type": "object", "required": ["photo", "scan"], "properties": {
        "photo": {"type": "string", "format": "binary",
                  "description": "the badge photo (JPEG, PNG, ...); its QR, PDF417, Data Matrix, Aztec, "
                                 "Code 128 or Code 39 code is decoded on the server"},
        "scan": PhotoScanSchema,
    }},
    "encoding": {"scan": {"contentType": "application/json"}},
}}}


def _photo_or_json(view):
    """Send a multipart/form-data request (a badge photo) to `_photo_scan` instead of the JSON body parsing."""
    @wraps(view)
    def wrapper(self, *args, **kwargs):
        if request.mimetype == "multipart/form-data":
            scan, photo_warnings = _photo_scan()
            return _record(scan, photo_warnings, location="form")
        return view(self, *args, **kwargs)

    return wrapper


@blp.route("/events/<slug>/scans")
class Scans(MethodView):
    @blp.doc(requestBody=PHOTO_REQUEST_BODY)
    @blp.response(201, ScanResultSchema)
    @blp.alt_response(200, schema=ScanResultSchema, description="this client_id was already stored")
    @_photo_or_json
    @blp.arguments(ScanSchema)
    def post(self, data, slug):
        """Record one scan (201), or return what was stored for this client_id (200).

        The badge comes as text in a JSON body, or as a photo: multipart/form-data
        with a `photo` part and a `scan` part holding the other fields as JSON. The
        server decodes the photo's barcodes and uses the first that is a badge of
        this event (a warning says so when there were several); a photo without a
        code gets 422. The whole request must stay under 1 MB (413 otherwise):
        downscale a phone photo before sending it; 1600 pixels on the long side
        keeps a badge's code readable.
        """
        return _record(to_scan(data))


def _photo_scan() -> tuple[Scan, list[str]]:
    """The multipart request's `scan` and `photo` parts -> the Scan, payload from the photo, and photo notes.

    Aborts with 422 and per-part messages when a part is missing or wrong.
    """
    errors: dict = {}
    data = None
    if "scan" not in request.form:
        errors["scan"] = ["send the scan's fields as a JSON object in the 'scan' part"]
    else:
        try:
            data = PhotoScanSchema().load(json.loads(request.form["scan"]))
        except ValidationError as exc:
            errors["scan"] = exc.messages
        except (ValueError, RecursionError) as exc:
            errors["scan"] = [f"not valid JSON: {exc}"]
    photo = request.files.get("photo")
    if photo is None:
        errors["photo"] = ["send the badge photo in the 'photo' part"]
    if errors:
        abort(422, message="the scan was not stored", messages={"form": errors})
    event = current_event()
    try:
        read = parse_badge_photo(photo.read(), event.settings, event.country)
    except BadgeError as exc:
        abort(422, message=f"the scan was not stored: {exc}", messages={"form": {"photo": [str(exc)]}})
    return to_scan({**data, "payload": read.payload}), read.warnings


def _record(scan: Scan, photo_warnings: Sequence[str] = (), location: str = "json"):
    """Ingest one scan and answer as POST /scans does: (body, 201 or 200), or abort with 422."""
    event = current_event()
    session = request_session()
    result = ingest_many(session, event, [scan], current_actor())[0]
    if isinstance(result, ScanRejected):
        session.rollback()
        abort(422, message="the scan was not stored", messages={location: result.errors})
    session.commit()
    body = result_body(result, event)
    body["warnings"] = [*photo_warnings, *body["warnings"]]
    return body, 201 if result.created else 200


@blp.route("/events/<slug>/scans/batch")
class ScanBatch(MethodView):
    @blp.arguments(BatchSchema)
    @blp.response(200, BatchResultSchema)
    def post(self, data, slug):
        """Record up to 500 scans; each item gets its own status, a bad one does not stop the others."""
        event = current_event()
        items, scans, positions = [], [], []
        schema = ScanSchema()
        for index, raw in enumerate(data["scans"]):
            client_id = raw.get("client_id") if isinstance(raw, dict) else None
            try:
                scans.append(to_scan(schema.load(raw)))
                positions.append(index)
                items.append({"index": index, "client_id": client_id})
            except ValidationError as exc:
                items.append({"index": index, "client_id": client_id, "status": 422, "errors": exc.messages})
        session = request_session()
        results = ingest_many(session, event, scans, current_actor()) if scans else []
        session.commit()
        for index, result in zip(positions, results):
            item = items[index]
            if isinstance(result, ScanRejected):
                item.update(status=422, errors=result.errors)
            else:
                item.update(status=201 if result.created else 200, result=result_body(result, event))
        counts = {code: sum(1 for i in items if i["status"] == code) for code in (201, 200, 422)}
        return {"created": counts[201], "duplicates": counts[200], "rejected": counts[422], "items": items}
