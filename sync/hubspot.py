"""HubSpot (CRM v3/v4, private-app token): contacts upserted by e-mail, with attribution.

For a batch of up to 100 leads: our custom properties are created once if
missing; contacts are upserted by e-mail (one call); answers and staff notes
become one note per lead, associated to the contact (one call, and again only
when they change); attendance is recorded on the event's marketing event (one
call per event), so HubSpot's own reports attribute the contacts to the show.

A lead without an e-mail cannot be upserted by e-mail: it becomes a dead
letter that says so, and adding an e-mail to the lead sends it again.
Owners come from routing when the rep has a HubSpot owner id (`crm_ids.hubspot`).
"""
from __future__ import annotations

import hashlib
import html
import threading
from datetime import date, datetime, timezone

from .base import (BatchRejected, CheckResult, Connector, Field, Outcome, PauseConnector, PushResult, SyncError,
                   TransientError)
from .http import HttpClient, RateLimiter, short_text
from .records import LeadRecord, iso_utc

NOTE_TO_CONTACT = 202  # HubSpot-defined association type: note -> contact
MAX_NOTE = 65_536
AUTH_PAUSE = 300.0  # seconds to wait after HubSpot refuses the token or a scope: a person must act
SEARCH_PER_SECOND = 4
PROPERTY_GROUP = "contactinformation"  # exists in every portal

# Our attribution fields: (name, label, type, fieldType). Bump PROPERTIES_VERSION when this changes.
PROPERTIES = (
    ("lc_lead_id", "Lead capture id", "string", "text"),
    ("lc_source", "Lead capture source", "string", "text"),
    ("lc_event", "Trade show", "string", "text"),
    ("lc_event_id", "Trade show id", "string", "text"),
    ("lc_campaign", "Trade show campaign", "string", "text"),
    ("lc_utm_source", "Trade show UTM source", "string", "text"),
    ("lc_utm_medium", "Trade show UTM medium", "string", "text"),
    ("lc_utm_campaign", "Trade show UTM campaign", "string", "text"),
    ("lc_booth", "Trade show booth", "string", "text"),
    ("lc_device", "Capture device", "string", "text"),
    ("lc_captured_by", "Captured by", "string", "text"),
    ("lc_captured_at", "Captured at", "datetime", "date"),
    ("lc_rating", "Booth rating", "string", "text"),
    ("lc_score", "Lead score", "number", "number"),
    ("lc_grade", "Lead grade", "string", "text"),
    ("lc_consent", "Consent given", "bool", "booleancheckbox"),
    ("lc_consent_version", "Consent text version", "string", "text"),
    ("lc_consent_at", "Consent time", "datetime", "date"),
)
PROPERTIES_VERSION = 1
LEAD_STATUS = {"new": "NEW", "accepted": "OPEN", "contacted": "ATTEMPTED_TO_CONTACT", "qualified": "IN_PROGRESS",
               "disqualified": "UNQUALIFIED"}
DEAL_PROPERTIES = ["dealname", "amount", "dealstage", "closedate", "hs_is_closed_won", "hs_is_closed",
                   "deal_currency_code", "hs_lastmodifieddate", "createdate"]

# One limiter per portal token in this process, however many connector objects use it.
_limiters: dict[tuple[str, str], tuple[RateLimiter, RateLimiter]] = {}
_limiters_lock = threading.Lock()


def _ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


class HubSpotConnector(Connector):
    kind = "hubspot"
    label = "HubSpot"
    max_batch = 100
    fields = (
        Field("token", "Private app access token", required=True, secret=True),
        Field("base_url", "API base URL", kind="url", default="https://api.hubapi.com"),
        Field("account_id", "HubSpot account id", required=True,
              help="the portal id; marketing events are recorded under it"),
        Field("organizer", "Event organiser on marketing events", default="leadcapture"),
        Field("requests_per_10s", "Requests allowed per 10 s", kind="int", default=100,
              help="100 on free/starter portals, 190 for Professional/Enterprise private apps"),
        Field("lifecycle_stage", "Lifecycle stage for new contacts", default="",
              help="empty: leave it to HubSpot (it refuses to move a stage backwards)"),
        Field("marketing_events", "Record attendance on a marketing event", kind="bool", default=True),
        Field("timeout", "Seconds to wait for each call", kind="float", default=10.0),
    )

    def __init__(self, config: dict, secrets: dict, state: dict | None = None):
        super().__init__(config, secrets, state)
        token = secrets.get("token", "")
        limiter_key = (self.setting("base_url"), hashlib.sha256(token.encode()).hexdigest())
        with _limiters_lock:
            if limiter_key not in _limiters:
                # A little under the published window, so clock skew with HubSpot never costs a 429.
                _limiters[limiter_key] = (RateLimiter(int(self.setting("requests_per_10s")), 10.2),
                                          RateLimiter(SEARCH_PER_SECOND, 1.05))
            self._limiter, self._search_limiter = _limiters[limiter_key]
        self.http = HttpClient(self.setting("base_url"), float(self.setting("timeout")), self._limiter,
                               {"Authorization": f"Bearer {token}"})

    # ------------------------------------------------------------------ push

    def push(self, batch: list[LeadRecord]) -> list[PushResult]:
        """Upsert contacts, write notes, record attendance; see the module docstring.

        Leads without an e-mail are dead letters; a second lead with the same
        e-mail in one batch waits for the next one (HubSpot refuses duplicate ids).
        """
        self._ensure_properties()
        results: dict[int, PushResult] = {}
        sendable: dict[str, LeadRecord] = {}
        for record in batch:
            if not record.email:
                results[record.row_id] = PushResult.dead(
                    "no e-mail: HubSpot creates and updates contacts by e-mail; add the visitor's e-mail "
                    "to the lead and it is sent again")
            elif record.email.lower() in sendable:
                results[record.row_id] = PushResult.retry("another lead with this e-mail is in the same batch",
                                                          retry_after=0)
            else:
                sendable[record.email.lower()] = record
        contact_ids = self._upsert(list(sendable.values()), results) if sendable else {}
        upserted = [r for r in sendable.values() if r.row_id in contact_ids]
        state: dict[int, dict] = {r.row_id: {"contact_id": contact_ids[r.row_id]} for r in upserted}
        later = {}  # row id -> PushResult of a step after the upsert that did not succeed
        self._write_notes(upserted, contact_ids, state, later)
        if self.setting("marketing_events"):
            self._record_attendance(upserted, state, later)
        for record in upserted:
            step = later.get(record.row_id)
            if step is None:
                results[record.row_id] = PushResult("done", remote_id=contact_ids[record.row_id],
                                                    state=state[record.row_id])
            else:
                step.state = state[record.row_id]
                results[record.row_id] = step
        return [results[r.row_id] for r in batch]

    def _upsert(self, records: list[LeadRecord], results: dict[int, PushResult]) -> dict[int, str]:
        inputs = [{"id": r.email, "idProperty": "email", "properties": self._properties(r),
                   "objectWriteTraceId": r.trace_id} for r in records]
        response = self._call("POST", "/crm/v3/objects/contacts/batch/upsert", json={"inputs": inputs})
        body = response.json()
        by_email = {r.email.lower(): r for r in records}
        by_trace = {r.trace_id: r for r in records}
        contact_ids = {}
        for item in body.get("results", []):
            record = by_email.get(str(item.get("properties", {}).get("email", "")).lower())
            if record is not None:
                contact_ids[record.row_id] = str(item["id"])
        for error in body.get("errors", []):
            context = error.get("context") or {}
            named = [by_trace.get(t) for t in context.get("objectWriteTraceId", [])]
            named += [by_email.get(str(e).lower()) for e in context.get("ids", [])]
            for record in filter(None, named):
                if record.row_id not in contact_ids:
                    results[record.row_id] = PushResult.dead(f"HubSpot: {_error_text(error)}")
        for record in records:
            if record.row_id not in contact_ids and record.row_id not in results:
                results[record.row_id] = PushResult.retry("HubSpot answered without a result for this contact")
        return contact_ids

    def _properties(self, r: LeadRecord) -> dict:
        a = r.attribution
        values = {
            "email": r.email, "firstname": r.first_name, "lastname": r.last_name, "company": r.company,
            "jobtitle": r.job_title, "phone": r.phone, "country": r.country, "city": r.city,
            "hs_lead_status": LEAD_STATUS.get(r.status),
            "lifecyclestage": self.setting("lifecycle_stage") or None,
            "hubspot_owner_id": a.owner_crm_ids.get("hubspot"),
            "lc_lead_id": r.key, "lc_source": a.source, "lc_event": a.event_name,
            "lc_event_id": f"{a.event_slug}#{a.event_id}", "lc_campaign": a.campaign_name or a.campaign_id,
            "lc_utm_source": a.utm_source, "lc_utm_medium": a.utm_medium, "lc_utm_campaign": a.utm_campaign,
            "lc_booth": a.booth, "lc_device": a.device, "lc_captured_by": a.staff_name,
            "lc_captured_at": _ms(a.captured_at), "lc_rating": r.rating,
            "lc_score": None if a.score is None else str(a.score), "lc_grade": a.grade,
            "lc_consent": None if a.consent_granted is None else ("true" if a.consent_granted else "false"),
            "lc_consent_version": a.consent_version,
            "lc_consent_at": _ms(a.consent_at) if a.consent_at else None,
        }
        # Every value a string, and no empty ones: an empty string would erase what HubSpot knows.
        return {k: str(v) for k, v in values.items() if v is not None and v != ""}

    def _write_notes(self, records: list[LeadRecord], contact_ids: dict[int, str], state: dict[int, dict],
                     later: dict[int, PushResult]) -> None:
        """One note per lead with its answers and notes, written again only when they change."""
        wanted = []
        for record in records:
            body = _note_body(record)
            digest = hashlib.sha256(body.encode()).hexdigest()[:16] if body else None
            if body is None or record.state.get("note_digest") == digest:
                continue
            wanted.append((record, body, digest))
        if not wanted:
            return
        inputs = []
        for record, body, _digest in wanted:
            properties = {"hs_timestamp": _ms(record.attribution.captured_at), "hs_note_body": body}
            if owner := record.attribution.owner_crm_ids.get("hubspot"):
                properties["hubspot_owner_id"] = str(owner)
            inputs.append({"properties": properties, "associations": [{
                "to": {"id": contact_ids[record.row_id]},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": NOTE_TO_CONTACT}],
            }]})
        try:
            response = self._call("POST", "/crm/v3/objects/notes/batch/create", json={"inputs": inputs})
        except TransientError as exc:
            for record, _b, _d in wanted:
                later[record.row_id] = PushResult.retry(f"note: {exc}", exc.retry_after)
            return
        except BatchRejected as exc:
            for record, _b, _d in wanted:
                later[record.row_id] = PushResult.dead(
                    f"the contact is in HubSpot but its note was refused: {exc}")
            return
        # HubSpot does not promise results in input order: match them by the body we sent.
        created = {item.get("properties", {}).get("hs_note_body"): str(item["id"])
                   for item in response.json().get("results", [])}
        for record, body, digest in wanted:
            if body in created:
                state[record.row_id].update(note_digest=digest, note_id=created[body])
            else:
                later[record.row_id] = PushResult.retry("HubSpot answered without the note")

    def _record_attendance(self, records: list[LeadRecord], state: dict[int, dict],
                           later: dict[int, PushResult]) -> None:
        """Attendance on the event's marketing event, once per lead (created with the first lead)."""
        by_event: dict[int, list[LeadRecord]] = {}
        for record in records:
            # A lead whose note failed is retried whole anyway; attendance waits for that retry.
            if not record.state.get("attended") and record.row_id not in later:
                by_event.setdefault(record.attribution.event_id, []).append(record)
        for attendees in by_event.values():
            try:
                external_id = self._ensure_marketing_event(attendees[0])
                self._call("POST", f"/marketing/v3/marketing-events/attendance/{external_id}/attend/email-create",
                           params={"externalAccountId": str(self.setting("account_id"))},
                           json={"inputs": [{"email": r.email,
                                             "interactionDateTime": int(_ms(r.attribution.captured_at))}
                                            for r in attendees]})
            except TransientError as exc:
                for record in attendees:
                    later[record.row_id] = PushResult.retry(f"attendance: {exc}", exc.retry_after)
                continue
            except BatchRejected as exc:
                for record in attendees:
                    later[record.row_id] = PushResult.dead(
                        f"the contact is in HubSpot but its attendance was refused: {exc}")
                continue
            for record in attendees:
                state[record.row_id]["attended"] = True

    def _ensure_marketing_event(self, record: LeadRecord) -> str:
        a = record.attribution
        external_id = f"leadcapture-{a.event_slug}"
        created = self.state.setdefault("marketing_events", [])
        if external_id in created:
            return external_id
        # 409: another worker created it first, which is as good.
        self._call("POST", "/marketing/v3/marketing-events/events", accept=(409,), json={
            "eventName": a.event_name, "eventOrganizer": str(self.setting("organizer")),
            "externalAccountId": str(self.setting("account_id")), "externalEventId": external_id,
            "eventType": "Trade show",
            "startDateTime": f"{a.event_starts_on.isoformat()}T00:00:00Z",
            "endDateTime": f"{a.event_ends_on.isoformat()}T23:59:59Z",
        })
        created.append(external_id)
        return external_id

    def _ensure_properties(self) -> None:
        """Create our custom contact properties once per portal; 409 means one is already there.

        Each one is remembered as soon as it exists, so a CRM failing now and then
        still gets them all over a few tries instead of none.
        """
        if self.state.get("properties_version") == PROPERTIES_VERSION:
            return
        created = self.state.setdefault("properties", [])
        for name, label, type_, field_type in PROPERTIES:
            if name in created:
                continue
            body = {"name": name, "label": label, "type": type_, "fieldType": field_type,
                    "groupName": PROPERTY_GROUP, "description": "Set by leadcapture (trade-show lead capture)"}
            if type_ == "bool":
                body["options"] = [{"label": "Yes", "value": "true"}, {"label": "No", "value": "false"}]
            try:
                self._call("POST", "/crm/v3/properties/contacts", accept=(409,), json=body)
            except BatchRejected as exc:  # a portal problem, not the leads': they wait for a person
                raise PauseConnector(f"HubSpot refused our custom property {name}: {exc}", AUTH_PAUSE) from None
            created.append(name)
        self.state["properties_version"] = PROPERTIES_VERSION
        del self.state["properties"]

    # ------------------------------------------------------------------ outcomes and check

    def pull_outcomes(self, since: datetime) -> list[Outcome]:
        """Deals modified since `since`, each with its associated contacts (paged both ways)."""
        outcomes, after = [], None
        while True:
            body = {"filterGroups": [{"filters": [
                        {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": _ms(since)}]}],
                    "properties": DEAL_PROPERTIES, "limit": 200,
                    "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]}
            if after:
                body["after"] = after
            page = self._call("POST", "/crm/v3/objects/deals/search", json=body,
                              limiter=self._search_limiter).json()
            for deal in page.get("results", []):
                outcomes.append(self._outcome(deal))
            after = (page.get("paging") or {}).get("next", {}).get("after")
            if not after:
                return outcomes

    def _outcome(self, deal: dict) -> Outcome:
        p = deal.get("properties", {})
        contacts, after = [], None
        while True:
            page = self._call("GET", f"/crm/v4/objects/deals/{deal['id']}/associations/contacts",
                              params={"after": after} if after else None).json()
            contacts += [str(item["toObjectId"]) for item in page.get("results", [])]
            after = (page.get("paging") or {}).get("next", {}).get("after")
            if not after:
                break
        closed = (p.get("closedate") or "")[:10]
        created = _parse_time(p.get("createdate") or deal.get("createdAt"))
        won = p.get("hs_is_closed_won") == "true"
        return Outcome(
            crm_id=str(deal["id"]), name=p.get("dealname") or "", stage=p.get("dealstage"),
            amount=p.get("amount"), currency=p.get("deal_currency_code"),
            is_closed=won or p.get("hs_is_closed") == "true", is_won=won,
            close_date=date.fromisoformat(closed) if closed else None,
            modified_at=_parse_time(p.get("hs_lastmodifieddate") or deal.get("updatedAt")),
            contact_ids=tuple(contacts), created_on=created.date() if created else None,
        )

    def check(self) -> CheckResult:
        """Reads one deal (deals scope) and makes sure our contact properties exist (schema scope)."""
        try:
            self._call("POST", "/crm/v3/objects/deals/search", limiter=self._search_limiter,
                       json={"filterGroups": [], "properties": ["dealname"], "limit": 1})
            self._ensure_properties()
        except SyncError as exc:
            return CheckResult(False, str(exc))
        return CheckResult(True, "HubSpot accepted the token; deals are readable and our contact properties exist")

    # ------------------------------------------------------------------ HTTP

    def _call(self, method: str, path: str, accept: tuple[int, ...] = (), limiter: RateLimiter | None = None,
              **kwargs):
        """One HubSpot call; 2xx and `accept` statuses come back, other answers become errors."""
        response = self.http.send(method, path, limiter=limiter, **kwargs)
        if response.ok or response.status_code in accept:
            return response
        message = f"{method} {path}: HTTP {response.status_code} {_body_message(response)}"
        if response.status_code in (401, 403):
            raise PauseConnector(f"HubSpot refused the token or a scope ({message}); "
                                 "check the private app's token and scopes", AUTH_PAUSE)
        raise BatchRejected(message)


def _note_body(record: LeadRecord) -> str | None:
    """The note's HTML: who met the visitor where, the answers, the staff notes, our lead key."""
    if not record.answers and not record.notes:
        return None
    a = record.attribution
    met = f"{a.event_name}, {iso_utc(a.captured_at)}" + (f", {a.staff_name}" if a.staff_name else "")
    parts = [f"<p><strong>{html.escape(met)}</strong></p>"]
    if record.answers:
        items = "".join(f"<li>{html.escape(q)}: {html.escape(v)}</li>" for q, v in record.answers)
        parts.append(f"<ul>{items}</ul>")
    if record.notes:
        # HubSpot caps a note at 65,536 characters; notes gathered over many scans are cut, not refused.
        notes = html.escape(record.notes[:MAX_NOTE // 2]).replace("\n", "<br>")
        parts.append(f"<p>{notes}</p>")
    parts.append(f"<p>leadcapture {html.escape(record.key)}</p>")
    return "".join(parts)[:MAX_NOTE]


def _body_message(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return short_text(response)
    if isinstance(body, dict) and body.get("message"):
        return _error_text(body)
    return short_text(response)


def _error_text(error: dict) -> str:
    """HubSpot's message, with the details of its `errors` list when they add something."""
    message = error.get("message") or error.get("category") or "refused"
    details = [e.get("message") for e in error.get("errors") or [] if isinstance(e, dict)]
    details = "; ".join(d for d in details if d and d != message)
    return message + (f" ({details})" if details else "")


def _parse_time(value) -> datetime | None:
    if not value:
        return None
    if str(value).isdigit():
        return datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
