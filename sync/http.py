"""HTTP for connectors: every call with a timeout, transient failures turned into TransientError,
and a client-side rate limiter so we stay under a CRM's published limits instead of bouncing off 429s.

Nothing here logs request headers or bodies: they carry tokens and personal data.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests

from .base import TransientError

RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}


class RateLimiter:
    """At most `calls` per `period` seconds over any sliding window, shared by the threads of a process.

    A sliding window (not a token bucket) because that is how CRMs count: a burst
    followed by a steady rate would still put more than `calls` in some window.
    """

    def __init__(self, calls: int, period: float):
        self.calls, self.period = calls, period
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def wait(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                while self._sent and now - self._sent[0] >= self.period:
                    self._sent.popleft()
                if len(self._sent) < self.calls:
                    self._sent.append(now)
                    return
                delay = self.period - (now - self._sent[0])
            time.sleep(max(delay, 0.001))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class HttpClient:
    """A requests.Session with a base URL, a default timeout and an optional rate limiter.

    `send` returns the response for the connector to read, except for what no
    connector can act on itself: connection errors, timeouts, 429 and 5xx raise
    TransientError (with the server's Retry-After when there is one).
    """

    def __init__(self, base_url: str, timeout: float, limiter: RateLimiter | None = None,
                 headers: dict | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.limiter = limiter
        self.session = requests.Session()
        self.session.headers.update(headers or {})

    def send(self, method: str, path: str, *, limiter: RateLimiter | None = None, retry_statuses=RETRYABLE_STATUS,
             **kwargs) -> requests.Response:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        shown = urlsplit(url).path or "/"  # never the query string: a webhook URL may carry a token there
        for gate in (self.limiter, limiter):
            if gate is not None:
                gate.wait()
        try:
            response = self.session.request(method, url, timeout=kwargs.pop("timeout", self.timeout), **kwargs)
        except requests.Timeout:
            raise TransientError(f"{method} {shown}: no answer within {self.timeout:g} s") from None
        except requests.ConnectionError as exc:
            raise TransientError(f"{method} {shown}: cannot connect ({type(exc).__name__})") from None
        if response.status_code in retry_statuses:
            raise TransientError(f"{method} {shown}: HTTP {response.status_code} {short_text(response)}",
                                 parse_retry_after(response.headers.get("Retry-After")))
        return response

    def close(self) -> None:
        self.session.close()


def short_text(response: requests.Response, limit: int = 300) -> str:
    """The start of an error body, for messages a person reads."""
    text = (response.text or "").strip().replace("\n", " ")
    return text[:limit] + ("…" if len(text) > limit else "")
