"""The `leadcapture` command (click, through Flask's CLI)."""
from __future__ import annotations

import gc
import json
import re
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from . import create_app
from .actors import Actor
from .audit import record
from .badges import BadgeError, parse_badge, parse_badge_photo
from .cli_roi import roi_cmd, roi_data
from .cli_rules import notify, reps, rules
from .cli_support import event_by_slug, new_session
from .cli_sync import connectors, sync_group, users_crm_id
from .db import utcnow
from .event_settings import load_settings
from .models import Device, Event, Role, User


def main() -> None:
    cli(prog_name="leadcapture")


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=False,
             help="Trade-show lead capture: server, data and tools.")
def cli() -> None:
    pass




@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--notify/--no-notify", default=True, show_default=True,
              help="also deliver rep notifications from a thread (see `leadcapture notify`)")
@click.option("--sync/--no-sync", "with_sync", default=True, show_default=True,
              help="also push leads to the CRMs from a thread (see `leadcapture sync`)")
@click.option("--https", "use_https", is_flag=True,
              help="serve TLS with this laptop's own certificate authority, for tablets on the booth network")
@click.option("--setup-port", type=int, help="with --https: plain-HTTP port of the CA set-up page [port + 1]")
@click.option("--name", "tls_names", multiple=True, help="with --https: extra address or host name for the certificate")
def serve(host: str, port: int, threads: int, notify: bool, with_sync: bool, use_https: bool,
          setup_port: int | None, tls_names: tuple[str, ...]) -> None:
    """Serve the app with waitress (Windows, macOS and Linux), or over TLS with cheroot (--https)."""
    from waitress import serve as waitress_serve

    if notify:
        from .notify.sender import Channels, start_thread

        start_thread(current_app.extensions["leadcapture.sessions"],
                     Channels.from_env(current_app.config["SERVER_URL"]))
    if with_sync:
        import atexit

        from sync.worker import start_thread as start_sync

        # Stopped at exit (Ctrl+C) after its current batch, so no claim is left waiting for its lease.
        atexit.register(start_sync(current_app.extensions["leadcapture.sessions"]).shutdown)
    # Everything loaded so far lives as long as the server: keep the garbage collector from
    # re-scanning it on every full collection (those pauses showed up as slow scans).
    gc.freeze()
    if use_https:
        from .https_server import serve_https

        serve_https(current_app._get_current_object(), host, port, threads, setup_port or port + 1, tls_names)
        return
    click.echo(f"leadcapture on http://{host}:{port}/ (kiosk at /kiosk); Ctrl+C stops")
    waitress_serve(current_app._get_current_object(), host=host, port=port, threads=threads)


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations up to the newest."""
    from .migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"])
    click.echo("database is up to date")


@cli.command()
def demo() -> None:
    """Load the demo event "Salon Demo", its users, a device and 200 attendees (once)."""
    from .demo import load_demo

    with new_session() as session:
        summary = load_demo(session)
        session.commit()
    if summary is None:
        click.echo("demo data already loaded")
        return
    click.echo(summary)


@cli.group()
def events() -> None:
    """Trade shows."""


@events.command("add")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--starts", "starts_on", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--ends", "ends_on", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--venue")
@click.option("--city")
@click.option("--country", help="ISO 3166 two-letter code, e.g. FR")
@click.option("--timezone", default="Europe/Paris", show_default=True)
@click.option("--currency", default="EUR", show_default=True)
@click.option("--settings", "settings_file", type=click.File(), help="JSON file of event settings")
def events_add(slug, name, starts_on, ends_on, venue, city, country, timezone, currency, settings_file) -> None:
    """Create an event."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    from marshmallow import ValidationError

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown time zone {timezone!r}; use a name like Europe/Paris", param_hint="--timezone")
    # The slug goes into URLs and exports. Codes are checked here because PostgreSQL would refuse
    # a longer one with a traceback while SQLite would store it as it is.
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,79}", slug):
        raise click.BadParameter("use lowercase letters, digits and hyphens, e.g. salon-2026", param_hint="SLUG")
    if country and not re.fullmatch(r"[A-Za-z]{2}", country):
        raise click.BadParameter(f"{country!r} is not a two-letter ISO code such as FR", param_hint="--country")
    if not re.fullmatch(r"[A-Za-z]{3}", currency):
        raise click.BadParameter(f"{currency!r} is not a three-letter ISO code such as EUR", param_hint="--currency")
    if ends_on and ends_on < starts_on:
        raise click.BadParameter("the event cannot end before it starts", param_hint="--ends")
    try:
        settings = load_settings(json.load(settings_file) if settings_file else {})
    except (ValidationError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"invalid settings: {getattr(exc, 'messages', exc)}")
    with new_session() as session:
        if session.scalar(select(Event.id).where(Event.slug == slug)):
            raise click.ClickException(f"event {slug!r} already exists")
        event = Event(slug=slug, name=name, starts_on=starts_on.date(), ends_on=(ends_on or starts_on).date(),
                      venue=venue, city=city, country=country.upper() if country else None,
                      timezone=timezone, currency=currency.upper(), settings=settings)
        session.add(event)
        session.flush()
        record(session, Actor.cli(), "event.create", "event", event.id, event.id, {"slug": slug})
        session.commit()
    click.echo(f"event {slug} created")


@events.command("list")
def events_list() -> None:
    """List events."""
    with new_session() as session:
        found = session.scalars(select(Event).order_by(Event.starts_on)).all()
    if not found:
        click.echo("no events yet; create one with `leadcapture events add` or `leadcapture demo`")
    for event in found:
        click.echo(f"{event.slug:24} {event.starts_on} {event.name}")


@cli.group()
def users() -> None:
    """People who use leadcapture."""


@users.command("add")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password", help="for the web pages; omit for kiosk-only staff")
@click.option("--pin", help="4-6 digit kiosk PIN")
@click.option("--event", "event_slugs", multiple=True, help="event slug this user works (repeatable)")
@click.option("--token", "with_token", is_flag=True, help="also print an API token (valid 90 days)")
def users_add(email, name, role, password, pin, event_slugs, with_token) -> None:
    """Create a user."""
    from .tokens import new_user_token

    if pin is not None and not (pin.isdigit() and 4 <= len(pin) <= 6):
        raise click.BadParameter("a PIN is 4 to 6 digits", param_hint="--pin")
    with new_session() as session:
        if session.scalar(select(User.id).where(User.email == email.lower())):
            raise click.ClickException(f"user {email} already exists")
        user = User(email=email.lower(), name=name, role=role,
                    password_hash=generate_password_hash(password) if password else None,
                    pin_hash=generate_password_hash(pin) if pin else None)
        user.events = [event_by_slug(session, slug) for slug in event_slugs]
        session.add(user)
        session.flush()
        record(session, Actor.cli(), "user.create", "user", user.id, None, {"email": user.email, "role": role})
        token = new_user_token(session, user, label="cli")[1] if with_token else None
        session.commit()
    click.echo(f"user {email} ({role}) created")
    if token:
        click.echo(f"API token (shown once): {token}")


@users.command("token")
@click.argument("email")
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 3650))
def users_token(email, days) -> None:
    """Issue an API bearer token for a user (shown once)."""
    from .tokens import new_user_token

    with new_session() as session:
        user = session.scalar(select(User).where(User.email == email.lower()))
        if user is None:
            raise click.ClickException(f"no user {email}")
        _row, token = new_user_token(session, user, days=days, label="cli")
        record(session, Actor.cli(), "token.issue", "user", user.id, None, {"days": days})
        session.commit()
    click.echo(token)


@cli.group()
def devices() -> None:
    """Tablets paired to an event."""


@devices.command("add")
@click.argument("event_slug")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="print a JSON object with the token")
def devices_add(event_slug, name, as_json) -> None:
    """Create a device for an event and print its token (shown once)."""
    from .tokens import new_device

    with new_session() as session:
        event = event_by_slug(session, event_slug)
        device, token = new_device(session, event, name)
        record(session, Actor.cli(), "device.create", "device", device.id, event.id, {"name": name})
        session.commit()
        if as_json:
            click.echo(json.dumps({"id": device.id, "event": event.slug, "name": name, "token": token}))
        else:
            click.echo(f"device {device.id} '{name}' for {event.slug}\ntoken (shown once): {token}")


@devices.command("revoke")
@click.argument("device_id", type=int)
def devices_revoke(device_id) -> None:
    """Revoke a device: its token stops working at once."""
    with new_session() as session:
        device = session.get(Device, device_id)
        if device is None:
            raise click.ClickException(f"no device {device_id}")
        if device.revoked_at is None:
            device.revoked_at = utcnow()
            record(session, Actor.cli(), "device.revoke", "device", device.id, device.event_id)
            session.commit()
    click.echo(f"device {device_id} revoked")


@cli.command("import-attendees")
@click.argument("event_slug")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_attendees_cmd(event_slug, csv_file) -> None:
    """Import an event's attendee roster from CSV (French or English headers)."""
    from .attendees import RosterError, import_roster, read_roster

    try:
        roster = read_roster(csv_file.read_bytes())
    except RosterError as exc:
        raise click.ClickException(str(exc))
    with new_session() as session:
        event = event_by_slug(session, event_slug)
        with click.progressbar(length=len(roster.rows), label="importing", file=sys.stderr) as bar:
            report = import_roster(session, event, roster, Actor.cli(), progress=bar.update)
        session.commit()
    click.echo(report.summary())
    for line, message in report.rejected:
        click.echo(f"  line {line}: {message}", err=True)
    for note in report.notes:
        click.echo(f"  note: {note}", err=True)


@cli.command("parse-badge")
@click.option("--event", "event_slug", help="use this event's badge formats, field map and country")
@click.option("--image", "image_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="decode the barcode(s) on this badge photo instead of reading standard input")
def parse_badge_cmd(event_slug, image_path) -> None:
    """Parse one badge payload from stdin (or a photo); print the contact as JSON (exit 0) or the error (exit 2).

    Without --event, a new event's defaults apply: vCard, MECARD, e-mail and
    registration id, phones read without a default country.
    """
    settings = country = None
    if event_slug:
        with new_session() as session:
            event = event_by_slug(session, event_slug)
            settings, country = event.settings, event.country
    try:
        if image_path:
            photo = parse_badge_photo(image_path.read_bytes(), settings, country)
            parsed = photo.parsed
            parsed.warnings = photo.warnings + parsed.warnings
        else:
            parsed = parse_badge(_stdin_payload(), settings, country)
    except BadgeError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(json.dumps(parsed.as_dict(), ensure_ascii=False, indent=2))


def _stdin_payload() -> str:
    """Standard input as text: UTF-8, or Windows-1252 as a Windows console may send."""
    raw = sys.stdin.buffer.read()
    try:
        payload = raw.decode("utf-8")
    except UnicodeDecodeError:
        payload = raw.decode("cp1252", errors="replace")
    return payload.rstrip("\r\n") if payload.count("\n") <= 1 else payload


@cli.group()
def export() -> None:
    """Export data."""


@export.command("leads")
@click.argument("event_slug")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="file to write (default: standard output for CSV, EVENT-leads.xlsx for XLSX)")
def export_leads(event_slug, fmt, output) -> None:
    """Export an event's leads as CSV or XLSX."""
    from .exports import leads_csv, leads_xlsx

    with new_session() as session:
        event = event_by_slug(session, event_slug)
        if fmt == "csv":
            data = leads_csv(session, event).encode("utf-8-sig")
        else:
            data = leads_xlsx(session, event)
        record(session, Actor.cli(), "leads.export", "event", event.id, event.id, {"format": fmt})
        session.commit()
    if output is None and fmt == "csv":
        sys.stdout.buffer.write(data)
        return
    output = output or Path(f"{event_slug}-leads.xlsx")
    output.write_bytes(data)
    click.echo(f"wrote {output}", err=True)


# The other command groups live beside their domain, in cli_rules.py, cli_sync.py and cli_roi.py.
for _command in (rules, reps, notify, connectors, sync_group, roi_cmd, roi_data):
    cli.add_command(_command)
users.add_command(users_crm_id)
