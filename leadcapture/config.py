"""Settings from environment variables (LEADCAPTURE_*), with defaults for a booth laptop."""
from __future__ import annotations

import os
from pathlib import Path

# The instance folder sits beside the project checkout, like Flask's own default.
DEFAULT_INSTANCE_PATH = Path(__file__).resolve().parent.parent / "instance"

MAX_REQUEST_BYTES = 1024 * 1024  # API bodies above 1 MB get 413
MAX_BATCH_SCANS = 500


def instance_path() -> Path:
    return Path(os.environ.get("LEADCAPTURE_INSTANCE_PATH", DEFAULT_INSTANCE_PATH))


def default_database_url() -> str:
    return f"sqlite:///{instance_path() / 'leadcapture.sqlite3'}"


def load_config() -> dict:
    """Return the Flask config built from the environment."""
    return {
        "DATABASE_URL": os.environ.get("LEADCAPTURE_DATABASE_URL") or default_database_url(),
        "SECRET_KEY": os.environ.get("LEADCAPTURE_SECRET_KEY") or _instance_secret_key(),
        "MAX_CONTENT_LENGTH": MAX_REQUEST_BYTES,
        "SERVER_URL": os.environ.get("LEADCAPTURE_SERVER_URL", "http://127.0.0.1:5000"),
    }


def _instance_secret_key() -> str:
    """A per-installation secret kept in the instance folder, created on first use."""
    path = instance_path() / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = os.urandom(32).hex()
    path.write_text(key)
    path.chmod(0o600)
    return key
