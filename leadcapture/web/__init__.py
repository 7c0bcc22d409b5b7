"""Server-rendered pages for admin, marketing and reps, in French and English."""
from __future__ import annotations

from flask import Blueprint, Flask, render_template, request, session
from flask_babel import Babel, get_locale
from flask_login import login_required
from flask_wtf import CSRFProtect
from sqlalchemy import func, select

from ..flask_db import request_session
from ..models import Event, Lead
from . import auth, kiosk_admin, reps, roi, rules, sync
from .access import visible_events

LANGUAGES = ("fr", "en")
bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/assets")
csrf = CSRFProtect()


@bp.get("/")
@login_required
def index():
    db = request_session()
    events = db.scalars(visible_events().order_by(Event.starts_on.desc())).all()
    counts = dict(db.execute(select(Lead.event_id, func.count()).group_by(Lead.event_id)).all())
    return render_template("index.html", events=events, counts=counts)


def select_locale() -> str:
    """?lang= sticks for the session; otherwise the browser's preference; French by default."""
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    return session.get("lang") or request.accept_languages.best_match(LANGUAGES) or "fr"


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    auth.login_manager.init_app(app)
    csrf.init_app(app)
    from ..api import BLUEPRINTS  # the bearer-token API has no cookies, so no CSRF

    for blp in BLUEPRINTS:
        csrf.exempt(blp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(bp)
    app.register_blueprint(kiosk_admin.bp)
    app.register_blueprint(reps.bp)
    app.register_blueprint(rules.bp)
    app.register_blueprint(sync.bp)
    app.register_blueprint(roi.bp)
