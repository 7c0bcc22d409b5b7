"""What every `leadcapture` subcommand needs: a database session and the event named on the command line."""
from __future__ import annotations

import click
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from .models import Event


def session_factory() -> sessionmaker[Session]:
    return current_app.extensions["leadcapture.sessions"]


def new_session() -> Session:
    return session_factory()()


def event_by_slug(session: Session, slug: str) -> Event:
    """The event, or a ClickException (exit 1) telling how to list the events."""
    event = session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        raise click.ClickException(f"no event {slug!r}; see `leadcapture events list`")
    return event
