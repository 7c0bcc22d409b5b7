"""The booth laptop: `leadcapture serve` with no internet, 200 badges scanned, then the CRM comes within reach."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

from crm_servers.hubspot import HubSpotServer

LEADCAPTURE = str(Path(sys.executable).parent / "leadcapture")
SCANS = 200


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args, env, input=None) -> str:
    return subprocess.run([LEADCAPTURE, *args], env=env, input=input, capture_output=True, text=True, timeout=60,
                          check=True).stdout


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_offline_booth_syncs_by_itself_once_the_crm_is_reachable(tmp_path):
    env = {**os.environ, "LEADCAPTURE_INSTANCE_PATH": str(tmp_path / "instance"),
           # A booth laptop's defaults wait up to two minutes between tries; the test cannot.
           "LEADCAPTURE_SYNC_POLL": "0.1", "LEADCAPTURE_SYNC_BACKOFF_BASE": "0.1", "LEADCAPTURE_SYNC_BACKOFF_CAP": "0.5"}
    for name in ("LEADCAPTURE_DATABASE_URL", "LEADCAPTURE_FERNET_KEY"):
        env.pop(name, None)
    run(["db", "upgrade"], env)
    device_token = re.search(r"token: (lcd_\S+)", run(["demo"], env)).group(1)
    crm_port = free_port()  # nothing listens there yet: the hall has no internet
    run(["connectors", "add", "hubspot", "--event", "salon-demo", "--name", "hubspot",
         "--set", f"base_url=http://127.0.0.1:{crm_port}", "--set", "account_id=4242", "--set", "timeout=0.5",
         "--set", "requests_per_10s=190"], env, input="pat-booth\n")

    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen([LEADCAPTURE, "serve", "--port", str(port), "--no-notify"], env=env,
                                  stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    crm = None
    try:
        wait_until(lambda: _answers(f"{base}/api/v1/openapi.json"), 30, "the server")
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {device_token}"
        for start in range(0, SCANS, 50):  # the tablet replays its offline queue in batches
            body = {"scans": [{"client_id": str(uuid.uuid4()), "payload": f"SD{n:05d}",
                               "captured_at": "2026-03-14T10:42:00+01:00"} for n in range(start + 1, start + 51)]}
            answer = http.post(f"{base}/api/v1/events/salon-demo/scans/batch", json=body, timeout=30)
            assert answer.status_code == 200, answer.text
        time.sleep(1)  # the worker tries, and fails, to reach the CRM
        status = run(["sync", "status"], env)
        assert re.search(r"hubspot\s+hubspot\s+200\s+0\s+0", status), status

        crm = HubSpotServer(token="pat-booth", port=crm_port).start()  # the venue's Wi-Fi comes back
        wait_until(lambda: len(crm.contacts) == SCANS, 60, f"{SCANS} contacts in the CRM")
        assert re.search(r"hubspot\s+hubspot\s+0\s+200\s+0", run(["sync", "status"], env))
        assert len(crm.attendance["leadcapture-salon-demo"]) == SCANS
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl+C: the sync thread stops after its batch
        server.wait(timeout=20)
        if crm is not None:
            crm.stop()
    assert "pat-booth" not in log_path.read_text()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.ConnectionError:
        return False
