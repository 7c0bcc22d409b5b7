"""`leadcapture rules ...`, `leadcapture reps ...` and `leadcapture notify ...`: scoring and routing
rules as JSON files, reps' capacity and leave, and the notification sender."""
from __future__ import annotations

import json
import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from .actors import Actor
from .audit import record
from .cli_support import event_by_slug, new_session
from .models import Notification, User
from .notify.sender import Channels, run_forever, run_once
from .rules import RulesRejected, apply_rules, export_rules, rescore_event



@click.group(cls=AppGroup)
def rules() -> None:
    """An event's scoring and routing rules."""


@rules.command("export")
@click.argument("event_slug")
@click.argument("output", type=click.File("w", encoding="utf-8"), default="-")
def rules_export(event_slug, output) -> None:
    """Write the event's rules as JSON (to OUTPUT, default standard output)."""
    with new_session() as session:
        data = export_rules(event_by_slug(session, event_slug))
    output.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@rules.command("import")
@click.argument("event_slug")
@click.argument("source", type=click.File("r", encoding="utf-8"))
def rules_import(event_slug, source) -> None:
    """Replace the event's rules with a JSON file and rescore its leads; nothing changes if a rule is wrong."""
    try:
        raw = json.load(source)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{source.name} is not JSON: {exc}") from exc
    with new_session() as session:
        event = event_by_slug(session, event_slug)
        try:
            apply_rules(session, event, raw, Actor.cli())
        except RulesRejected as exc:
            session.rollback()
            raise click.ClickException("the rules were not changed:\n  " + "\n  ".join(exc.problems)) from exc
        session.commit()
    click.echo(f"rules of {event_slug} replaced; leads rescored")


@rules.command("rescore")
@click.argument("event_slug")
def rules_rescore(event_slug) -> None:
    """Rescore every lead of the event (and route the ones that became due)."""
    with new_session() as session:
        event = event_by_slug(session, event_slug)
        t0 = time.perf_counter()
        count = rescore_event(session, event)
        session.commit()
    click.echo(f"{count} leads rescored in {time.perf_counter() - t0:.1f}s")


@click.group(cls=AppGroup)
def reps() -> None:
    """Sales reps' share of the round-robin and leave."""


@reps.command("set")
@click.argument("email")
@click.option("--capacity", type=click.IntRange(0, 100), help="relative share of leads; 0 takes none")
@click.option("--away/--back", default=None, help="skip this rep in the round-robin, or not")
def reps_set(email, capacity, away) -> None:
    """Change a rep's capacity or mark them away / back."""
    with new_session() as session:
        user = session.scalar(select(User).where(User.email == email.lower()))
        if user is None:
            raise click.ClickException(f"no user {email}")
        before = {"capacity": user.capacity, "away": user.away}
        if capacity is not None:
            user.capacity = capacity
        if away is not None:
            user.away = away
        record(session, Actor.cli(), "rep.update", "user", user.id, None,
               {"before": before, "after": {"capacity": user.capacity, "away": user.away}})
        session.commit()
        click.echo(f"{user.email}: capacity {user.capacity}, {'away' if user.away else 'available'}")


@click.group(cls=AppGroup)
def notify() -> None:
    """Notifications to reps (e-mail through LEADCAPTURE_SMTP_*, webhook through LEADCAPTURE_WEBHOOK_*)."""


@notify.command("run")
@click.option("--once", is_flag=True, help="deliver what is due now, then exit")
@click.option("--interval", default=5.0, show_default=True, help="seconds between passes")
def notify_run(once, interval) -> None:
    """Deliver queued notifications; retries failed ones with backoff."""
    import threading

    sessions = current_app.extensions["leadcapture.sessions"]
    channels = Channels.from_env(current_app.config["SERVER_URL"])
    if channels.smtp is None:
        click.echo("note: LEADCAPTURE_SMTP_HOST is not set; e-mails wait in the queue", err=True)
    if once:
        stats = run_once(sessions, channels)
        click.echo(", ".join(f"{n} {what}" for what, n in sorted(stats.items())) or "nothing due")
        return
    stop = threading.Event()
    click.echo(f"delivering notifications every {interval:g}s; Ctrl+C stops", err=True)
    try:
        run_forever(sessions, channels, stop, interval)
    except KeyboardInterrupt:
        stop.set()


@notify.command("status")
def notify_status() -> None:
    """Count notifications by channel and status, with the last error of those not sent."""
    with new_session() as session:
        rows = session.execute(select(Notification.channel, Notification.status, func.count())
                               .group_by(Notification.channel, Notification.status)
                               .order_by(Notification.channel, Notification.status)).all()
        errors = session.execute(select(Notification.id, Notification.channel, Notification.last_error)
                                 .where(Notification.last_error.is_not(None), Notification.sent_at.is_(None))
                                 .order_by(Notification.id.desc()).limit(5)).all()
    if not rows:
        click.echo("no notifications yet")
    for channel, status, count in rows:
        click.echo(f"{channel:8} {status:8} {count}")
    for notification_id, channel, error in errors:
        click.echo(f"  #{notification_id} {channel}: {error}")
