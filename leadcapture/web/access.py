"""What the signed-in person may open in the web pages."""
from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select

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


def visible_event_ids() -> list[int] | None:
    """Ids of the events the signed-in person works; None for admins, who see every event."""
    user = current_user.user
    return None if user.is_admin else [e.id for e in user.events]


def visible_events() -> Select:
    """The events the signed-in person works (admins: all of them)."""
    ids = visible_event_ids()
    query = select(Event)
    return query if ids is None else query.where(Event.id.in_(ids))
