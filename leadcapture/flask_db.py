"""The app's hook into the database: one session per request, closed at teardown.

Views call `request_session()` and commit once when their work succeeded; an
exception leaves nothing behind because teardown rolls back what was not committed.
"""
from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from .db import make_engine, make_session_factory


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["leadcapture.engine"] = engine
    app.extensions["leadcapture.sessions"] = make_session_factory(engine)
    app.teardown_appcontext(_close_session)


def session_factory():
    return current_app.extensions["leadcapture.sessions"]


def request_session() -> Session:
    if "db_session" not in g:
        g.db_session = session_factory()()
    return g.db_session


def _close_session(_exc) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
