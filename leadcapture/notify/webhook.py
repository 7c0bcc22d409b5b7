"""A signed, Slack-compatible JSON POST to LEADCAPTURE_WEBHOOK_URL.

The body is what a Slack incoming webhook accepts ({"text", "blocks"}) plus a
"lead" object for other receivers. With LEADCAPTURE_WEBHOOK_SECRET set, each
request carries `X-Leadcapture-Timestamp` and `X-Leadcapture-Signature:
sha256=HMAC(secret, "<timestamp>.<body>")`, so a receiver can check who sent
it and refuse replays.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass

import requests

from .smtp import DeliveryError

TIMEOUT = 30  # seconds


@dataclass(frozen=True)
class WebhookSettings:
    url: str
    secret: str | None = None

    @classmethod
    def from_env(cls, env=os.environ) -> "WebhookSettings | None":
        url = env.get("LEADCAPTURE_WEBHOOK_URL")
        return cls(url, env.get("LEADCAPTURE_WEBHOOK_SECRET") or None) if url else None


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def post(settings: WebhookSettings, payload: dict, delivery_id: str) -> None:
    """POST `payload`. Raises DeliveryError, permanent for a 4xx other than 408 and 429."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json; charset=utf-8", "X-Leadcapture-Delivery": delivery_id,
               "X-Leadcapture-Timestamp": timestamp}
    if settings.secret:
        headers["X-Leadcapture-Signature"] = signature(settings.secret, timestamp, body)
    try:
        response = requests.post(settings.url, data=body, headers=headers, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise DeliveryError(f"webhook unreachable: {exc}") from exc
    if response.status_code >= 300:
        permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
        raise DeliveryError(f"webhook answered {response.status_code}: {response.text[:200]}", permanent)
