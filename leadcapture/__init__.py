"""leadcapture: trade-show lead capture, from the booth tablet to the CRM."""
from __future__ import annotations

from flask import Flask

from .config import instance_path, load_config


def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings from the environment, overridden by `config` (tests)."""
    app = Flask(__name__, instance_path=str(instance_path()))
    app.config.update(load_config())
    if config:
        app.config.update(config)
    app.json.ensure_ascii = False  # French names stay readable in API bodies

    import kiosk_ui

    from . import api, flask_db, web

    flask_db.init_app(app)
    api.init_app(app)
    web.init_app(app)
    kiosk_ui.init_app(app)
    return app
