"""A strict HubSpot (CRM v3/v4, marketing v3) on loopback: the endpoints our connector uses, as documented."""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timezone

from werkzeug.wrappers import Request, Response

from . import CrmServer, SlidingWindow, json_response, new_id, read_json

MAX_BATCH = 100
MAX_SEARCH_LIMIT = 200
LEAD_STATUSES = ["NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT", "CONNECTED",
                 "BAD_TIMING"]
LIFECYCLE = ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer",
             "evangelist", "other"]
PROPERTY_TYPES = {"string", "number", "date", "datetime", "enumeration", "bool"}
FIELD_TYPES = {"text", "textarea", "number", "date", "booleancheckbox", "select", "radio", "checkbox", "file",
               "html", "phonenumber", "calculation_equation"}
PROPERTY_KEYS = {"name", "label", "type", "fieldType", "groupName", "description", "options", "displayOrder",
                 "hasUniqueValue", "hidden", "formField"}
EVENT_KEYS = {"eventName", "eventOrganizer", "externalAccountId", "externalEventId", "eventType", "startDateTime",
              "endDateTime", "eventDescription", "eventUrl", "eventCancelled", "customProperties"}
NOTE_PROPERTIES = {"hs_timestamp", "hs_note_body", "hubspot_owner_id", "hs_attachment_ids"}
DEAL_PROPERTIES = {"dealname", "amount", "dealstage", "closedate", "hs_is_closed_won", "hs_is_closed",
                   "deal_currency_code", "hs_lastmodifieddate", "pipeline", "createdate"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def error(message: str, status: int = 400, category: str = "VALIDATION_ERROR", **extra) -> Response:
    body = {"status": "error", "message": message, "correlationId": new_id(), "category": category,
            "errors": [{"message": message, "code": extra.pop("code", category), "in": extra.pop("in", None),
                        "context": {}, "subCategory": None}],
            "context": {}, "links": {}}
    body.update(extra)
    return json_response(body, status)


class HubSpotServer(CrmServer):
    """State: contacts (by id, indexed by e-mail), contact properties, notes, marketing events with
    attendance, deals with their contacts. `reject_contact(email) -> message | None` makes per-item
    validation errors; `requests_per_10s` is the portal's limit (190: a Professional private app)."""

    def __init__(self, token: str = "pat-test", requests_per_10s: int = 190, port: int = 0):
        super().__init__(port)
        self.token = token
        self.limit = SlidingWindow(requests_per_10s, 10.0)
        self.search_limit = SlidingWindow(4, 1.0)
        self.owners = {"101", "102"}
        self.reject_contact: Callable[[str], str | None] = lambda email: None
        # A value HubSpot refuses for the whole call (as it does for some malformed values): 400, no partial.
        self.poison: Callable[[str], bool] = lambda email: False
        self.properties: dict[str, dict] = {
            name: {"name": name, "type": "string", "fieldType": "text"}
            for name in ("email", "firstname", "lastname", "company", "jobtitle", "phone", "country", "city")}
        self.properties["hs_lead_status"] = {"name": "hs_lead_status", "type": "enumeration",
                                             "options": LEAD_STATUSES}
        self.properties["lifecyclestage"] = {"name": "lifecyclestage", "type": "enumeration", "options": LIFECYCLE}
        self.properties["hubspot_owner_id"] = {"name": "hubspot_owner_id", "type": "enumeration", "options": None}
        self.contacts: dict[str, dict] = {}
        self.by_email: dict[str, str] = {}
        self.notes: dict[str, dict] = {}
        self.events: dict[str, dict] = {}
        self.attendance: dict[str, list[dict]] = {}
        self.deals: dict[str, dict] = {}
        self.deal_contacts: dict[str, list[str]] = {}
        self.trace_ids: list[str] = []  # objectWriteTraceId of every contact input accepted, in order
        self.upsert_calls = 0  # upsert calls answered 200/207
        self.seen: dict[str, float] = {}  # e-mail -> time.time() its contact was created (for latency)
        self._next = 1000
        self.route("POST", "/crm/v3/objects/contacts/batch/upsert", "upsert", self.upsert)
        self.route("POST", "/crm/v3/properties/contacts", "property", self.create_property)
        self.route("POST", "/crm/v3/objects/notes/batch/create", "notes", self.create_notes)
        self.route("POST", "/marketing/v3/marketing-events/events", "event", self.create_event)
        self.route("POST", r"/marketing/v3/marketing-events/attendance/(?P<external_id>[^/]+)/(?P<state>[^/]+)"
                           r"/email-create", "attendance", self.attend)
        self.route("POST", "/crm/v3/objects/deals/search", "search", self.search_deals)
        self.route("GET", r"/crm/v4/objects/deals/(?P<deal_id>[^/]+)/associations/contacts", "associations",
                   self.deal_associations)

    def _id(self) -> str:
        self._next += 1
        return str(self._next)

    # ------------------------------------------------------------------ cross-cutting

    def before(self, request: Request, route: str) -> Response | None:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return error("Authentication credentials not found.", 401, "INVALID_AUTHENTICATION")
        window = self.search_limit if route == "search" else self.limit
        if not window.admit():
            return self.too_many({})
        return None

    def too_many(self, headers: dict) -> Response:
        response = json_response({"status": "error",
                                  "message": "You have reached your ten_secondly_rolling limit.",
                                  "errorType": "RATE_LIMIT", "correlationId": new_id(),
                                  "policyName": "TEN_SECONDLY_ROLLING", "category": "RATE_LIMITS"}, 429, headers)
        response.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] = "10000"
        response.headers["X-HubSpot-RateLimit-Max"] = str(self.limit.calls)
        response.headers["X-HubSpot-RateLimit-Remaining"] = "0"
        return response

    def server_error(self) -> Response:
        return error("internal error", 500, "INTERNAL_ERROR")

    def not_found(self, request: Request) -> Response:
        return error(f"Unable to route {request.method} request with {request.path}", 404, "OBJECT_NOT_FOUND")

    # ------------------------------------------------------------------ contacts

    def upsert(self, request: Request) -> Response:
        body = read_json(request)
        if not isinstance(body, dict) or set(body) != {"inputs"} or not isinstance(body["inputs"], list):
            return error("Invalid input JSON: expected an object with exactly 'inputs' (a list)")
        inputs = body["inputs"]
        if not inputs:
            return error("inputs must not be empty")
        if len(inputs) > MAX_BATCH:
            return error(f"Batch input limit of {MAX_BATCH} exceeded: {len(inputs)} inputs", code="TOO_MANY_INPUTS")
        ids = []
        for n, item in enumerate(inputs):
            if not isinstance(item, dict) or set(item) - {"id", "idProperty", "properties", "objectWriteTraceId"}:
                return error(f"inputs[{n}]: unknown field")
            if "id" not in item or "properties" not in item:
                return error(f"inputs[{n}]: 'id' and 'properties' are required", code="REQUIRED_FIELD")
            if item.get("idProperty") != "email":
                return error(f"inputs[{n}]: this portal upserts contacts by idProperty 'email'")
            if not isinstance(item["properties"], dict):
                return error(f"inputs[{n}].properties must be an object")
            for name, value in item["properties"].items():
                if not isinstance(value, str):
                    return error(f"Invalid input JSON on line 1: property '{name}' must be a string, "
                                 f"got {type(value).__name__}", code="INVALID_PROPERTY_VALUE")
                if name not in self.properties:
                    return error(f'Property "{name}" does not exist', code="PROPERTY_DOESNT_EXIST")
            ids.append(str(item["id"]).lower())
        if len(set(ids)) != len(ids):
            return error("Duplicate IDs found in batch input", code="DUPLICATE_IDS")
        if poisoned := [i for i in ids if self.poison(i)]:
            return error(f"Property values were not valid: {poisoned[0]!r} cannot be imported", code="INVALID_EMAIL")

        results, errors = [], []
        with self.lock:
            for item in inputs:
                email = str(item["id"]).strip().lower()
                problem = self._contact_problem(email, item["properties"]) or self.reject_contact(email)
                if problem:
                    errors.append({"status": "error", "category": "VALIDATION_ERROR", "message": problem,
                                   "context": {"ids": [item["id"]],
                                               "objectWriteTraceId": [item.get("objectWriteTraceId")]},
                                   "errors": [{"message": problem, "code": "INVALID_PROPERTY_VALUE"}]})
                    continue
                self.trace_ids.append(item.get("objectWriteTraceId"))
                now = _now()
                new = email not in self.by_email
                if new:
                    contact_id = self._id()
                    self.by_email[email] = contact_id
                    self.seen[email] = time.time()
                    self.contacts[contact_id] = {"id": contact_id, "properties": {}, "createdAt": now}
                contact = self.contacts[self.by_email[email]]
                contact["properties"].update({k: v for k, v in item["properties"].items()}, email=email)
                contact["updatedAt"] = now
                results.append({"id": contact["id"], "new": new, "properties": dict(contact["properties"]),
                                "createdAt": contact["createdAt"], "updatedAt": now, "archived": False})
            self.upsert_calls += 1
        answer = {"status": "COMPLETE", "results": results, "startedAt": _now(), "completedAt": _now()}
        if errors:
            answer.update(errors=errors, numErrors=len(errors))
        return json_response(answer, 207 if errors else 200)

    def _contact_problem(self, email: str, properties: dict) -> str | None:
        if not EMAIL.match(email):
            return f"Property values were not valid: email {email!r} is not a valid email address"
        for name, value in properties.items():
            spec = self.properties[name]
            if name == "hubspot_owner_id" and value not in self.owners:
                return f"Property values were not valid: {value!r} is not a valid owner id"
            if spec["type"] == "enumeration" and spec.get("options") and value not in spec["options"]:
                return f"Property values were not valid: {value!r} was not one of the allowed options for {name}"
            if spec["type"] == "number" and not re.fullmatch(r"-?\d+(\.\d+)?", value):
                return f"Property values were not valid: {value!r} is not a number for {name}"
            if spec["type"] == "bool" and value not in ("true", "false"):
                return f"Property values were not valid: {value!r} is not true or false for {name}"
            if spec["type"] in ("date", "datetime") and not (
                    value.isdigit() or re.fullmatch(r"\d{4}-\d\d-\d\d(T[\d:.]+Z?)?", value)):
                return f"Property values were not valid: {value!r} is not a date for {name}"
        return None

    def create_property(self, request: Request) -> Response:
        body = read_json(request)
        if not isinstance(body, dict):
            return error("Invalid input JSON")
        missing = {"name", "label", "type", "fieldType", "groupName"} - set(body)
        if missing:
            return error(f"missing required fields: {sorted(missing)}", code="REQUIRED_FIELD")
        if set(body) - PROPERTY_KEYS:
            return error(f"unknown fields: {sorted(set(body) - PROPERTY_KEYS)}")
        if body["type"] not in PROPERTY_TYPES or body["fieldType"] not in FIELD_TYPES:
            return error(f"invalid type {body['type']!r} or fieldType {body['fieldType']!r}")
        if body["type"] in ("bool", "enumeration") and not body.get("options"):
            return error(f"a property of type {body['type']} needs options")
        with self.lock:
            if body["name"] in self.properties:
                return error(f"Property named '{body['name']}' already exists.", 409, "OBJECT_ALREADY_EXISTS")
            self.properties[body["name"]] = {"name": body["name"], "type": body["type"],
                                             "fieldType": body["fieldType"],
                                             "options": [o["value"] for o in body.get("options") or []] or None}
        return json_response({**body, "createdAt": _now(), "hidden": False}, 201)

    # ------------------------------------------------------------------ notes

    def create_notes(self, request: Request) -> Response:
        body = read_json(request)
        if not isinstance(body, dict) or set(body) != {"inputs"} or not isinstance(body["inputs"], list):
            return error("Invalid input JSON: expected an object with exactly 'inputs' (a list)")
        if not 0 < len(body["inputs"]) <= MAX_BATCH:
            return error(f"between 1 and {MAX_BATCH} inputs", code="TOO_MANY_INPUTS")
        for n, item in enumerate(body["inputs"]):
            if not isinstance(item, dict) or set(item) - {"properties", "associations", "objectWriteTraceId"}:
                return error(f"inputs[{n}]: unknown field")
            props = item.get("properties")
            if not isinstance(props, dict) or "hs_timestamp" not in props:
                return error(f"inputs[{n}]: properties.hs_timestamp is required", code="REQUIRED_FIELD")
            if set(props) - NOTE_PROPERTIES or any(not isinstance(v, str) for v in props.values()):
                return error(f"inputs[{n}]: unknown note property or a value that is not a string")
            if len(props.get("hs_note_body", "")) > 65_536:
                return error(f"inputs[{n}]: hs_note_body is longer than 65536 characters")
            for assoc in item.get("associations", []):
                types = assoc.get("types")
                if types != [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}]:
                    return error(f"inputs[{n}]: a note is associated to a contact with HUBSPOT_DEFINED type 202")
                if str(assoc.get("to", {}).get("id")) not in self.contacts:
                    return error(f"inputs[{n}]: contact {assoc.get('to')} does not exist", code="INVALID_OBJECT_ID")
        results = []
        with self.lock:
            for item in body["inputs"]:
                note_id = self._id()
                contacts = [str(a["to"]["id"]) for a in item.get("associations", [])]
                self.notes[note_id] = {"properties": item["properties"], "contacts": contacts}
                results.append({"id": note_id, "properties": item["properties"], "createdAt": _now(),
                                "updatedAt": _now(), "archived": False})
        # HubSpot does not promise the input order; answering in reverse keeps clients honest.
        return json_response({"status": "COMPLETE", "results": results[::-1], "startedAt": _now(),
                              "completedAt": _now()}, 201)

    def notes_of(self, contact_id: str) -> list[dict]:
        return [n["properties"] for n in self.notes.values() if contact_id in n["contacts"]]

    # ------------------------------------------------------------------ marketing events

    def create_event(self, request: Request) -> Response:
        body = read_json(request)
        if not isinstance(body, dict):
            return error("Invalid input JSON")
        missing = {"eventName", "eventOrganizer", "externalAccountId", "externalEventId"} - set(body)
        if missing:
            return error(f"missing required fields: {sorted(missing)}", code="REQUIRED_FIELD")
        if set(body) - EVENT_KEYS:
            return error(f"unknown fields: {sorted(set(body) - EVENT_KEYS)}")
        with self.lock:
            if body["externalEventId"] in self.events:
                return error("a marketing event with this externalEventId exists", 409, "CONFLICT")
            self.events[body["externalEventId"]] = dict(body, objectId=self._id())
            self.attendance[body["externalEventId"]] = []
        return json_response(self.events[body["externalEventId"]], 200)

    def attend(self, request: Request, external_id: str, state: str) -> Response:
        if state not in ("register", "attend", "cancel"):
            return error(f"unknown subscriber state {state!r}")
        body = read_json(request)
        if not isinstance(body, dict) or set(body) != {"inputs"} or not isinstance(body["inputs"], list):
            return error("Invalid input JSON: expected an object with exactly 'inputs' (a list)")
        for n, item in enumerate(body["inputs"]):
            if not isinstance(item, dict) or set(item) != {"email", "interactionDateTime"}:
                return error(f"inputs[{n}]: 'email' and 'interactionDateTime' are required, nothing else")
            if not isinstance(item["interactionDateTime"], int):
                return error(f"inputs[{n}].interactionDateTime must be epoch milliseconds")
        with self.lock:
            event = self.events.get(external_id)
            account = request.args.get("externalAccountId")
            if event is None or (account is not None and account != event["externalAccountId"]):
                return error(f"marketing event {external_id} not found", 404, "OBJECT_NOT_FOUND")
            self.attendance[external_id] += [dict(item, state=state) for item in body["inputs"]]
        return json_response({"status": "COMPLETE", "results": [
            {"email": i["email"], "contactId": self.by_email.get(i["email"].lower())} for i in body["inputs"]]})

    # ------------------------------------------------------------------ deals

    def add_deal(self, properties: dict, contact_ids: list[str]) -> str:
        with self.lock:
            deal_id = self._id()
            stamp = str(int(time.time() * 1000))
            self.deals[deal_id] = {"id": deal_id, "properties": {"hs_lastmodifieddate": stamp, **properties}}
            self.deal_contacts[deal_id] = list(contact_ids)
        return deal_id

    def search_deals(self, request: Request) -> Response:
        body = read_json(request)
        if not isinstance(body, dict) or set(body) - {"filterGroups", "properties", "limit", "after", "sorts",
                                                      "query"}:
            return error("Invalid input JSON")
        limit = body.get("limit", 10)
        if not isinstance(limit, int) or not 0 < limit <= MAX_SEARCH_LIMIT:
            return error(f"limit must be between 1 and {MAX_SEARCH_LIMIT}")
        wanted = body.get("properties", [])
        if set(wanted) - DEAL_PROPERTIES:
            return error(f"unknown deal properties {sorted(set(wanted) - DEAL_PROPERTIES)}")
        with self.lock:
            deals = sorted(self.deals.values(), key=lambda d: int(d["properties"]["hs_lastmodifieddate"]))
        for group in body.get("filterGroups", []):
            for flt in group.get("filters", []):
                if flt.get("operator") != "GTE" or flt.get("propertyName") != "hs_lastmodifieddate":
                    return error("this test server filters on hs_lastmodifieddate GTE only")
                if not isinstance(flt.get("value"), str):
                    return error("filter values are strings")
                deals = [d for d in deals if int(d["properties"]["hs_lastmodifieddate"]) >= int(flt["value"])]
        start = int(body.get("after") or 0)
        page = deals[start:start + limit]
        answer = {"total": len(deals), "results": [
            {"id": d["id"], "properties": {k: v for k, v in d["properties"].items() if k in wanted},
             "createdAt": _now(), "updatedAt": _now(), "archived": False} for d in page]}
        if start + limit < len(deals):
            answer["paging"] = {"next": {"after": str(start + limit)}}
        return json_response(answer)

    def deal_associations(self, request: Request, deal_id: str) -> Response:
        if deal_id not in self.deals:
            return error(f"deal {deal_id} not found", 404, "OBJECT_NOT_FOUND")
        contacts = self.deal_contacts[deal_id]
        limit = int(request.args.get("limit", 2))  # small pages by default, so paging is exercised
        start = int(request.args.get("after") or 0)
        answer = {"results": [{"toObjectId": int(c), "associationTypes": [
            {"category": "HUBSPOT_DEFINED", "typeId": 3, "label": None}]} for c in contacts[start:start + limit]]}
        if start + limit < len(contacts):
            answer["paging"] = {"next": {"after": str(start + limit)}}
        return json_response(answer)

    # ------------------------------------------------------------------ for assertions

    def contact(self, email: str) -> dict | None:
        contact_id = self.by_email.get(email.lower())
        return self.contacts[contact_id] if contact_id else None
