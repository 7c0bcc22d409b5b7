"""Several kiosks replaying the same scans at once: each scan is stored once, each person once."""
from __future__ import annotations

import random
import threading
from collections import Counter

from sqlalchemy import func, select

from helpers import bearer, new_client_id
from leadcapture.models import AuditEntry, Interaction, Lead

THREADS = 8
SCANS = 50
PEOPLE = 10


def test_eight_threads_posting_the_same_50_scans(app, make_event, device_token, session):
    event = make_event()
    token = device_token(event)
    bodies = [{"client_id": new_client_id(), "captured_at": f"2026-03-14T10:{n:02d}:00Z",
               "contact": {"first_name": f"Visitor{n % PEOPLE}", "last_name": "Test",
                           "email": f"visitor{n % PEOPLE}@example.com"}} for n in range(SCANS)]
    barrier = threading.Barrier(THREADS)
    statuses: Counter = Counter()
    lock = threading.Lock()
    failures: list = []

    def worker(seed: int) -> None:
        client = app.test_client()
        order = bodies[:]
        random.Random(seed).shuffle(order)
        barrier.wait()
        for body in order:
            response = client.post("/api/v1/events/salon-test/scans", json=body, headers=bearer(token))
            with lock:
                statuses[response.status_code] += 1
                if response.status_code not in (200, 201):
                    failures.append(response.get_data(as_text=True))

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not failures, failures[:3]
    assert statuses == {201: SCANS, 200: SCANS * (THREADS - 1)}
    count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert count(Interaction) == SCANS
    assert count(Lead) == PEOPLE
    assert session.scalar(select(func.count()).where(AuditEntry.action == "scan.ingest")) == SCANS
