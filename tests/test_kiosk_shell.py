"""The kiosk's shell, service worker and manifest as the server serves them; nothing from a CDN."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import kiosk_ui

KIOSK = Path(kiosk_ui.__file__).resolve().parent


def test_shell_worker_and_manifest(client):
    shell = client.get("/kiosk")
    assert shell.status_code == 200
    page = shell.get_data(as_text=True)
    for testid in ("scan-input", "manual-entry", "save", "outbox-count", "online-state"):
        assert f'data-testid="{testid}"' in page
    worker = client.get("/kiosk/sw.js")
    assert worker.headers["Service-Worker-Allowed"] == "/kiosk" and worker.headers["Cache-Control"] == "no-cache"
    cached = re.search(r"const SHELL = (\[.*?\]);", worker.get_data(as_text=True)).group(1)
    for url in re.findall(r'"([^"]+)"', cached):
        response = client.get(url)
        response.close()  # static files are streamed from open files
        assert response.status_code == 200, url
    assert client.get("/kiosk/manifest.webmanifest").json["start_url"] == "/kiosk"


def test_everything_the_kiosk_loads_comes_from_our_server(client):
    page = client.get("/kiosk").get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', page)
    # Every shipped file, vendored ones included: no address outside our server to fetch from.
    for path in [*(KIOSK / "static").rglob("*"), *(KIOSK / "templates").rglob("*")]:
        if path.suffix in (".js", ".mjs", ".html", ".css", ".webmanifest"):
            assert not re.search(r"https?://(?!www\.w3\.org/)", path.read_text()), path
    assert (KIOSK / "static" / "vendor" / "barcode-detector" / "zxing_reader.wasm").stat().st_size > 500_000


def test_a_changed_file_gives_the_worker_a_new_cache_name(tmp_path, monkeypatch):
    before = kiosk_ui.build_version()
    copy = tmp_path / "static"
    shutil.copytree(KIOSK / "static", copy)
    monkeypatch.setattr(kiosk_ui, "STATIC", copy)
    assert kiosk_ui.build_version() == before
    (copy / "kiosk.css").write_text((copy / "kiosk.css").read_text() + "\n/* new */\n")
    assert kiosk_ui.build_version() != before
