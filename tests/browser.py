"""Fixtures for tests that drive a real Chromium against the app served on 127.0.0.1.

Import them in a test module: `from browser import browser_page, live_server  # noqa: F401`.
Chromium comes from the system (Debian's `chromium`, at /usr/bin/chromium or $CHROMIUM);
Playwright (test extra) drives it and never downloads a browser. Without Chromium the
tests skip and say what to install, except in CI (CI=true), where they must run.
"""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
DOCS = Path(__file__).resolve().parent.parent / "docs"


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


def _missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {what}: the browser tests must run in CI")
    pytest.skip(f"browser tests need {what}")


@pytest.fixture
def live_server(app):
    """The test app served by waitress in a thread; yields its base URL, e.g. http://127.0.0.1:54321."""
    from waitress import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


# One Playwright driver per process: the sync API refuses a second one while the first runs, and
# each test module that imports `chromium` gets its own copy of the fixture.
_DRIVER: dict = {"playwright": None, "users": 0}


@pytest.fixture(scope="session")
def chromium():
    """A headless system Chromium driven by Playwright, shared by the session's browser tests."""
    path = chromium_path()
    if path is None:
        _missing("Chromium (apt-get install chromium, or set CHROMIUM=/path/to/chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright (pip install -e '.[test]')")
    if _DRIVER["playwright"] is None:
        _DRIVER["playwright"] = sync_playwright().start()
    _DRIVER["users"] += 1
    browser = _DRIVER["playwright"].chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()
        _DRIVER["users"] -= 1
        if _DRIVER["users"] == 0:
            _DRIVER["playwright"].stop()
            _DRIVER["playwright"] = None


@pytest.fixture
def browser_page(chromium):
    """page(viewport=(w, h), locale="fr-FR") -> a new Playwright page in its own context."""
    contexts = []

    def _page(viewport=(1280, 900), locale="en-GB"):
        context = chromium.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale=locale)
        contexts.append(context)
        return context.new_page()

    yield _page
    for context in contexts:
        context.close()


def screenshot_path(tmp_path: Path, name: str) -> Path:
    """docs/NAME when LEADCAPTURE_UPDATE_SCREENSHOTS=1 (to refresh the checked-in ones), else a temp file."""
    if os.environ.get("LEADCAPTURE_UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        return DOCS / name
    return tmp_path / name
