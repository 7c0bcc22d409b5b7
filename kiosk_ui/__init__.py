"""The tablet kiosk: a PWA at /kiosk, its static files and its service worker.

Everything the tablet loads comes from here (no CDN). The service worker's
cache is named after a hash of the files it caches, so deploying a new
version installs a fresh cache and deletes the old one.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Blueprint, Flask, current_app, render_template, url_for

STATIC = Path(__file__).resolve().parent / "static"
TEMPLATES = Path(__file__).resolve().parent / "templates"
# Cached on install: the shell opens and works offline from these alone.
SHELL_FILES = ("kiosk.css", "js/main.js", "js/i18n.js", "js/store.js", "js/outbox.js", "js/api.js",
               "js/wedge.js", "js/camera.js", "js/badge.js", "js/pins.js", "js/screens.js",
               "icons/icon-192.png", "icons/icon-512.png")
bp = Blueprint("kiosk_ui", __name__, template_folder="templates", static_folder="static",
               static_url_path="/kiosk/static")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def build_version() -> str:
    """A hash of every file the kiosk serves: it names the service worker's cache."""
    digest = hashlib.sha256()
    for root in (STATIC, TEMPLATES):
        for path in sorted(root.rglob("*")):
            if path.is_file():
                digest.update(f"{root.name}/{path.relative_to(root).as_posix()}".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _version() -> str:
    """The build version, hashed once per process (the files are 1.3 MB; setdefault would hash them each time)."""
    if "kiosk_ui.version" not in current_app.extensions:
        current_app.extensions["kiosk_ui.version"] = build_version()
    return current_app.extensions["kiosk_ui.version"]


@bp.get("/kiosk")
def shell():
    return render_template("kiosk.html", version=_version())


@bp.get("/kiosk/sw.js")
def service_worker():
    shell_urls = [url_for("kiosk_ui.shell"), url_for("kiosk_ui.manifest"),
                  *(url_for("kiosk_ui.static", filename=f) for f in SHELL_FILES)]
    body = render_template("sw.js", version=_version(), shell=shell_urls)
    # The worker controls /kiosk itself, one level above its own folder; no-cache so updates are seen.
    return body, 200, {"Content-Type": "text/javascript; charset=utf-8", "Service-Worker-Allowed": "/kiosk",
                       "Cache-Control": "no-cache"}


@bp.get("/kiosk/manifest.webmanifest")
def manifest():
    body = render_template("manifest.webmanifest")
    return body, 200, {"Content-Type": "application/manifest+json"}
