"""Benchmark CRM sync against the strict HubSpot test server limited to 190 requests per 10 s.

    .venv/bin/python bench/crm_sync.py                # 10,000 leads, then 60 s of live scans
    .venv/bin/python bench/crm_sync.py --help         # counts, PostgreSQL, JSON output

(a) drain: 10,000 leads already in the outbox, one worker (as `leadcapture sync run`): how many
    upsert calls (goal <= 101), and the wall time against the rate-limit floor (goal <= 1.2 x).
    Two floors are shown: the sustained rate (requests x 10 s / 190) and the sliding window's
    (a whole window per 190 requests after the first 190: what no client can beat).
(b) latency: the app served by waitress on 127.0.0.1 with the worker thread `leadcapture serve`
    starts (default settings), scans POSTed at a steady rate; from the POST to the contact existing
    in the CRM: p50 (goal <= 3 s) and p95 (goal <= 10 s).

Fresh databases in a temporary directory (or PostgreSQL schemas dropped afterwards).
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import requests
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the strict test servers live with the tests

from crm_servers.hubspot import HubSpotServer  # noqa: E402
from leadcapture import create_app  # noqa: E402
from leadcapture.actors import Actor  # noqa: E402
from leadcapture.capture import Scan, ingest_many  # noqa: E402
from leadcapture.db import make_engine, make_session_factory  # noqa: E402
from leadcapture.demo import DEMO_SETTINGS  # noqa: E402
from leadcapture.event_settings import load_settings  # noqa: E402
from leadcapture.migrate import upgrade  # noqa: E402
from leadcapture.models import Event, OutboxRow, Role, User  # noqa: E402
from leadcapture.tokens import new_device  # noqa: E402
from sync.configs import add_connector  # noqa: E402
from sync.worker import Worker, WorkerSettings, start_thread  # noqa: E402

LIMIT, WINDOW = 190, 10.0
GOALS = {"upsert_calls": 101, "floor_ratio": 1.2, "p50_s": 3.0, "p95_s": 10.0}
TOKEN = "pat-bench"
START = datetime(2026, 3, 14, 9, 0, tzinfo=timezone.utc)


def scan(n: int, staff_id: int) -> Scan:
    return Scan(client_id=str(uuid.uuid4()), captured_at=START + timedelta(seconds=n), source="camera",
                contact={"first_name": f"Visitor{n}", "last_name": "Bench", "company": f"Company {n % 700}",
                         "email": f"visitor{n}@bench.example", "job_title": "Buyer"},
                staff_id=staff_id, answers={"interest": ["kiosk", "crm_sync"], "timeline": "lt3m"},
                notes="asked for a demo", rating="warm",
                consent={"granted": True, "purposes": ["marketing"], "language": "fr", "text_version": "2026-01"})


def setup(url: str, hubspot: HubSpotServer) -> tuple[int, int, str]:
    """Migrate, and make an event, a staff member, a device and a HubSpot connector (190 per 10 s)."""
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        event = Event(slug="bench-salon", name="Salon Bench", starts_on=date(2026, 3, 14), ends_on=date(2026, 3, 16),
                      timezone="Europe/Paris", campaign_name="Salon Bench 2026", utm_source="bench",
                      settings=load_settings(DEMO_SETTINGS))
        staff = User(email="alice@bench.test", name="Alice", role=Role.STAFF.value)
        staff.events = [event]
        session.add_all([event, staff])
        session.flush()
        _device, token = new_device(session, event, "Tablette bench")
        add_connector(session, "hubspot", "hubspot", event, {
            "token": TOKEN, "base_url": hubspot.url, "account_id": "4242", "requests_per_10s": LIMIT}, Actor.cli())
        session.commit()
        ids = (event.id, staff.id, token)
    engine.dispose()
    return ids


def floors(requests_made: int) -> tuple[float, float]:
    """(sustained-rate floor, sliding-window floor) in seconds for this many requests."""
    return requests_made * WINDOW / LIMIT, (math.ceil(requests_made / LIMIT) - 1) * WINDOW


def bench_drain(url: str, leads: int) -> dict:
    hubspot = HubSpotServer(token=TOKEN, requests_per_10s=LIMIT).start()
    try:
        event_id, staff_id, _token = setup(url, hubspot)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        with sessions() as session:
            event = session.get(Event, event_id)
            for start in range(0, leads, 500):
                ingest_many(session, event, [scan(n, staff_id) for n in range(start, min(start + 500, leads))],
                            Actor.cli())
                session.commit()
        worker = Worker(sessions, WorkerSettings())
        started = time.monotonic()
        while True:
            worker.run_once()
            with sessions() as session:
                left = session.scalar(select(func.count()).where(OutboxRow.status == "pending"))
            if not left:
                break
            time.sleep(0.05)
        wall = time.monotonic() - started
        with sessions() as session:
            done = session.scalar(select(func.count()).where(OutboxRow.status == "done"))
        engine.dispose()
    finally:
        hubspot.stop()
    made = sum(hubspot.calls.values())
    sustained, window = floors(made)
    return {"leads": leads, "done": done, "contacts": len(hubspot.contacts), "upsert_calls": hubspot.calls["upsert"],
            "requests": made, "calls": dict(hubspot.calls), "refused_429": hubspot.limit.refused,
            "wall_s": wall, "floor_sustained_s": sustained, "floor_window_s": window,
            "ratio_sustained": wall / sustained, "ratio_window": wall / window if window else None}


def bench_latency(url: str, seconds: float, rate: float) -> dict:
    """Scans POSTed at `rate` per second for `seconds`, the worker thread running as under `serve`."""
    import waitress

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    hubspot = HubSpotServer(token=TOKEN, requests_per_10s=LIMIT).start()
    _event_id, _staff_id, device_token = setup(url, hubspot)
    app = create_app({"DATABASE_URL": url})
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    worker = start_thread(app.extensions["leadcapture.sessions"], WorkerSettings())  # the defaults of `serve`
    base = f"http://127.0.0.1:{server.effective_port}/api/v1/events/bench-salon/scans"
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {device_token}"
    posted: dict[str, float] = {}
    try:
        count = int(seconds * rate)
        t0 = time.monotonic()
        for n in range(count):
            time.sleep(max(0.0, t0 + n / rate - time.monotonic()))
            email = f"live{n}@bench.example"
            posted[email] = time.time()
            body = {"client_id": str(uuid.uuid4()), "captured_at": datetime.now(timezone.utc).isoformat(),
                    "contact": {"first_name": f"Live{n}", "last_name": "Bench", "email": email},
                    "answers": {"timeline": "lt3m"}}
            answer = http.post(base, json=body, timeout=10)
            assert answer.status_code == 201, answer.text
        deadline = time.monotonic() + 60
        while len(hubspot.seen) < count and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        worker.shutdown()
        server.close()
        app.extensions["leadcapture.engine"].dispose()
        hubspot.stop()
    latencies = sorted(hubspot.seen[e] - t for e, t in posted.items() if e in hubspot.seen)
    pct = lambda p: latencies[max(0, math.ceil(p * len(latencies)) - 1)]  # noqa: E731
    return {"scans": len(posted), "arrived": len(latencies), "rate_per_s": rate, "p50_s": pct(0.5),
            "p95_s": pct(0.95), "max_s": latencies[-1], "poll_s": WorkerSettings().poll_seconds}


class Databases:
    """A SQLite file in a temporary directory, or a PostgreSQL schema dropped at the end."""

    def __init__(self, tmp: Path, postgres: str | None):
        self.tmp, self.schemas = tmp, []
        self.admin = None
        if postgres:
            pg = make_url(postgres)
            self.pg = pg.set(drivername="postgresql+psycopg") if pg.drivername == "postgresql" else pg
            self.admin = create_engine(self.pg)

    def new(self, backend: str, name: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{self.tmp / f'{name}.sqlite3'}"
        schema = f"lc_bench_sync_{os.getpid()}_{name}"
        with self.admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        self.schemas.append(schema)
        return self.pg.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)

    def close(self) -> None:
        if self.admin is not None:
            with self.admin.begin() as conn:
                for schema in self.schemas:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            self.admin.dispose()


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(backend: str, drain: dict, latency: dict) -> None:
    print(f"\n{backend}: {drain['leads']:,} leads to HubSpot (test server, {LIMIT} requests per {WINDOW:g} s)")
    print(f"  upsert calls        {drain['upsert_calls']:>8}   goal <= {GOALS['upsert_calls']}   "
          f"{verdict(drain['upsert_calls'] <= GOALS['upsert_calls'])}")
    print(f"  all requests        {drain['requests']:>8}   {drain['calls']}; 429 answers: {drain['refused_429']}")
    print(f"  contacts / done     {drain['contacts']:>8} / {drain['done']}")
    print(f"  wall time           {drain['wall_s']:>8.1f} s")
    print(f"  floor, sustained    {drain['floor_sustained_s']:>8.1f} s   ratio {drain['ratio_sustained']:.2f}   "
          f"goal <= {GOALS['floor_ratio']}   {verdict(drain['ratio_sustained'] <= GOALS['floor_ratio'])}")
    if drain["ratio_window"] is not None:
        print(f"  floor, window       {drain['floor_window_s']:>8.1f} s   ratio {drain['ratio_window']:.2f}   "
              f"goal <= {GOALS['floor_ratio']}   {verdict(drain['ratio_window'] <= GOALS['floor_ratio'])}")
    print(f"  scan-to-CRM latency ({latency['scans']} scans at {latency['rate_per_s']:g}/s, worker poll "
          f"{latency['poll_s']:g} s, {latency['arrived']} arrived)")
    print(f"    p50               {latency['p50_s']:>8.2f} s   goal <= {GOALS['p50_s']}   "
          f"{verdict(latency['p50_s'] <= GOALS['p50_s'])}")
    print(f"    p95               {latency['p95_s']:>8.2f} s   goal <= {GOALS['p95_s']}   "
          f"{verdict(latency['p95_s'] <= GOALS['p95_s'])}")
    print(f"    max               {latency['max_s']:>8.2f} s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--live-seconds", type=float, default=60.0, help="how long scans are posted for (b)")
    parser.add_argument("--rate", type=float, default=2.0, help="scans per second for (b)")
    parser.add_argument("--postgres", help="also run on this PostgreSQL URL (in a throwaway schema)")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("LEADCAPTURE_INSTANCE_PATH", tmp)  # the Fernet key of this run
        dbs = Databases(Path(tmp), args.postgres)
        try:
            for backend in ["sqlite"] + (["postgresql"] if args.postgres else []):
                drain = bench_drain(dbs.new(backend, "drain"), args.leads)
                latency = bench_latency(dbs.new(backend, "live"), args.live_seconds, args.rate)
                report(backend, drain, latency)
                results[backend] = {"drain": drain, "latency": latency}
        finally:
            dbs.close()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
