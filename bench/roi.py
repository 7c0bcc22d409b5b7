"""Benchmark the ROI reports on a generated dataset, beside the raw SQL that computes the same totals.

    .venv/bin/python bench/roi.py                          # full size, SQLite, then PostgreSQL if given
    .venv/bin/python bench/roi.py --scale 0.05             # 5 % of the rows, for a quick look
    .venv/bin/python bench/roi.py --postgres postgresql://127.0.0.1:5432/test

Full size: 50 events, 200,000 leads, 1,000,000 interactions, 20,000 deals
(a third of the people come back to other events), costs and USD rates.
Rows are bulk-inserted (executemany on SQLite, COPY on PostgreSQL) into a
fresh database migrated with leadcapture.migrate.upgrade; the credits are
computed once by leadcapture.roi.credits.recompute (timed). Then, timed:
the per-event report (everything the event's page shows: event_report,
funnel, leads per hour, leaderboard, answers) for every event, and the
all-events comparison; baseline: one raw SQL aggregate giving the same
totals (cost, leads, qualified, opportunities, pipeline, won). Goal: per-event
report p50 <= 300 ms. Nothing outside a temporary directory (or the given
PostgreSQL schema, dropped at the end) is written.
"""
from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from leadcapture.db import make_engine, make_session_factory  # noqa: E402
from leadcapture.migrate import upgrade  # noqa: E402
from leadcapture.models import Event  # noqa: E402
from leadcapture.roi import config  # noqa: E402
from leadcapture.roi.credits import recompute  # noqa: E402
from leadcapture.roi.reports import (basis, by_answer, compare, event_report, funnel, leaderboard,  # noqa: E402
                                     leads_per_hour)

AS_OF = date(2026, 12, 31)
GOAL_MS = 300.0
NOW = datetime(2026, 11, 1, tzinfo=timezone.utc).isoformat()


def generate(scale: float, seed: int = 7) -> dict[str, list[tuple]]:
    """Rows per table, as tuples in the column order of COLUMNS."""
    rng = random.Random(seed)
    n_events, n_leads = 50, int(200_000 * scale)
    n_interactions, n_deals = int(1_000_000 * scale), int(20_000 * scale)
    start = date(2025, 1, 6)
    events = []
    for e in range(1, n_events + 1):
        first = start + timedelta(days=7 * e)
        events.append((e, f"salon-{e}", f"Salon {e}", first.isoformat(), (first + timedelta(days=2)).isoformat(),
                       "Europe/Paris", "EUR", "{}", NOW))
    people = max(n_leads * 2 // 3, 1)
    leads, lead_event, lead_time = [], [], []
    for lead_id in range(1, n_leads + 1):
        event = rng.randrange(1, n_events + 1)
        person = rng.randrange(people)
        met = datetime.fromisoformat(events[event - 1][3]).replace(tzinfo=timezone.utc) + timedelta(
            hours=9 + rng.randrange(9), minutes=rng.randrange(60), days=rng.randrange(3))
        leads.append((lead_id, event, f"email:p{person}@example.com:{lead_id}", f"p{person}@example.com",
                      False, '{"interest": ["kiosk"]}', "new", rng.choice("ABCD"), met.isoformat(), met.isoformat(),
                      NOW, NOW))
        lead_event.append(event)
        lead_time.append(met)
    interactions = []
    for i in range(1, n_interactions + 1):
        lead = i if i <= n_leads else rng.randrange(1, n_leads + 1)  # every lead has its first scan
        at = lead_time[lead - 1] + timedelta(minutes=0 if i <= n_leads else rng.randrange(1, 2000))
        interactions.append((i, str(uuid.UUID(int=rng.getrandbits(128))), lead_event[lead - 1], lead, at.isoformat(),
                             NOW, "camera", "{}", "[]", "[]"))
    deals, links = [], []
    for d in range(1, n_deals + 1):
        lead = rng.randrange(1, n_leads + 1)
        created = lead_time[lead - 1].date() + timedelta(days=rng.randrange(0, 200))
        status = rng.choices(("open", "won", "lost"), (5, 3, 2))[0]
        close = (created + timedelta(days=rng.randrange(10, 120))).isoformat() if status != "open" else None
        currency = "USD" if d % 5 == 0 else "EUR"
        deals.append((d, "csv", f"D{d}", f"Deal {d}", status, rng.randrange(100_000, 5_000_000), currency,
                      created.isoformat(), close, "[]", NOW))
        links.append((d, lead))
        if d % 4 == 0:
            other = rng.randrange(1, n_leads + 1)
            if other != lead:
                links.append((d, other))
    costs = [(c, e, cat, "actual", rng.randrange(100_000, 2_000_000), "EUR", NOW)
             for c, (e, cat) in enumerate(((e, cat) for e in range(1, n_events + 1)
                                           for cat in ("floor_space", "stand", "travel", "promotion")), start=1)]
    rates = [(r, "EUR", "USD", (date(2025, 1, 1) + timedelta(days=30 * r)).isoformat(), f"0.9{r % 10}", NOW)
             for r in range(1, 30)]
    return {"events": events, "leads": leads, "interactions": interactions, "deals": deals, "deal_leads": links,
            "event_costs": costs, "exchange_rates": rates}


COLUMNS = {
    "events": "id, slug, name, starts_on, ends_on, timezone, currency, settings, created_at",
    "leads": "id, event_id, dedup_key, email, incomplete, answers, status, grade, first_met_at, last_met_at, "
             "created_at, updated_at",
    "interactions": "id, client_uuid, event_id, lead_id, captured_at, received_at, source, answers, met_before, "
                    "warnings",
    "deals": "id, origin, crm_id, name, status, amount_minor, currency, created_on, close_date, contact_ids, stored_at",
    "deal_leads": "deal_id, lead_id",
    "event_costs": "id, event_id, category, kind, amount_minor, currency, created_at",
    "exchange_rates": "id, base, currency, valid_from, rate, created_at",
}


def load(engine, rows: dict[str, list[tuple]]) -> float:
    """Bulk-insert the rows; returns seconds."""
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table, columns in COLUMNS.items():
            data = rows[table]
            if engine.dialect.name == "postgresql":
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in data:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(columns.split(",")))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", data)
        if engine.dialect.name == "postgresql":
            for table in ("events", "leads", "interactions", "deals", "event_costs", "exchange_rates"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cursor.execute("ANALYZE")
        else:
            cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


RAW_TOTALS = """
SELECT e.id,
  (SELECT coalesce(sum(amount_minor), 0) FROM event_costs c WHERE c.event_id = e.id AND c.kind = 'actual'
     AND c.currency = 'EUR') AS cost,
  (SELECT count(*) FROM leads l WHERE l.event_id = e.id) AS leads,
  (SELECT count(*) FROM leads l WHERE l.event_id = e.id AND l.grade IN ('A', 'B')) AS qualified,
  (SELECT count(*) FROM attribution_credits a WHERE a.event_id = e.id AND a.model = :model
     AND a.window_days = :window) AS opportunities,
  (SELECT coalesce(sum(a.amount_minor), 0) FROM attribution_credits a WHERE a.event_id = e.id
     AND a.model = :model AND a.window_days = :window) AS pipeline,
  (SELECT coalesce(sum(a.amount_minor), 0) FROM attribution_credits a JOIN deals d ON d.id = a.deal_id
     WHERE a.event_id = e.id AND a.model = :model AND a.window_days = :window AND d.status = 'won') AS won
FROM events e {where} ORDER BY e.id
"""


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def run(url: str, label: str, rows: dict, repeat: int) -> dict:
    upgrade(url)
    engine = make_engine(url)
    load_s = load(engine, rows)
    sessions = make_session_factory(engine)
    with sessions() as session:
        settings = config.load(session)
        started = time.perf_counter()
        recompute(session, settings, AS_OF)
        session.commit()
        recompute_s = time.perf_counter() - started
        b = basis(settings, "event_sourced", 90, AS_OF)
        events = session.scalars(select(Event).order_by(Event.id)).all()
        per_event, raw_event = [], []
        for event in events:
            report_ms = timed(lambda: (event_report(session, event, settings, b), funnel(session, event, settings),
                                       leads_per_hour(session, event), leaderboard(session, event),
                                       by_answer(session, event)), repeat)
            report = event_report(session, event, settings, b)
            params = {"model": b.model, "window": b.window_days, "event_id": event.id}
            one = text(RAW_TOTALS.format(where="WHERE e.id = :event_id"))
            raw_ms = timed(lambda: session.execute(one, params).all(), repeat)
            raw = session.execute(one, params).one()
            assert (raw.leads, raw.qualified, raw.opportunities, raw.pipeline, raw.won) == (
                report.leads, report.qualified, report.opportunities, report.pipeline, report.won), (raw, report)
            assert raw.cost == report.cost, (raw.cost, report.cost)
            per_event.append(min(report_ms))
            raw_event.append(min(raw_ms))
        all_ms = timed(lambda: compare(session, settings, b), repeat)
        every = text(RAW_TOTALS.format(where=""))
        params = {"model": b.model, "window": b.window_days}
        raw_all = timed(lambda: session.execute(every, params).all(), repeat)
        comparison = compare(session, settings, b)
        totals = session.execute(every, params).all()
        assert sum(r["won"] for r in comparison.rows) == sum(t.won for t in totals)
    engine.dispose()
    return {"db": label, "load_s": load_s, "recompute_s": recompute_s,
            "event_p50": statistics.median(per_event), "event_max": max(per_event),
            "raw_event_p50": statistics.median(raw_event), "all_ms": min(all_ms), "raw_all_ms": min(raw_all)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full dataset (default 1)")
    parser.add_argument("--postgres", help="a PostgreSQL URL: also run there, in a throwaway schema")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement (the best counts)")
    args = parser.parse_args()
    started = time.perf_counter()
    rows = generate(args.scale)
    print(f"generated {len(rows['interactions']):,} interactions, {len(rows['leads']):,} leads, "
          f"{len(rows['deals']):,} deals, {len(rows['events'])} events in {time.perf_counter() - started:.1f} s")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(run(f"sqlite:///{tmp}/roi.sqlite3", "SQLite", rows, args.repeat))
    if args.postgres:
        url = make_url(args.postgres)
        url = url.set(drivername="postgresql+psycopg") if url.drivername == "postgresql" else url
        schema = f"lc_bench_roi_{uuid.uuid4().hex[:6]}"
        admin = create_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            scoped = url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
                hide_password=False)
            results.append(run(scoped, "PostgreSQL", rows, args.repeat))
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    out = io.StringIO()
    out.write(f"{'database':<11} {'load s':>7} {'credits s':>9} {'event p50 ms':>12} {'event max':>9} "
              f"{'raw SQL ms':>10} {'ratio':>6} {'all ms':>8} {'raw all':>8} {'ratio':>6}  goal\n")
    for r in results:
        verdict = "PASS" if r["event_p50"] <= GOAL_MS else "MISS"
        out.write(f"{r['db']:<11} {r['load_s']:>7.1f} {r['recompute_s']:>9.1f} {r['event_p50']:>12.1f} "
                  f"{r['event_max']:>9.1f} {r['raw_event_p50']:>10.1f} {r['event_p50'] / r['raw_event_p50']:>6.1f} "
                  f"{r['all_ms']:>8.1f} {r['raw_all_ms']:>8.1f} {r['all_ms'] / r['raw_all_ms']:>6.1f}  "
                  f"{verdict} (p50 <= {GOAL_MS:.0f} ms)\n")
    print(out.getvalue(), end="")


if __name__ == "__main__":
    main()
