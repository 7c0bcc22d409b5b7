"""The outgoing webhook (signed, stable delivery ids, 4xx dead) and the CSV/XLSX file drop."""
from __future__ import annotations

import csv
import hmac
import io
import json

import pytest
from openpyxl import load_workbook
from werkzeug.wrappers import Request

from crm_servers import CrmServer, json_response
from sync.configs import build
from sync.webhook import sign
from sync_support import connector, drain, ingest_all, rows, scans

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
SECRET = "whsec-test"


class Receiver(CrmServer):
    """A customer's endpoint: checks the signature, answers with the statuses it is given in turn."""

    def __init__(self):
        super().__init__()
        self.deliveries: list[dict] = []
        self.answers: list[int] = []
        self.route("POST", "/hook", "hook", self.hook)

    def hook(self, request: Request):
        body = request.get_data()
        expected = sign(SECRET, request.headers["X-LeadCapture-Timestamp"], body)
        if not hmac.compare_digest(expected, request.headers.get("X-LeadCapture-Signature", "")):
            return json_response({"error": "bad signature"}, 401)
        status = self.answers.pop(0) if self.answers else 200
        self.deliveries.append({"id": request.headers["X-LeadCapture-Delivery"], "status": status,
                                "body": json.loads(body)})
        return json_response({"error": "no"} if status >= 400 else {"ok": True}, status)


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@SQLITE_ONLY
def test_webhook_posts_signed_leads_and_keeps_the_delivery_id_across_retries(app, session, make_event, receiver):
    receiver.answers = [500, 429, 200, 200]
    event = make_event(utm_campaign="salon-2026")
    connector(session, "webhook", event, base_url=f"{receiver.url}/hook", secret=SECRET, timeout=0.5)
    ingest_all(session, event, scans(2))
    drain(app, session)
    first, second = rows(session)
    by_id: dict[str, list[int]] = {}
    for d in receiver.deliveries:
        by_id.setdefault(d["id"], []).append(d["status"])
    assert set(by_id) == {f"lc-{first.id}-1", f"lc-{second.id}-1"}  # one id per lead, however many tries
    assert all(statuses[-1] == 200 for statuses in by_id.values()) and len(receiver.deliveries) == 4
    body = receiver.deliveries[-1]["body"]
    assert body["type"] == "lead.upserted" and body["delivery_id"] == f"lc-{second.id}-1"
    lead = body["data"]
    assert lead["email"] == "visitor1@example.com" and lead["attribution"]["utm"]["campaign"] == "salon-2026"
    assert lead["attribution"]["captured_at"] == "2026-03-14T09:00:01Z"
    assert lead["attribution"]["consent"] == {"granted": True, "version": "2026-01", "at": "2026-03-14T09:00:01Z"}


@SQLITE_ONLY
def test_webhook_4xx_is_a_dead_letter_and_check_sends_a_ping(app, session, make_event, receiver):
    receiver.answers = [422]
    event = make_event()
    row = connector(session, "webhook", event, base_url=f"{receiver.url}/hook", secret=SECRET, timeout=0.5)
    ingest_all(session, event, scans(1))
    drain(app, session)
    [dead] = rows(session, "dead")
    assert dead.last_error == 'the receiver answered HTTP 422 {"error": "no"}'
    assert build(row).check().ok and receiver.deliveries[-1]["body"]["type"] == "ping"
    wrong = connector(session, "webhook", None, base_url=f"{receiver.url}/hook", secret="other")
    assert not build(wrong).check().ok


@SQLITE_ONLY
def test_file_drop_writes_one_complete_csv_per_batch_in_hubspots_import_layout(app, session, make_event, tmp_path):
    event = make_event(campaign_name="Salon 2026")
    connector(session, "filedrop", event, folder=str(tmp_path / "drop"))
    ingest_all(session, event, scans(3))
    drain(app, session)
    [written] = list((tmp_path / "drop").iterdir())  # nothing half-written (.part) is left behind
    assert written.name.startswith("leads-hubspot-") and written.suffix == ".csv"
    table = list(csv.DictReader(io.StringIO(written.read_text("utf-8-sig"))))
    assert [r["Email"] for r in table] == [f"visitor{n}@example.com" for n in range(3)]
    assert (table[0]["First Name"], table[0]["Company Name"], table[0]["lc_campaign"], table[0]["lc_source"]) == (
        "Visitor0", "Acme", "Salon 2026", "Trade show")
    assert table[0]["lc_captured_at"] == "2026-03-14T09:00:00Z" and "Kiosk" in table[0]["Notes"]
    assert {r.remote_id for r in rows(session)} == {written.name}


@SQLITE_ONLY
def test_file_drop_writes_xlsx_in_salesforces_layout(app, session, make_event, tmp_path):
    event = make_event()
    connector(session, "filedrop", event, folder=str(tmp_path), layout="salesforce", format="xlsx")
    ingest_all(session, event, scans(2))
    drain(app, session)
    [written] = list(tmp_path.glob("*.xlsx"))
    sheet = load_workbook(written).active
    header = [c.value for c in sheet[1]]
    values = dict(zip(header, [c.value for c in sheet[2]]))
    assert {"LeadCapture_Id__c", "Last Name", "Company", "Lead Source", "LeadCapture_Event__c"} <= set(header)
    assert (values["Last Name"], values["Lead Source"], values["Rating"]) == ("Test", "Trade Show", "Hot")
    assert sheet.max_row == 3
