"""Server-rendered pages."""
from __future__ import annotations

from flask import Blueprint, Flask, render_template
from sqlalchemy import func, select

from ..flask_db import request_session
from ..models import Event, Lead

bp = Blueprint("web", __name__, template_folder="templates")


@bp.get("/")
def index():
    session = request_session()
    counts = dict(session.execute(select(Lead.event_id, func.count()).group_by(Lead.event_id)).all())
    events = session.scalars(select(Event).order_by(Event.starts_on.desc())).all()
    return render_template("index.html", events=events, counts=counts)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
