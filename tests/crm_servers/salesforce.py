"""A strict Salesforce REST API (v62.0+) on loopback: client-credentials token, sObject Collections
upsert of Leads by external id, CampaignMember inserts, and SOQL queries with paging."""
from __future__ import annotations

import itertools
import re
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timezone

from werkzeug.wrappers import Request, Response

from . import CrmServer, json_response, read_json

MAX_RECORDS = 200
EXT = "LeadCapture_Id__c"
STRING, BOOL, NUMBER, DATETIME, DATE, ID = "string", "boolean", "double", "datetime", "date", "id"
LEAD_FIELDS = {
    "Id": ID, "FirstName": STRING, "LastName": STRING, "Company": STRING, "Email": STRING, "Title": STRING,
    "Phone": STRING, "City": STRING, "Country": STRING, "LeadSource": STRING, "Rating": STRING,
    "Description": STRING, "OwnerId": ID, "Status": STRING, "IsConverted": BOOL, "ConvertedOpportunityId": ID,
    "LastModifiedDate": DATETIME, EXT: STRING,
    "LeadCapture_Event__c": STRING, "LeadCapture_Event_Id__c": STRING, "LeadCapture_Campaign__c": STRING,
    "LeadCapture_UTM_Source__c": STRING, "LeadCapture_UTM_Medium__c": STRING,
    "LeadCapture_UTM_Campaign__c": STRING,
    "LeadCapture_Booth__c": STRING, "LeadCapture_Device__c": STRING, "LeadCapture_Captured_By__c": STRING,
    "LeadCapture_Captured_At__c": DATETIME, "LeadCapture_Consent__c": BOOL,
    "LeadCapture_Consent_Version__c": STRING, "LeadCapture_Consent_At__c": DATETIME,
    "LeadCapture_Score__c": NUMBER, "LeadCapture_Grade__c": STRING,
}
READ_ONLY = {"Id", "IsConverted", "ConvertedOpportunityId", "LastModifiedDate"}
OPPORTUNITY_FIELDS = {"Id": ID, "Name": STRING, "Amount": NUMBER, "StageName": STRING, "IsClosed": BOOL,
                      "IsWon": BOOL, "CloseDate": DATE, "CampaignId": ID, "LastModifiedDate": DATETIME,
                      "CreatedDate": DATETIME}
OBJECTS = {"Lead": LEAD_FIELDS, "Opportunity": OPPORTUNITY_FIELDS}
RATINGS = {"Hot", "Warm", "Cold"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$")
SOQL = re.compile(r"^SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)(?:\s+WHERE\s+(?P<where>.+?))?"
                  r"(?:\s+ORDER\s+BY\s+(?P<order>\w+)(?:\s+(?:ASC|DESC))?)?(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$",
                  re.IGNORECASE)
CONDITION = re.compile(
    r"^(?P<field>\w+)\s*(?:(?P<op>>=|<=|!=|=|>|<)\s*(?P<value>\S+)|\s+IN\s*\((?P<list>[^)]*)\))$", re.IGNORECASE)


def sf_time(moment: datetime | None = None) -> str:
    return (moment or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def errors(message: str, code: str, status: int = 400, fields: list | None = None) -> Response:
    return json_response([{"message": message, "errorCode": code, "fields": fields or []}], status)


def item_error(code: str, message: str, fields: list | None = None) -> dict:
    return {"id": None, "success": False, "errors": [{"statusCode": code, "message": message, "fields": fields or []}]}


class SalesforceServer(CrmServer):
    """State: leads (by id, indexed by our external id), campaigns and members, opportunities.
    Misbehaviour beyond Faults: `expire_tokens()`, `expire_every` (every Nth data call finds its
    token expired), `api_limit` (daily requests, then 403 REQUEST_LIMIT_EXCEEDED) and
    `reject_lead(record) -> (statusCode, message) | None` for per-record errors."""

    def __init__(self, client_id: str = "cid", client_secret: str = "csecret", port: int = 0):
        super().__init__(port)
        self.client_id, self.client_secret = client_id, client_secret
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.expire_every: int | None = None
        self.api_limit: int | None = None
        self.api_used = 0
        self.page_size = 2000
        self.users = {"005000000000001AAA", "005000000000002AAA"}
        self.reject_lead: Callable[[dict], tuple[str, str] | None] = lambda record: None
        self.leads: dict[str, dict] = {}
        self.by_ext: dict[str, str] = {}
        self.campaigns: set[str] = set()
        self.members: dict[tuple[str, str], dict] = {}
        self.opportunities: dict[str, dict] = {}
        self.upserted: list[str] = []  # external ids of every record written, in order
        self._cursors: dict[str, list[dict]] = {}
        self._ids = itertools.count(1)
        data = r"/services/data/v(?P<version>\d+\.\d)"
        self.route("POST", "/services/oauth2/token", "token", self.token)
        self.route("PATCH", data + r"/composite/sobjects/(?P<sobject>\w+)/(?P<field>\w+)", "upsert", self.upsert)
        self.route("POST", data + "/composite/sobjects", "create", self.create)
        self.route("GET", data + "/query", "query", self.query)
        self.route("GET", data + r"/query/(?P<cursor>[\w-]+)", "query_more", self.query_more)

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):012d}AAA"

    # ------------------------------------------------------------------ cross-cutting

    def before(self, request: Request, route: str) -> Response | None:
        if route == "token":
            return None
        version = request.path.split("/")[3][1:]
        if float(version) < 62.0:
            return errors(f"API version {version} is not supported here", "NOT_FOUND", 404)
        with self.lock:
            self.api_used += 1
            if self.expire_every and self.api_used % self.expire_every == 0:
                self.tokens.clear()
            if self.api_limit is not None and self.api_used > self.api_limit:
                return errors("TotalRequests Limit exceeded.", "REQUEST_LIMIT_EXCEEDED", 403)
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return errors("Session expired or invalid", "INVALID_SESSION_ID", 401)
        return None

    def too_many(self, headers: dict) -> Response:
        return errors("Too many concurrent requests", "REQUEST_LIMIT_EXCEEDED", 429)

    def server_error(self) -> Response:
        return errors("An unexpected error occurred. Please include this ErrorId if you contact support",
                      "UNKNOWN_EXCEPTION", 500)

    def not_found(self, request: Request) -> Response:
        return errors("The requested resource does not exist", "NOT_FOUND", 404)

    def _answer(self, body, status: int = 200) -> Response:
        response = json_response(body, status)
        response.headers["Sforce-Limit-Info"] = f"api-usage={self.api_used}/{self.api_limit or 100000}"
        return response

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    # ------------------------------------------------------------------ OAuth

    def token(self, request: Request) -> Response:
        if request.mimetype != "application/x-www-form-urlencoded":
            return json_response({"error": "invalid_request", "error_description": "form body expected"}, 400)
        form = request.form
        if form.get("grant_type") != "client_credentials":
            return json_response({"error": "unsupported_grant_type",
                                  "error_description": "grant type not supported"}, 400)
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return json_response({"error": "invalid_client", "error_description": "invalid client credentials"}, 400)
        token = f"00D!{secrets.token_urlsafe(24)}"
        with self.lock:
            self.tokens.add(token)
            self.token_requests += 1
        return json_response({"access_token": token, "instance_url": self.url, "token_type": "Bearer",
                              "id": f"{self.url}/id/00D000000000001/005000000000001",
                              "issued_at": str(int(time.time() * 1000)), "signature": "test"})

    # ------------------------------------------------------------------ sObject Collections

    def _collection(self, request: Request) -> tuple[list | None, Response | None]:
        body = read_json(request)
        if not isinstance(body, dict) or set(body) - {"allOrNone", "records"} or "records" not in body:
            return None, errors("Request body must be {allOrNone, records}", "JSON_PARSER_ERROR")
        if body.get("allOrNone") is not False:
            return None, errors("this org's tests expect allOrNone false", "INVALID_INPUT")
        records = body["records"]
        if not isinstance(records, list) or not records:
            return None, errors("records must be a non-empty list", "INVALID_INPUT")
        if len(records) > MAX_RECORDS:
            return None, errors(f"Maximum number of records is {MAX_RECORDS}", "EXCEEDED_ID_LIMIT")
        return records, None

    def upsert(self, request: Request, version: str, sobject: str, field: str) -> Response:
        if sobject != "Lead":
            return errors(f"sObject type '{sobject}' is not supported here", "INVALID_TYPE", 404)
        if field != EXT:
            return errors(f"Provided external ID field does not exist or is not accessible: {field}",
                          "NOT_FOUND", 404)
        records, refusal = self._collection(request)
        if refusal:
            return refusal
        for n, record in enumerate(records):
            if not isinstance(record, dict) or record.get("attributes", {}).get("type") != "Lead":
                return errors(f"records[{n}]: attributes.type must be Lead", "INVALID_TYPE")
            for name, value in record.items():
                if name == "attributes":
                    continue
                if name not in LEAD_FIELDS or name in READ_ONLY:
                    return errors(f"No such column '{name}' on sobject of type Lead", "INVALID_FIELD")
                if not _typed_ok(LEAD_FIELDS[name], value):
                    return errors(f"Cannot deserialize instance of {LEAD_FIELDS[name]} from {value!r} ({name})",
                                  "JSON_PARSER_ERROR")
            if not record.get(EXT):
                return errors(f"records[{n}]: {EXT} is required for upsert", "MISSING_ARGUMENT")
        results = []
        with self.lock:
            for record in records:
                results.append(self._upsert_one({k: v for k, v in record.items() if k != "attributes"}))
        return self._answer(results)

    def _upsert_one(self, values: dict) -> dict:
        key = values[EXT]
        existing = self.leads.get(self.by_ext.get(key, ""))
        merged = {**(existing or {}), **values}
        missing = [f for f in ("LastName", "Company") if not merged.get(f)]
        if missing:
            return item_error("REQUIRED_FIELD_MISSING", f"Required fields are missing: {missing}", missing)
        if merged.get("Email") and not EMAIL.match(merged["Email"]):
            return item_error("INVALID_EMAIL_ADDRESS", f"Email: invalid email address: {merged['Email']}",
                              ["Email"])
        if merged.get("Rating") and merged["Rating"] not in RATINGS:
            return item_error("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", f"Rating: bad value: {merged['Rating']}",
                              ["Rating"])
        if merged.get("OwnerId") and merged["OwnerId"] not in self.users:
            return item_error("INVALID_CROSS_REFERENCE_KEY", "Owner ID: id value of incorrect type", ["OwnerId"])
        if rejected := self.reject_lead(merged):
            return item_error(*rejected)
        self.upserted.append(key)
        if existing is not None:
            existing.update(values, LastModifiedDate=sf_time())
            return {"id": existing["Id"], "success": True, "created": False, "errors": []}
        lead_id = self._id("00Q")
        self.leads[lead_id] = dict(merged, Id=lead_id, IsConverted=False, ConvertedOpportunityId=None,
                                   LastModifiedDate=sf_time())
        self.by_ext[key] = lead_id
        return {"id": lead_id, "success": True, "created": True, "errors": []}

    def create(self, request: Request, version: str) -> Response:
        records, refusal = self._collection(request)
        if refusal:
            return refusal
        for n, record in enumerate(records):
            if not isinstance(record, dict) or record.get("attributes", {}).get("type") != "CampaignMember":
                return errors(f"records[{n}]: this test server creates CampaignMember records only",
                              "INVALID_TYPE")
            if set(record) - {"attributes", "CampaignId", "LeadId", "ContactId", "Status"}:
                return errors(f"records[{n}]: unknown CampaignMember field", "INVALID_FIELD")
        results = []
        with self.lock:
            for record in records:
                campaign, lead = record.get("CampaignId"), record.get("LeadId")
                if campaign not in self.campaigns:
                    results.append(item_error("INVALID_CROSS_REFERENCE_KEY",
                                              "Campaign ID: id value of incorrect type", ["CampaignId"]))
                elif lead not in self.leads:
                    results.append(item_error("INVALID_CROSS_REFERENCE_KEY", "Lead ID: id value of incorrect type",
                                              ["LeadId"]))
                elif (campaign, lead) in self.members:
                    results.append(item_error("DUPLICATE_VALUE", "Already a campaign member."))
                else:
                    member_id = self._id("00v")
                    self.members[(campaign, lead)] = {"Id": member_id, "Status": record.get("Status")}
                    results.append({"id": member_id, "success": True, "errors": []})
        return self._answer(results, 200)

    # ------------------------------------------------------------------ SOQL

    def query(self, request: Request, version: str) -> Response:
        soql = request.args.get("q", "")
        match = SOQL.match(soql.strip())
        if not match:
            return errors(f"unexpected token in: {soql[:80]}", "MALFORMED_QUERY")
        obj = OBJECTS.get(match["object"])
        if obj is None:
            return errors(f"sObject type '{match['object']}' is not supported.", "INVALID_TYPE")
        fields = [f.strip() for f in match["fields"].split(",")]
        for name in fields + ([match["order"]] if match["order"] else []):
            if name not in obj:
                return errors(f"No such column '{name}' on entity '{match['object']}'", "INVALID_FIELD")
        with self.lock:
            rows = list((self.leads if match["object"] == "Lead" else self.opportunities).values())
        conditions = re.split(r"\s+AND\s+", match["where"], flags=re.IGNORECASE) if match["where"] else []
        for condition in conditions:
            parsed = CONDITION.match(condition.strip())
            if not parsed or parsed["field"] not in obj:
                return errors(f"cannot read condition {condition!r}", "MALFORMED_QUERY")
            rows = [r for r in rows if _matches(r.get(parsed["field"]), parsed)]
        if match["order"]:
            rows.sort(key=lambda r: str(r.get(match["order"]) or ""))
        if match["limit"]:
            rows = rows[:int(match["limit"])]
        records = [{"attributes": {"type": match["object"], "url": f"/services/data/v{version}/sobjects/"
                                                                   f"{match['object']}/{r['Id']}"},
                    **{f: r.get(f) for f in fields}} for r in rows]
        cursor = f"01g{secrets.token_hex(6)}"
        with self.lock:
            self._cursors[cursor] = records
        return self._page(version, cursor, 0)

    def query_more(self, request: Request, version: str, cursor: str) -> Response:
        name, _, offset = cursor.rpartition("-")
        if name not in self._cursors or not offset.isdigit():
            return errors("invalid query locator", "INVALID_QUERY_LOCATOR")
        return self._page(version, name, int(offset))

    def _page(self, version: str, cursor: str, offset: int) -> Response:
        records = self._cursors[cursor]
        page = records[offset:offset + self.page_size]
        body = {"totalSize": len(records), "done": offset + self.page_size >= len(records), "records": page}
        if not body["done"]:
            body["nextRecordsUrl"] = f"/services/data/v{version}/query/{cursor}-{offset + self.page_size}"
        return self._answer(body)

    # ------------------------------------------------------------------ for tests

    def add_campaign(self) -> str:
        campaign = self._id("701")
        self.campaigns.add(campaign)
        return campaign

    def add_opportunity(self, converted_from: list[str] = (), **fields) -> str:
        """An opportunity, and the leads (by our external id) converted into it."""
        with self.lock:
            opp_id = self._id("006")
            self.opportunities[opp_id] = {"Id": opp_id, "IsClosed": False, "IsWon": False, "Amount": None,
                                          "CampaignId": None, "CloseDate": None, "LastModifiedDate": sf_time(),
                                          "CreatedDate": sf_time(), **fields}
            for key in converted_from:
                lead = self.leads[self.by_ext[key]]
                lead.update(IsConverted=True, ConvertedOpportunityId=opp_id)
        return opp_id

    def lead(self, key: str) -> dict | None:
        lead_id = self.by_ext.get(key)
        return self.leads[lead_id] if lead_id else None


def _typed_ok(kind: str, value) -> bool:
    if value is None:
        return True
    if kind == BOOL:
        return isinstance(value, bool)
    if kind == NUMBER:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == DATETIME:
        return isinstance(value, str) and bool(ISO_TIME.match(value))
    return isinstance(value, str)


def _literal(text: str):
    if text.lower() == "null":
        return None
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1]
    if ISO_TIME.match(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    return float(text)


def _comparable(value):
    if isinstance(value, str) and re.match(r"^\d{4}-\d\d-\d\dT", value):
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
    return value


def _matches(value, condition) -> bool:
    if condition["list"] is not None:
        return value in [_literal(v.strip()) for v in condition["list"].split(",") if v.strip()]
    wanted, op = _literal(condition["value"]), condition["op"]
    value = _comparable(value)
    if op == "=":
        return value == wanted
    if op == "!=":
        return value != wanted
    if value is None or wanted is None:
        return False
    return {">=": value >= wanted, "<=": value <= wanted, ">": value > wanted, "<": value < wanted}[op]
