"""Salesforce (REST API v62.0+): Leads upserted by our external id, joined to the event's Campaign.

Authentication is the OAuth client-credentials flow against the org's My
Domain URL; a 401 INVALID_SESSION_ID gets one new token, then fails. Leads go
through sObject Collections (200 per call, `allOrNone` false) keyed by an
External ID field (`LeadCapture_Id__c` by default) that the Salesforce admin
creates, with the attribution fields listed in FIELDS (see the README). A
lead without a last name is refused by Salesforce (LastName is required):
it becomes a dead letter until the lead is completed. A blank company is sent
as "[not provided]", as Salesforce's own Web-to-Lead does.
403 REQUEST_LIMIT_EXCEEDED pauses the connector: the org's daily API
allowance is spent, nothing is wrong with the leads.
"""
from __future__ import annotations

import time
from datetime import date, datetime

from .base import BatchRejected, CheckResult, Connector, Field, Outcome, PauseConnector, PushResult, SyncError
from .http import HttpClient, short_text
from .records import LeadRecord, iso_utc

AUTH_PAUSE = 300.0
NO_COMPANY = "[not provided]"
MAX_DESCRIPTION = 32_000
RATING = {"hot": "Hot", "warm": "Warm", "cold": "Cold"}
# Per-record errors worth another try; any other per-record error is a person's to fix.
TRANSIENT_CODES = {"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "REQUEST_RUNNING_TOO_LONG"}
# Whole-call errors that mean the org is not set up for us: wait for the admin, keep the leads.
SETUP_CODES = {"INVALID_FIELD", "INVALID_TYPE", "NOT_FOUND", "INSUFFICIENT_ACCESS", "API_DISABLED_FOR_ORG"}
# Our attribution fields on Lead (custom fields the admin creates; API names).
FIELDS = {
    "event": "LeadCapture_Event__c", "event_id": "LeadCapture_Event_Id__c",
    "campaign": "LeadCapture_Campaign__c", "utm_source": "LeadCapture_UTM_Source__c",
    "utm_medium": "LeadCapture_UTM_Medium__c", "utm_campaign": "LeadCapture_UTM_Campaign__c",
    "booth": "LeadCapture_Booth__c", "device": "LeadCapture_Device__c",
    "captured_by": "LeadCapture_Captured_By__c", "captured_at": "LeadCapture_Captured_At__c",
    "consent": "LeadCapture_Consent__c", "consent_version": "LeadCapture_Consent_Version__c",
    "consent_at": "LeadCapture_Consent_At__c", "score": "LeadCapture_Score__c", "grade": "LeadCapture_Grade__c",
}


class SalesforceConnector(Connector):
    kind = "salesforce"
    label = "Salesforce"
    max_batch = 200
    fields = (
        Field("base_url", "My Domain URL", kind="url", required=True,
              help="e.g. https://yourcompany.my.salesforce.com (the client-credentials flow needs it)"),
        Field("client_id", "Connected app consumer key", required=True),
        Field("client_secret", "Connected app consumer secret", required=True, secret=True),
        Field("api_version", "API version", default="62.0"),
        Field("external_id_field", "External ID field on Lead", default="LeadCapture_Id__c"),
        Field("lead_source", "Lead Source value", default="Trade Show"),
        Field("campaign_id", "Campaign id", help="empty: the event's campaign id"),
        Field("member_status", "Campaign member status", default="Responded"),
        Field("limit_pause", "Pause after REQUEST_LIMIT_EXCEEDED (s)", kind="float", default=3600.0),
        Field("timeout", "Seconds to wait for each call", kind="float", default=10.0),
    )

    def __init__(self, config: dict, secrets: dict, state: dict | None = None):
        super().__init__(config, secrets, state)
        self.http = HttpClient(self.setting("base_url"), float(self.setting("timeout")))
        self._token: str | None = None
        self._token_expires = 0.0
        self._instance_url = ""

    @property
    def _data(self) -> str:
        return f"/services/data/v{self.setting('api_version')}"

    # ------------------------------------------------------------------ push

    def push(self, batch: list[LeadRecord]) -> list[PushResult]:
        """Upsert the leads, then add the new ones to the Campaign; one result per lead, in order."""
        ext = self.setting("external_id_field")
        records = [self._lead_fields(r, ext) for r in batch]
        answers = self._call("PATCH", f"{self._data}/composite/sobjects/Lead/{ext}",
                             json={"allOrNone": False, "records": records})
        if not isinstance(answers, list) or len(answers) != len(batch):
            raise BatchRejected(f"Salesforce answered {len(answers) if isinstance(answers, list) else 'no'} "
                                f"results for {len(batch)} leads")
        results: list[PushResult] = []
        joined = []
        for record, answer in zip(batch, answers):
            if answer.get("success"):
                results.append(PushResult("done", remote_id=answer["id"], state={"lead_id": answer["id"]}))
                campaign = self.setting("campaign_id") or record.attribution.campaign_id
                if campaign and record.state.get("campaign") != campaign:
                    joined.append((record, results[-1], campaign))
                continue
            errors = answer.get("errors") or []
            text = "; ".join(_error_text(e) for e in errors) or "refused without a reason"
            if errors and all(e.get("statusCode") in TRANSIENT_CODES for e in errors):
                results.append(PushResult.retry(f"Salesforce: {text}"))
            else:
                results.append(PushResult.dead(f"Salesforce: {text}"))
        if joined:
            self._join_campaign(joined)
        return results

    def _lead_fields(self, r: LeadRecord, ext: str) -> dict:
        a = r.attribution
        description = "\n".join(f"{q}: {v}" for q, v in r.answers)
        if r.notes:
            description = f"{description}\n\n{r.notes}" if description else r.notes
        values = {
            "attributes": {"type": "Lead"}, ext: r.key,
            "FirstName": r.first_name, "LastName": r.last_name, "Company": r.company or NO_COMPANY,
            "Email": r.email, "Title": r.job_title, "Phone": r.phone, "City": r.city, "Country": r.country,
            "LeadSource": self.setting("lead_source"), "Rating": RATING.get(r.rating or ""),
            "Description": description[:MAX_DESCRIPTION] or None,
            "OwnerId": a.owner_crm_ids.get("salesforce"),
            FIELDS["event"]: a.event_name, FIELDS["event_id"]: f"{a.event_slug}#{a.event_id}",
            FIELDS["campaign"]: a.campaign_name or a.campaign_id,
            FIELDS["utm_source"]: a.utm_source, FIELDS["utm_medium"]: a.utm_medium,
            FIELDS["utm_campaign"]: a.utm_campaign, FIELDS["booth"]: a.booth, FIELDS["device"]: a.device,
            FIELDS["captured_by"]: a.staff_name, FIELDS["captured_at"]: iso_utc(a.captured_at),
            FIELDS["consent"]: a.consent_granted, FIELDS["consent_version"]: a.consent_version,
            FIELDS["consent_at"]: iso_utc(a.consent_at) if a.consent_at else None,
            FIELDS["score"]: a.score, FIELDS["grade"]: a.grade,
        }
        # Left out rather than null: a null would erase what sales already entered in Salesforce.
        return {k: v for k, v in values.items() if v is not None and v != ""}

    def _join_campaign(self, joined: list[tuple[LeadRecord, PushResult, str]]) -> None:
        """A CampaignMember per lead; DUPLICATE_VALUE means the lead is a member already."""
        members = [{"attributes": {"type": "CampaignMember"}, "CampaignId": campaign, "LeadId": result.remote_id,
                    "Status": self.setting("member_status")} for _r, result, campaign in joined]
        answers = self._call("POST", f"{self._data}/composite/sobjects",
                             json={"allOrNone": False, "records": members})
        for (record, result, campaign), answer in zip(joined, answers):
            errors = answer.get("errors") or []
            if answer.get("success") or any(e.get("statusCode") == "DUPLICATE_VALUE" for e in errors):
                result.state["campaign"] = campaign
            elif errors and all(e.get("statusCode") in TRANSIENT_CODES for e in errors):
                result.outcome, result.message = "retry", f"campaign member: {_error_text(errors[0])}"
            else:
                result.outcome = "dead"
                result.message = ("the lead is in Salesforce but could not join the campaign: "
                                  + "; ".join(_error_text(e) for e in errors))

    # ------------------------------------------------------------------ outcomes and check

    def pull_outcomes(self, since: datetime) -> list[Outcome]:
        """Opportunities modified since `since`, with the keys of our leads converted into them."""
        opportunities = self._query(
            "SELECT Id, Name, Amount, StageName, IsClosed, IsWon, CloseDate, CampaignId, LastModifiedDate, CreatedDate "
            f"FROM Opportunity WHERE LastModifiedDate >= {iso_utc(since)} ORDER BY LastModifiedDate")
        ext = self.setting("external_id_field")
        keys: dict[str, list[str]] = {}
        ids = [o["Id"] for o in opportunities]
        for start in range(0, len(ids), 200):  # SOQL statements are limited in length
            quoted = ", ".join(f"'{i}'" for i in ids[start:start + 200])
            for lead in self._query(f"SELECT {ext}, ConvertedOpportunityId FROM Lead "
                                    f"WHERE ConvertedOpportunityId IN ({quoted})"):
                if lead.get(ext):
                    keys.setdefault(lead["ConvertedOpportunityId"], []).append(lead[ext])
        return [Outcome(
            crm_id=o["Id"], name=o.get("Name") or "", stage=o.get("StageName"),
            amount=None if o.get("Amount") is None else str(o["Amount"]), currency=None,
            is_closed=bool(o.get("IsClosed")), is_won=bool(o.get("IsWon")),
            close_date=date.fromisoformat(o["CloseDate"]) if o.get("CloseDate") else None,
            modified_at=_parse_time(o.get("LastModifiedDate")), lead_keys=tuple(keys.get(o["Id"], ())),
            campaign_id=o.get("CampaignId"),
            created_on=created.date() if (created := _parse_time(o.get("CreatedDate"))) else None,
        ) for o in opportunities]

    def _query(self, soql: str) -> list[dict]:
        page = self._call("GET", f"{self._data}/query", params={"q": soql})
        rows = list(page.get("records", []))
        while not page.get("done", True) and page.get("nextRecordsUrl"):
            page = self._call("GET", page["nextRecordsUrl"])
            rows += page.get("records", [])
        return [{k: v for k, v in row.items() if k != "attributes"} for row in rows]

    def check(self) -> CheckResult:
        """Gets a token and reads one Lead with our external id field (proves it exists)."""
        try:
            self._query(f"SELECT Id, {self.setting('external_id_field')} FROM Lead LIMIT 1")
        except SyncError as exc:
            return CheckResult(False, str(exc))
        return CheckResult(True, f"Salesforce accepted the credentials; Lead.{self.setting('external_id_field')} "
                                 "is readable")

    # ------------------------------------------------------------------ HTTP

    def _authenticate(self) -> None:
        response = self.http.send("POST", "/services/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": self.setting("client_id"),
            "client_secret": self.secrets.get("client_secret", "")})
        if not response.ok:
            # The body names the problem (invalid_client...) and never holds the secret.
            raise PauseConnector(f"Salesforce refused the client credentials: HTTP {response.status_code} "
                                 f"{short_text(response)}", AUTH_PAUSE)
        body = response.json()
        self._token, self._instance_url = body["access_token"], body["instance_url"].rstrip("/")
        # Salesforce may not say when a token expires; when it does, renew a minute early.
        self._token_expires = time.monotonic() + float(body.get("expires_in", 7200)) - 60

    def _call(self, method: str, path: str, **kwargs):
        """One data call with a valid token: JSON back, or PauseConnector / BatchRejected / TransientError."""
        for attempt in (1, 2):
            if self._token is None or time.monotonic() > self._token_expires:
                self._authenticate()
            url = path if path.startswith("http") else f"{self._instance_url}{path}"
            response = self.http.send(method, url, headers={"Authorization": f"Bearer {self._token}"}, **kwargs)
            if response.ok:
                return response.json()
            codes = _error_codes(response)
            if response.status_code == 401 and attempt == 1:
                self._token = None  # INVALID_SESSION_ID: one new token, then give up
                continue
            message = f"{method} {path.split('?')[0]}: HTTP {response.status_code} {short_text(response)}"
            if response.status_code == 401:
                raise PauseConnector(f"Salesforce refused a fresh token ({message})", AUTH_PAUSE)
            if "REQUEST_LIMIT_EXCEEDED" in codes:
                raise PauseConnector(f"Salesforce API limit reached ({message})", float(self.setting("limit_pause")))
            if codes & SETUP_CODES:
                raise PauseConnector(f"Salesforce is not set up for leadcapture ({message}); see the README",
                                     AUTH_PAUSE)
            raise BatchRejected(message)
        raise AssertionError("unreachable")


def _error_codes(response) -> set[str]:
    try:
        body = response.json()
    except ValueError:
        return set()
    if isinstance(body, list):
        return {str(e.get("errorCode")) for e in body if isinstance(e, dict)}
    return set()


def _error_text(error: dict) -> str:
    fields = f" [{', '.join(error['fields'])}]" if error.get("fields") else ""
    return f"{error.get('statusCode', 'ERROR')}: {error.get('message', '')}{fields}"


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    # Salesforce writes 2026-03-14T09:00:00.000+0000
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
