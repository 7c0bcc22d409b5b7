"""Benchmark the scan write path against same-run baselines; prints a plain-text table.

    .venv/bin/python bench/capture.py            # or: make bench
    .venv/bin/python bench/capture.py --help     # counts, clients, PostgreSQL, JSON output

(a) single-scan POST /api/v1/events/<slug>/scans through waitress on 127.0.0.1,
    N concurrent keep-alive clients; baseline: a trivial route on the same app
    and server, hit by the same client code.
(b) capture.ingest_many in batches (one session and one commit per batch);
    baseline: raw DB-API executemany of the equivalent lead, interaction,
    consent and audit rows, one transaction per batch.

Every database is fresh and migrated with leadcapture.migrate.upgrade.
Nothing outside a temporary directory is written (unless --json is given).
"""
from __future__ import annotations

import argparse
import gc
import json
import logging
import math
import multiprocessing
import os
import platform
import random
import sqlite3
import sys
import tempfile
import threading
import time
import unicodedata
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import requests
import sqlalchemy
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from leadcapture import create_app
from leadcapture.actors import Actor
from leadcapture.badges.contact import name_key
from leadcapture.capture import Scan, ScanRejected, ingest_many
from leadcapture.db import make_engine, make_session_factory
from leadcapture.demo import CITIES, COMPANIES, DEMO_SETTINGS, FIRST, LAST, TITLES
from leadcapture.event_settings import load_settings
from leadcapture.migrate import upgrade
from leadcapture.models import Attendee, Device, Event, Interaction, Lead, Role, User
from leadcapture.tokens import new_device

SLUG = "bench-salon"
# More names and companies than the demo's, so that two different visitors rarely share
# first name + last name + company (the name dedup key), as in a real show of 20,000 visitors.
MORE_FIRST = ["Nathalie", "Pierre", "Julie", "Antoine", "Claire", "Nicolas", "Aurélie", "Maxime", "Sarah", "Julien",
              "Anaïs", "Romain", "Laura", "Kevin", "Elise", "Mehdi", "Fatima", "Yann", "Agnès", "Bastien", "Hélène",
              "Quentin", "Marion", "Arnaud", "Céline", "Olivier", "Sandrine", "Rémi", "Anna", "Lukas"]
MORE_LAST = ["Petit", "Durand", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Mercier", "Dupont",
             "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Gauthier", "Perrin", "Robin", "Clément",
             "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand", "Duval", "Denis",
             "Lemaire", "Schmidt", "O'Brien", "Nguyen", "Benali", "Da Silva", "Kowalski", "Rossi", "Janssens"]
COMPANY_WORDS = (["Alpha", "Nova", "Atlas", "Boréal", "Cobalt", "Delta", "Ecla", "Futura", "Granit", "Horizon",
                  "Iris", "Jade", "Kappa", "Lumen", "Mistral", "Nexus", "Orion", "Prisme", "Quartz", "Rivage"],
                 ["Industrie", "Logistique", "Conseil", "Santé", "Énergie", "Bâtiment", "Systèmes", "Distribution",
                  "Finance", "Médias", "Agro", "Mobilité", "Services", "Technologies", "Immobilier"])
PARIS = timezone(timedelta(hours=1))  # the event's offset in March
GOALS = {"scan_ratio": 0.5, "scan_p99_ms": 25.0, "ingest_rate": 5000.0, "ingest_ratio": 0.3}


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Person:
    n: int
    first: str
    last: str
    company: str
    title: str
    email: str
    phone: str
    city: str
    registration_id: str

    def vcard(self) -> str:
        return "\r\n".join([
            "BEGIN:VCARD", "VERSION:3.0",
            f"N:{self.last};{self.first};;;", f"FN:{self.first} {self.last}",
            f"ORG:{self.company}", f"TITLE:{self.title}",
            f"EMAIL;TYPE=INTERNET,WORK:{self.email}", f"TEL;TYPE=WORK,VOICE:{self.phone}",
            f"ADR;TYPE=WORK:;;{10 + self.n % 90} rue de la Paix;{self.city};;750{self.n % 20:02d};",
            f"X-REGISTRATION-ID:{self.registration_id}", "END:VCARD", "",
        ])


@dataclass(frozen=True)
class ScanSpec:
    """One scan as a device would send it; rendered as a JSON body or a capture.Scan."""

    client_id: str
    person: Person
    captured_at: datetime  # aware, the event's local offset
    answers: dict
    consent: dict

    def body(self, staff_id: int) -> dict:
        return {"client_id": self.client_id, "payload": self.person.vcard(),
                "captured_at": self.captured_at.isoformat(), "source": "camera", "staff": staff_id,
                "answers": self.answers, "consent": self.consent}

    def scan(self, staff_id: int) -> Scan:
        return Scan(client_id=self.client_id, captured_at=self.captured_at, source="camera",
                    payload=self.person.vcard(), staff_id=staff_id, answers=dict(self.answers),
                    consent=dict(self.consent))


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().replace(" ", "").lower()


def make_person(rng: random.Random, n: int) -> Person:
    first, last = rng.choice(FIRST + MORE_FIRST), rng.choice(LAST + MORE_LAST)
    company = rng.choice(COMPANIES) if rng.random() < 0.2 else " ".join(rng.choice(w) for w in COMPANY_WORDS)
    domain = "".join(c for c in _ascii(company) if c.isalnum())[:20] + ".example"
    return Person(n=n, first=first, last=last, company=company, title=rng.choice(TITLES),
                  email=f"{_ascii(first)}.{_ascii(last)}.{n}@{domain}",
                  phone=f"+33 1 {rng.randrange(10, 100)} {rng.randrange(10, 100)} {n % 100:02d} {n // 100 % 100:02d}",
                  city=rng.choice(CITIES)[0], registration_id=f"BX{n:07d}")


def make_scans(count: int, repeat_fraction: float, seed: int, start_n: int = 0) -> list[ScanSpec]:
    """`count` scans; about `repeat_fraction` of them meet a person already scanned earlier."""
    rng = random.Random(seed)
    people: list[Person] = []
    specs = []
    at = datetime(2026, 3, 14, 9, 0, tzinfo=PARIS)
    for _ in range(count):
        if people and rng.random() < repeat_fraction:
            person = rng.choice(people)
        else:
            person = make_person(rng, start_n + len(people) + 1)
            people.append(person)
        at += timedelta(seconds=rng.randint(1, 20))
        answers = {"interest": rng.sample(["kiosk", "crm_sync", "analytics"], rng.randint(1, 2)),
                   "timeline": rng.choice(["lt3m", "3to12m", "later"]),
                   "budget": rng.choice(["yes", "no", "unknown"])}
        consent = {"granted": rng.random() < 0.9, "purposes": ["marketing", "sales_contact"],
                   "language": rng.choice(["fr", "en"]), "text_version": "2026-01"}
        specs.append(ScanSpec(str(uuid.UUID(int=rng.getrandbits(128), version=4)), person, at, answers, consent))
    return specs


# --------------------------------------------------------------------------- databases


@dataclass
class Fixture:
    url: str
    event_id: int
    device_id: int
    device_token: str
    staff_id: int


def setup_database(url: str, roster: list[Person] = ()) -> Fixture:
    """Migrate `url`; create the event (demo questions and consent), a device, a staff user, a roster."""
    upgrade(url)
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            event = Event(slug=SLUG, name="Salon Bench", starts_on=date(2026, 3, 14), ends_on=date(2026, 3, 16),
                          timezone="Europe/Paris", country="FR", currency="EUR",
                          settings=load_settings(DEMO_SETTINGS))
            session.add(event)
            session.flush()
            staff = User(email="alice@bench.test", name="Alice Bench", role=Role.STAFF.value)
            staff.events = [event]
            session.add(staff)
            device, token = new_device(session, event, "Tablette bench")
            if roster:
                session.execute(insert(Attendee), [
                    {"event_id": event.id, "registration_id": p.registration_id, "email": p.email.lower(),
                     "first_name": p.first, "last_name": p.last, "company": p.company, "job_title": p.title,
                     "city": p.city, "country": "FR"} for p in roster])
            session.commit()
            return Fixture(url, event.id, device.id, token, staff.id)
    finally:
        engine.dispose()


def make_roster(specs: list[ScanSpec], size: int, seed: int) -> list[Person]:
    """The organiser's attendee list: the first `size` people scanned, then people never scanned."""
    people = list(dict.fromkeys(s.person for s in specs))[:size]
    rng = random.Random(seed + 1000)
    start = max((p.n for p in people), default=0) + 10 ** 6
    return people + [make_person(rng, start + i) for i in range(size - len(people))]


class Databases:
    """Fresh databases: SQLite files in a temp dir; PostgreSQL schemas dropped at close()."""

    def __init__(self, tmp: Path, postgres: str | None):
        self.tmp, self.postgres, self.schemas = tmp, postgres, []
        self._admin = None
        if postgres:
            url = make_url(postgres)
            if url.drivername == "postgresql":
                url = url.set(drivername="postgresql+psycopg")
            self._pg_url = url
            self._admin = create_engine(url)

    def new(self, backend: str, name: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{self.tmp / f'{name}.sqlite3'}"
        schema = f"lc_bench_{os.getpid()}_{name}_{uuid.uuid4().hex[:6]}"
        with self._admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        self.schemas.append(schema)
        return self._pg_url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)

    def close(self) -> None:
        if self._admin is None:
            return
        with self._admin.begin() as conn:
            for schema in self.schemas:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        self._admin.dispose()


# --------------------------------------------------------------------------- (a) HTTP


def quiet_waitress() -> None:
    """waitress logs "Task queue depth is N" whenever a request waits for a free worker thread."""
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)


def add_ping_route(app) -> None:
    """The baseline: a trivial route on the same app object (bench only, not in the app code)."""
    def bench_ping():
        return {"ok": True}

    app.add_url_rule("/bench/ping", "bench_ping", bench_ping, methods=["GET", "POST"])
    if "csrf" in app.extensions:  # flask-wtf guards the web forms; like the API, this route has no cookies
        app.extensions["csrf"].exempt(bench_ping)


def _serve(url: str, threads: int, conn) -> None:
    """Child process: build the app, add the ping route, serve until told to stop."""
    import waitress

    quiet_waitress()
    app = create_app({"DATABASE_URL": url})
    add_ping_route(app)
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=threads)
    runner = threading.Thread(target=server.run, daemon=True)
    runner.start()
    conn.send(server.effective_port)
    while conn.recv() == "cpu":  # anything else: stop
        conn.send(time.process_time())
    server.close()
    app.extensions["leadcapture.engine"].dispose()
    conn.send("stopped")


class Server:
    """waitress serving create_app(...) on 127.0.0.1, in a child process (default) or a thread."""

    def __init__(self, url: str, threads: int, mode: str):
        self.mode = mode
        if mode == "process":
            ctx = multiprocessing.get_context("spawn")
            self._conn, child = ctx.Pipe()
            self._proc = ctx.Process(target=_serve, args=(url, threads, child), daemon=True)
            self._proc.start()
            if not self._conn.poll(60):
                raise RuntimeError("the server process did not start")
            port = self._conn.recv()
        else:
            import waitress

            quiet_waitress()
            self._app = create_app({"DATABASE_URL": url})
            add_ping_route(self._app)
            self._server = waitress.create_server(self._app, host="127.0.0.1", port=0, threads=threads)
            threading.Thread(target=self._server.run, daemon=True).start()
            port = self._server.effective_port
        self.base = f"http://127.0.0.1:{port}"

    def cpu_seconds(self) -> float | None:
        """CPU time used by the server process so far (None when it shares this process)."""
        if self.mode != "process":
            return None
        self._conn.send("cpu")
        return self._conn.recv()

    def close(self) -> None:
        if self.mode == "process":
            self._conn.send("stop")
            if self._conn.poll(30):
                self._conn.recv()
            self._proc.join(30)
        else:
            self._server.close()
            self._app.extensions["leadcapture.engine"].dispose()


@dataclass
class LoadResult:
    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int] = field(default_factory=dict)
    first_error: str | None = None
    server_cpu_ms: float | None = None  # server process CPU per request

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def run_load(url: str, bodies: list[dict], headers: dict, clients: int, expect: int) -> LoadResult:
    """POST every body once, spread over `clients` threads, each with its own keep-alive Session."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    shares = [bodies[i::clients] for i in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    statuses: dict[int, int] = {}
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client(k: int) -> None:
        with requests.Session() as http:
            http.headers.update(headers)
            http.get(origin + "/bench/ping")  # open the keep-alive connection before the clock starts
            start.wait()
            out = latencies[k]
            for body in shares[k]:
                t0 = time.perf_counter()
                response = http.post(url, json=body)
                out.append((time.perf_counter() - t0) * 1000)
                with lock:
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                    if response.status_code != expect and not errors:
                        errors.append(f"{response.status_code}: {response.text[:300]}")

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    return LoadResult(len(bodies), seconds, [x for xs in latencies for x in xs], statuses,
                      errors[0] if errors else None)


def measured(server: Server, url: str, bodies: list[dict], headers: dict, clients: int, expect: int) -> LoadResult:
    cpu0 = server.cpu_seconds()
    result = run_load(url, bodies, headers, clients, expect)
    if cpu0 is not None:
        result.server_cpu_ms = (server.cpu_seconds() - cpu0) * 1000 / result.requests
    return result


def bench_http(fixture: Fixture, specs: list[ScanSpec], args) -> dict:
    bodies = [s.body(fixture.staff_id) for s in specs]
    headers = {"Authorization": f"Bearer {fixture.device_token}"}
    ping_bodies = [{**b, "client_id": str(uuid.uuid4())} for b in bodies]  # same size and shape
    server = Server(fixture.url, args.threads, args.server)
    try:
        scan_url = f"{server.base}/api/v1/events/{SLUG}/scans"
        ping_url = f"{server.base}/bench/ping"
        run_load(ping_url, ping_bodies[:args.warmup], headers, args.clients, 200)
        run_load(scan_url, bodies[:args.warmup], headers, args.clients, 201)
        ping = measured(server, ping_url, ping_bodies[args.warmup:], headers, args.clients, 200)
        scan = measured(server, scan_url, bodies[args.warmup:], headers, args.clients, 201)
    finally:
        server.close()
    return {"scan": scan, "ping": ping}


# --------------------------------------------------------------------------- (b) batch ingest


@contextmanager
def harness_frozen():
    """Move what the harness built (20,000 prepared scans) out of the cyclic GC's sight while timing,
    so that it is not re-scanned on every full collection; the garbage the code under test makes still is."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def bench_ingest(fixture: Fixture, specs: list[ScanSpec], batch_size: int) -> dict:
    """ingest_many per batch, one session and one commit per batch (like the batch API route)."""
    engine = make_engine(fixture.url)
    sessions = make_session_factory(engine)
    try:
        with sessions() as session:
            actor = Actor.for_device(session.get(Device, fixture.device_id))
        batches = [[s.scan(fixture.staff_id) for s in batch] for batch in chunks(specs, batch_size)]
        rejected = 0
        with harness_frozen():
            t0, cpu0 = time.perf_counter(), time.process_time()
            for batch in batches:
                with sessions() as session:
                    event = session.get(Event, fixture.event_id)
                    results = ingest_many(session, event, batch, actor)
                    session.commit()
                rejected += sum(isinstance(r, ScanRejected) for r in results)
            seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        with sessions() as session:
            leads = session.scalar(select(func.count()).select_from(Lead))
            interactions = session.scalar(select(func.count()).select_from(Interaction))
    finally:
        engine.dispose()
    return {"scans": len(specs), "seconds": seconds, "cpu_seconds": cpu, "rate": len(specs) / seconds,
            "rejected": rejected, "leads": leads, "interactions": interactions}


LEAD_COLS = ("id", "event_id", "dedup_key", "name_key", "email", "registration_id", "first_name", "last_name",
             "company", "job_title", "phone", "city", "country", "attendee_id", "incomplete", "answers", "notes",
             "rating", "status", "owner_id", "first_met_at", "last_met_at", "created_at", "updated_at")
INTERACTION_COLS = ("id", "client_uuid", "event_id", "lead_id", "device_id", "staff_user_id", "captured_at",
                    "received_at", "source", "raw_payload", "badge_format", "answers", "notes", "rating",
                    "met_before", "warnings")
CONSENT_COLS = ("id", "event_id", "lead_id", "interaction_id", "purposes", "granted", "text_version", "language",
                "captured_at", "captured_by_user_id", "device_id", "withdrawn_at")
AUDIT_COLS = ("id", "at", "actor_kind", "actor_id", "actor_label", "event_id", "action", "entity_type",
              "entity_id", "details")


def _insert_sql(table: str, cols: tuple, mark: str, upsert: str = "") -> str:
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))}){upsert}"


def baseline_rows(fixture: Fixture, specs: list[ScanSpec], batch_size: int, pg: bool,
                  attendee_ids: dict[str, int]) -> list[tuple]:
    """Per batch: (lead rows, interaction rows, consent rows, audit rows), as ingest_many would store them."""
    if pg:
        from psycopg.types.json import Json as as_json

        def as_time(dt):
            return dt.astimezone(timezone.utc)
    else:
        def as_json(value):
            return json.dumps(value)

        def as_time(dt):  # SQLAlchemy's SQLite DATETIME storage format, in UTC
            return dt.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")

    now = as_time(datetime.now(timezone.utc))
    lead_ids: dict[str, int] = {}
    answers: dict[int, dict] = {}
    history: dict[int, list] = {}
    batches, next_id = [], 1
    for batch in chunks(specs, batch_size):
        leads, interactions, consents, audits = [], [], [], []
        for spec in batch:
            p, at = spec.person, spec.captured_at.astimezone(timezone.utc)
            email = p.email.lower()
            lead_id = lead_ids.setdefault(f"email:{email}", next_id)
            answers[lead_id] = {**answers.get(lead_id, {}), **spec.answers}
            leads.append((lead_id, fixture.event_id, f"email:{email}", name_key(p.first, p.last, p.company), email,
                          p.registration_id, p.first, p.last, p.company, p.title, p.phone, p.city, None,
                          attendee_ids.get(p.registration_id), False, as_json(answers[lead_id]), None, None, "new",
                          None, as_time(at), as_time(at), now, now))
            met = {"staff_id": fixture.staff_id, "by": "Alice Bench", "at": at.isoformat()}
            interactions.append((next_id, spec.client_id, fixture.event_id, lead_id, fixture.device_id,
                                 fixture.staff_id, as_time(at), now, "camera", p.vcard(), "vcard",
                                 as_json(spec.answers), None, None, as_json(history.get(lead_id, [])), as_json([])))
            history.setdefault(lead_id, []).append(met)
            c = spec.consent
            consents.append((next_id, fixture.event_id, lead_id, next_id, as_json(c["purposes"]), c["granted"],
                             c["text_version"], c["language"], as_time(at), fixture.staff_id, fixture.device_id,
                             None))
            audits.append((next_id, now, "device", fixture.device_id, "Tablette bench", fixture.event_id,
                           "scan.ingest", "interaction", next_id,
                           as_json({"lead_id": lead_id, "client_id": spec.client_id, "source": "camera",
                                    "format": "vcard"})))
            next_id += 1
        batches.append((leads, interactions, consents, audits))
    return batches


def bench_baseline(fixture: Fixture, specs: list[ScanSpec], batch_size: int) -> dict:
    """Raw executemany of the equivalent rows; repeat visitors upsert their lead row."""
    pg = not fixture.url.startswith("sqlite")
    mark = "%s" if pg else "?"
    upsert = (" ON CONFLICT (event_id, dedup_key) DO UPDATE SET answers = excluded.answers, "
              "last_met_at = excluded.last_met_at, updated_at = excluded.updated_at")
    statements = [_insert_sql("leads", LEAD_COLS, mark, upsert), _insert_sql("interactions", INTERACTION_COLS, mark),
                  _insert_sql("consents", CONSENT_COLS, mark), _insert_sql("audit_log", AUDIT_COLS, mark)]
    conn = _raw_connect(fixture.url)
    try:
        left_out = _columns_left_out(conn, pg)
        attendee_ids = dict(conn.execute("SELECT registration_id, id FROM attendees").fetchall())
        batches = baseline_rows(fixture, specs, batch_size, pg, attendee_ids)
        with harness_frozen():
            t0, cpu0 = time.perf_counter(), time.process_time()
            for rows in batches:
                cur = conn.cursor()
                cur.execute("BEGIN" if pg else "BEGIN IMMEDIATE")
                for sql, values in zip(statements, rows):
                    cur.executemany(sql, values)
                cur.execute("COMMIT")
            seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    finally:
        conn.close()
    return {"scans": len(specs), "seconds": seconds, "cpu_seconds": cpu, "rate": len(specs) / seconds,
            "left_out": left_out}


def _columns_left_out(conn, pg: bool) -> list[str]:
    """Columns the baseline does not fill. Fails if one is NOT NULL without a default (the schema moved on)."""
    left_out, missing = [], []
    for table, cols in (("leads", LEAD_COLS), ("interactions", INTERACTION_COLS), ("consents", CONSENT_COLS),
                        ("audit_log", AUDIT_COLS)):
        if pg:
            rows = conn.execute("SELECT column_name, is_nullable = 'NO', column_default "
                                "FROM information_schema.columns "
                                "WHERE table_schema = current_schema() AND table_name = %s", (table,)).fetchall()
        else:
            rows = [(r[1], bool(r[3]) and not r[5], r[4]) for r in conn.execute(f"PRAGMA table_info({table})")]
        for name, not_null, default in rows:
            if name not in cols:
                (missing if not_null and default is None else left_out).append(f"{table}.{name}")
    if missing:
        raise SystemExit(f"the raw baseline does not fill NOT NULL column(s) {', '.join(missing)}: "
                         "add them to the *_COLS lists and baseline_rows() in bench/capture.py")
    return left_out


def _raw_connect(url: str):
    if url.startswith("sqlite"):
        conn = sqlite3.connect(make_url(url).database, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
            conn.execute(f"PRAGMA {pragma}")
        return conn
    import psycopg

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = psycopg.connect(conninfo)
    conn.autocommit = True  # BEGIN/COMMIT are explicit, like the SQLite side
    return conn


# --------------------------------------------------------------------------- report


def machine() -> str:
    return (f"machine: {os.cpu_count()} CPUs, {platform.machine()}, {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}; "
            f"SQLAlchemy {sqlalchemy.__version__}")


class Noise:
    """CPU that other processes used while the benchmark ran (Linux /proc/stat); they share the cores with it."""

    def __init__(self):
        self.wall, self.busy, self.own = time.perf_counter(), self._busy(), self._own()

    @staticmethod
    def _busy() -> float | None:
        try:
            with open("/proc/stat") as f:
                ticks = [int(x) for x in f.readline().split()[1:9]]
        except OSError:
            return None
        return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait

    @staticmethod
    def _own() -> float:
        t = os.times()  # this process and its reaped children (the server process)
        return t.user + t.system + t.children_user + t.children_system

    def report(self, postgres: bool) -> str | None:
        busy = self._busy()
        if busy is None or self.busy is None:
            return None
        others = (busy - self.busy) - (self._own() - self.own)
        share = others / ((time.perf_counter() - self.wall) * (os.cpu_count() or 1))
        text = (f"other processes{' (PostgreSQL included)' if postgres else ''} used {share:.0%} "
                f"of the machine's CPU during the run")
        return f"warning: {text}; the numbers are noisy, run again on an idle machine" if share > 0.1 else text


def verdict(*checks: bool) -> str:
    return "PASS" if all(checks) else "MISS"


def http_row(label: str, res: dict) -> tuple:
    scan, ping = res["scan"], res["ping"]
    ratio = scan.rate / ping.rate
    p99 = scan.pct(0.99)
    return (label, f"{scan.rate:,.0f} req/s", f"{scan.pct(0.5):.1f}", f"{p99:.1f}", f"{ping.rate:,.0f} req/s",
            f"{ratio:.2f}", f"ratio>={GOALS['scan_ratio']}, p99<={GOALS['scan_p99_ms']:.0f}ms",
            verdict(ratio >= GOALS["scan_ratio"], p99 <= GOALS["scan_p99_ms"]))


def ingest_row(label: str, res: dict) -> tuple:
    app, raw = res["ingest"], res["baseline"]
    ratio = app["rate"] / raw["rate"]
    return (label, f"{app['rate']:,.0f} scans/s", "-", "-", f"{raw['rate']:,.0f} scans/s", f"{ratio:.2f}",
            f">={GOALS['ingest_rate']:,.0f}/s, ratio>={GOALS['ingest_ratio']}",
            verdict(app["rate"] >= GOALS["ingest_rate"], ratio >= GOALS["ingest_ratio"]))


def print_table(rows: list[tuple]) -> None:
    header = ("benchmark", "rate", "p50 ms", "p99 ms", "baseline rate", "ratio", "goal", "")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    right = {1, 2, 3, 4, 5}
    for r in [header, *rows]:
        print("  ".join(str(v).rjust(w) if i in right else str(v).ljust(w)
                        for i, (v, w) in enumerate(zip(r, widths))).rstrip())


def print_details(backend: str, results: dict) -> None:
    if "http" in results:
        scan, ping = results["http"]["scan"], results["http"]["ping"]
        print(f"  [{backend}] scan POST: {scan.requests} requests in {scan.seconds:.2f}s, statuses {scan.statuses}, "
              f"max {max(scan.latencies_ms):.0f} ms; trivial route: p50 {ping.pct(0.5):.1f} ms, "
              f"p99 {ping.pct(0.99):.1f} ms, statuses {ping.statuses}")
        if scan.server_cpu_ms is not None:
            print(f"  [{backend}] server process CPU per request: scan {scan.server_cpu_ms:.2f} ms, "
                  f"trivial {ping.server_cpu_ms:.2f} ms (one interpreter: ~1000/CPU-ms req/s at most)")
        for name, res in (("scan", scan), ("trivial", ping)):
            if res.first_error:
                print(f"  [{backend}] first unexpected {name} response: {res.first_error}")
    if "ingest" in results:
        app, raw = results["ingest"], results["baseline"]
        print(f"  [{backend}] ingest_many: {app['scans']} scans in {app['seconds']:.2f}s "
              f"({app['cpu_seconds']:.2f}s CPU in this process) -> {app['leads']} leads, "
              f"{app['interactions']} interactions, {app['rejected']} rejected; "
              f"raw executemany: {raw['seconds']:.2f}s ({raw['cpu_seconds']:.2f}s CPU)")
        if raw["left_out"]:
            print(f"  [{backend}] raw baseline leaves to NULL/default: {', '.join(raw['left_out'])}")


def to_json(all_results: dict) -> dict:
    out = {}
    for backend, results in all_results.items():
        out[backend] = {}
        if "http" in results:
            for name, res in results["http"].items():
                out[backend][f"http_{name}"] = {"rate": res.rate, "p50_ms": res.pct(0.5), "p99_ms": res.pct(0.99),
                                                "requests": res.requests, "statuses": res.statuses,
                                                "server_cpu_ms": res.server_cpu_ms}
        for key in ("ingest", "baseline"):
            if key in results:
                out[backend][key] = results[key]
    return out


# --------------------------------------------------------------------------- main


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--requests", type=int, default=2000, help="measured POSTs per endpoint (a)")
    p.add_argument("--warmup", type=int, default=200, help="unmeasured POSTs per endpoint before (a)")
    p.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients (a)")
    p.add_argument("--threads", type=int, default=4, help="waitress worker threads (a)")
    p.add_argument("--server", choices=["process", "thread"], default="process",
                   help="run waitress in a child process (own GIL) or a thread of this process (a)")
    p.add_argument("--batch-scans", type=int, default=20000, help="scans ingested in total (b)")
    p.add_argument("--batch-size", type=int, default=500, help="scans per ingest_many call and commit (b)")
    p.add_argument("--repeat-fraction", type=float, default=0.15,
                   help="share of scans that meet an already-scanned person again")
    p.add_argument("--roster", type=int, default=0, metavar="N",
                   help="load an attendee roster of N people (badge registration ids match it) before each run")
    p.add_argument("--preload", type=int, default=0, metavar="N",
                   help="ingest N other scans (untimed) before (a), to measure an event already full of leads")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--only", choices=["http", "batch"], help="run one part only")
    p.add_argument("--postgres", metavar="URL", help="also run against PostgreSQL (throwaway schemas, dropped after)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON (e.g. bench/results/run.json)")
    return p.parse_args(argv)


def run_backend(backend: str, dbs: Databases, args) -> dict:
    results: dict = {}
    if args.only in (None, "http"):
        specs = make_scans(args.warmup + args.requests, args.repeat_fraction, args.seed)
        fixture = setup_database(dbs.new(backend, "http"), make_roster(specs, args.roster, args.seed))
        if args.preload:  # other visitors scanned earlier in the show, so lookups run against a full event
            bench_ingest(fixture, make_scans(args.preload, args.repeat_fraction, args.seed + 2, start_n=10 ** 7), 500)
        results["http"] = bench_http(fixture, specs, args)
    if args.only in (None, "batch"):
        specs = make_scans(args.batch_scans, args.repeat_fraction, args.seed + 1)
        roster = make_roster(specs, args.roster, args.seed + 1)
        results["ingest"] = bench_ingest(setup_database(dbs.new(backend, "ingest"), roster), specs, args.batch_size)
        results["baseline"] = bench_baseline(setup_database(dbs.new(backend, "raw"), roster), specs, args.batch_size)
    return results


def main(argv=None) -> int:
    args = parse_args(argv)
    noise = Noise()
    with tempfile.TemporaryDirectory(prefix="leadcapture-bench-") as tmp:
        # Keep create_app away from the project's instance/ folder (secret key file).
        os.environ["LEADCAPTURE_INSTANCE_PATH"] = str(Path(tmp) / "instance")
        os.environ.setdefault("LEADCAPTURE_SECRET_KEY", "bench")
        dbs = Databases(Path(tmp), args.postgres)
        all_results: dict = {}
        try:
            for backend in ["sqlite"] + (["postgresql"] if args.postgres else []):
                all_results[backend] = run_backend(backend, dbs, args)
        finally:
            dbs.close()

    print(machine())
    if note := noise.report(bool(args.postgres)):
        print(note)
    print(f"(a) {args.requests} POSTs per endpoint after {args.warmup} warm-up, {args.clients} clients, "
          f"waitress threads={args.threads} in a {args.server}; "
          f"(b) {args.batch_scans} scans, {args.batch_size}/batch; repeat visitors {args.repeat_fraction:.0%}; "
          f"roster {args.roster} attendees; preloaded scans before (a): {args.preload}")
    print()
    rows = []
    for backend, results in all_results.items():
        suffix = "" if len(all_results) == 1 else f" [{backend}]"
        if "http" in results:
            rows.append(http_row(f"single scan POST ({args.clients} clients){suffix}", results["http"]))
        if "ingest" in results:
            rows.append(ingest_row(f"batch ingest ({args.batch_size}/batch){suffix}", results))
    print_table(rows)
    print()
    for backend, results in all_results.items():
        print_details(backend, results)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"machine": machine(), "args": vars(args),
                                               "results": to_json(all_results)}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
