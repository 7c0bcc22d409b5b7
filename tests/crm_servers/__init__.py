"""Strict stand-ins for the CRMs' APIs, served over real HTTP on 127.0.0.1 (werkzeug, one thread each).

They follow ../shared/CRM_CONTRACTS.md: same paths, bodies, limits and error
shapes, and they refuse what the real API refuses. They keep state, so an
upsert of a known key updates, and they misbehave on demand through `Faults`:
a seeded, hence repeatable, share of 429s, 500s, timeouts (the answer comes
too late, after the change was applied, as a slow real server does) and
connection resets (no answer at all).
"""
from __future__ import annotations

import json
import logging
import random
import re
import socket
import struct
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a request log line per call would drown test output


class Faults:
    """Which requests misbehave: each kind happens for a `rates[kind]` share of requests, drawn from a
    seeded generator. `paths` (a regex) limits faults to matching paths."""

    KINDS = ("429", "500", "timeout", "reset")

    def __init__(self, seed: int = 0, paths: str | None = None, retry_after: str | None = None,
                 timeout_sleep: float = 0.6, **rates: float):
        unknown = set(rates) - {f"rate_{k}" for k in self.KINDS}
        assert not unknown, f"unknown fault kinds {unknown}"
        self.rates = {k: rates.get(f"rate_{k}", 0.0) for k in self.KINDS}
        self.paths = re.compile(paths) if paths else None
        self.retry_after = retry_after
        self.timeout_sleep = timeout_sleep
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.injected: Counter = Counter()

    def draw(self, path: str) -> str | None:
        if self.paths is not None and not self.paths.search(path):
            return None
        with self._lock:
            roll = self._rng.random()
            for kind in self.KINDS:
                if roll < self.rates[kind]:
                    self.injected[kind] += 1
                    return kind
                roll -= self.rates[kind]
        return None


class SlidingWindow:
    """The CRM's own rate limit: at most `calls` accepted requests in any `period` seconds."""

    def __init__(self, calls: int, period: float):
        self.calls, self.period = calls, period
        self._times: list[float] = []
        self._lock = threading.Lock()
        self.refused = 0

    def admit(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._times = [t for t in self._times if now - t < self.period]
            if len(self._times) >= self.calls:
                self.refused += 1
                return False
            self._times.append(now)
            return True


class Reset(Exception):
    """Raised by a handler to drop the connection without an answer."""


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")


class CrmServer:
    """A routed WSGI app on a loopback port. Subclasses add routes with `route(method, pattern, handler)`."""

    def __init__(self, port: int = 0):
        self.port = port
        self.faults = Faults()
        self.latency = 0.0  # seconds every answer takes, to make concurrent clients overlap
        self.lock = threading.RLock()  # guards the CRM's state
        self.calls: Counter = Counter()  # route name -> requests received
        self._routes: list[tuple[str, re.Pattern, str, Callable]] = []
        self._server = None
        self._thread = None

    def route(self, method: str, pattern: str, name: str, handler: Callable) -> None:
        self._routes.append((method, re.compile(f"^{pattern}$"), name, handler))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "CrmServer":
        self._server = make_server("127.0.0.1", self.port, self, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    def __call__(self, environ, start_response):
        request = Request(environ)
        # Read the whole body even when answering early (429, 500...): left unread on a kept-alive
        # connection, it would be parsed as the next request and answered with a stray 400.
        request.get_data()
        try:
            response = self._dispatch(request)
        except Reset:
            _reset(environ)
            raise ConnectionResetError("fault injected: connection reset") from None
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        for method, pattern, name, handler in self._routes:
            match = pattern.match(request.path)
            if match and request.method == method:
                break
        else:
            return self.not_found(request)
        self.calls[name] += 1
        if self.latency:
            time.sleep(self.latency)
        fault = self.faults.draw(request.path)
        if fault == "429":
            headers = {"Retry-After": self.faults.retry_after} if self.faults.retry_after else {}
            return self.too_many(headers)
        if fault == "500":
            return self.server_error()
        if fault == "reset":
            raise Reset()
        if fault == "timeout":
            time.sleep(self.faults.timeout_sleep)  # the client gives up; the change below still happens
        refusal = self.before(request, name)
        if refusal is not None:
            return refusal
        return handler(request, **match.groupdict())

    # Hooks for subclasses: the CRM's own error shapes.
    def before(self, request: Request, route: str) -> Response | None:
        return None

    def not_found(self, request: Request) -> Response:
        return json_response({"message": f"no route {request.method} {request.path}"}, 404)

    def too_many(self, headers: dict) -> Response:
        return json_response({"message": "rate limited"}, 429, headers)

    def server_error(self) -> Response:
        return json_response({"message": "internal error"}, 500)


def _reset(environ) -> None:
    """Drop the connection without an answer (and close it with RST): the client sees it reset.

    Shut down at once, so that the unread body is not taken for a next request on the same connection.
    """
    sock: socket.socket = environ["werkzeug.socket"]
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.shutdown(socket.SHUT_RDWR)


def read_json(request: Request):
    """The JSON body, or None when it is not JSON (the caller answers 400)."""
    try:
        return json.loads(request.get_data(as_text=True))
    except ValueError:
        return None


def new_id() -> str:
    return str(uuid.uuid4())
