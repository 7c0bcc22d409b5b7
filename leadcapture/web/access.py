"""What the signed-in person may open in the web pages."""
from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from ..flask_db import request_session
from ..models import Event


def event_for_user(slug: str) -> Event:
    """The event in the URL, if the signed-in person works it (admins work every event).

    Aborts with 404 for an unknown slug and 403 for someone else's event.
    """
    event = request_session().scalar(select(Event).where(Event.slug == slug))
    if event is None:
        abort(404)
    if not current_user.actor.can_reach_event(event.id):
        abort(403)
    return event
