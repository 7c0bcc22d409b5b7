"""Bearer-token authentication for every API route, and event/lead access checks."""
from __future__ import annotations

from flask import g, request
from flask_smorest import abort
from sqlalchemy import select

from ..actors import Actor
from ..flask_db import request_session
from ..leads import can_see_lead
from ..models import Event, Lead
from ..tokens import TokenRefused, authenticate

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="leadcapture"'}


def authenticate_request() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, message="send 'Authorization: Bearer <token>'", headers=CHALLENGE)
    session = request_session()
    try:
        g.actor = authenticate(session, token.strip())
    except TokenRefused as exc:
        session.rollback()
        abort(401, message=str(exc), headers=CHALLENGE)
    if session.dirty:  # last-seen stamp
        session.commit()
    # Resolve the event or lead named in the URL before the body is read, so an
    # unknown event is a 404 and someone else's is a 403, whatever the body.
    args = request.view_args or {}
    if "slug" in args:
        g.event = event_for(args["slug"], write=request.method == "POST")
    if "lead_id" in args:
        g.lead = lead_for(args["lead_id"])


def current_actor() -> Actor:
    return g.actor


def current_event() -> Event:
    return g.event


def current_lead() -> Lead:
    return g.lead


def event_for(slug: str, write: bool = False) -> Event:
    """The event named in the URL, if this actor may reach it (404 unknown, 403 not theirs)."""
    event = request_session().scalar(select(Event).where(Event.slug == slug))
    if event is None:
        abort(404, message=f"no event {slug!r}")
    actor = current_actor()
    if not actor.can_reach_event(event.id):
        abort(403, message="this token does not give access to this event")
    if write and actor.is_rep:
        abort(403, message="sales reps cannot record scans")
    return event


def lead_for(lead_id: int) -> Lead:
    lead = request_session().get(Lead, lead_id)
    if lead is None:
        abort(404, message=f"no lead {lead_id}")
    if not can_see_lead(current_actor(), lead):
        abort(403, message="this token does not give access to this lead")
    return lead
