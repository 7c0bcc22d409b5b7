"""Outgoing webhook: each lead as a signed JSON POST to a URL the customer runs.

Headers: `X-LeadCapture-Delivery` (the same on every retry of one version of
a lead, so the receiver can drop repeats), `X-LeadCapture-Timestamp` (Unix
seconds) and `X-LeadCapture-Signature: sha256=<hex>`, the HMAC-SHA256 with the
shared secret of `<timestamp>.<body bytes>`. The receiver recomputes it and
refuses old timestamps, which stops replays.

2xx is delivered; 429, 5xx and timeouts are retried; any other 4xx is a dead
letter with the receiver's answer. One lead per POST keeps the delivery id
meaningful: a batch would be regrouped on retry and change id.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime

from .base import CheckResult, Connector, Field, Outcome, PushResult, SyncError
from .http import HttpClient, short_text
from .records import LeadRecord


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookConnector(Connector):
    kind = "webhook"
    label = "Webhook"
    max_batch = 1
    fields = (
        Field("base_url", "URL to POST to", kind="url", required=True),
        Field("secret", "Signing secret", required=True, secret=True),
        Field("timeout", "Seconds to wait for each call", kind="float", default=10.0),
    )

    def __init__(self, config: dict, secrets: dict, state: dict | None = None):
        super().__init__(config, secrets, state)
        self.http = HttpClient(self.setting("base_url"), float(self.setting("timeout")),
                               headers={"Content-Type": "application/json", "User-Agent": "leadcapture-webhook"})

    def push(self, batch: list[LeadRecord]) -> list[PushResult]:
        """POST each lead (the worker sends one at a time); raises TransientError when it should be retried."""
        return [self._deliver(record, "lead.upserted", record.as_dict()) for record in batch]

    def _deliver(self, record: LeadRecord | None, kind: str, payload: dict) -> PushResult:
        delivery = f"lc-{record.trace_id}" if record else f"lc-check-{int(time.time())}"
        body = json.dumps({"delivery_id": delivery, "type": kind, "data": payload},
                          ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        response = self.http.send("POST", "", data=body, headers={
            "X-LeadCapture-Delivery": delivery, "X-LeadCapture-Timestamp": timestamp,
            "X-LeadCapture-Signature": sign(self.secrets.get("secret", ""), timestamp, body)})
        if response.ok:
            return PushResult.done()
        return PushResult.dead(f"the receiver answered HTTP {response.status_code} {short_text(response)}")

    def pull_outcomes(self, since: datetime) -> list[Outcome]:
        """A webhook only sends: it has no deals to give back."""
        return []

    def check(self) -> CheckResult:
        """Sends a signed `ping` delivery; the receiver should answer 2xx."""
        try:
            result = self._deliver(None, "ping", {"message": "leadcapture connection test"})
        except SyncError as exc:
            return CheckResult(False, str(exc))
        if result.outcome != "done":
            return CheckResult(False, result.message)
        return CheckResult(True, "the receiver accepted a signed test delivery")
