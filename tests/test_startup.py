"""A fresh `make run`-style start: migrate, load the demo, serve with waitress, answer HTTP."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

LEADCAPTURE = str(Path(sys.executable).parent / "leadcapture")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args, env) -> subprocess.CompletedProcess:
    return subprocess.run([LEADCAPTURE, *args], env=env, capture_output=True, text=True, timeout=60, check=True)


def test_fresh_start_serves_the_api(tmp_path):
    env = {**os.environ, "LEADCAPTURE_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("LEADCAPTURE_DATABASE_URL", None)  # the default: SQLite under the instance folder
    run(["db", "upgrade"], env)
    demo = run(["demo"], env).stdout
    assert "salon-demo" in demo
    device_token = re.search(r"token: (lcd_\S+)", demo).group(1)
    assert "already loaded" in run(["demo"], env).stdout
    assert (tmp_path / "instance" / "leadcapture.sqlite3").exists()

    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([LEADCAPTURE, "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                spec = requests.get(f"{base}/api/v1/openapi.json", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert spec.status_code == 200, (tmp_path / "serve.log").read_text()
        assert "/api/v1/events/{slug}/scans" in spec.json()["paths"]
        scan = requests.post(f"{base}/api/v1/events/salon-demo/scans", timeout=5,
                             headers={"Authorization": f"Bearer {device_token}"},
                             json={"client_id": "0b6c1e2a-6a47-4c43-9d55-0d6b0e8f1a11", "payload": "SD00001",
                                   "captured_at": "2026-03-14T10:42:00+01:00"})
        assert scan.status_code == 201, scan.text
        assert scan.json()["lead"]["incomplete"] is False  # resolved from the demo roster
        home = requests.get(base + "/", timeout=5, headers={"Accept-Language": "fr"})
        assert home.url.endswith("/login?next=%2F") and "Se connecter" in home.text
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
