"""`leadcapture connectors ...` and `leadcapture sync ...`: CRM connections and the outbox worker."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from sync import outbox
from sync.base import SyncError
from sync.configs import (ConfigRejected, add_connector, check_connector, connectors_for, describe, set_enabled,
                          update_connector)
from sync.crypto import SecretsUnreadable
from sync.registry import CONNECTORS
from sync.worker import Worker, WorkerSettings

from .actors import Actor
from .audit import record
from .cli_support import session_factory
from .models import CrmConnector, Event, User



def _connector(session, name: str) -> CrmConnector:
    row = session.scalar(select(CrmConnector).where(CrmConnector.name == name))
    if row is None:
        raise click.ClickException(f"no connector {name!r}; see `leadcapture connectors list`")
    return row


@click.group(cls=AppGroup)  # its commands run inside the app (database, config)
def connectors() -> None:
    """CRM connections (HubSpot, Salesforce, webhook, file drop)."""


@connectors.command("add")
@click.argument("kind", type=click.Choice(sorted(CONNECTORS)))
@click.option("--event", "event_slug", help="for this event only (default: every event)")
@click.option("--name", help="a name to refer to it (default: KIND-EVENT or KIND-global)")
@click.option("--set", "pairs", multiple=True, metavar="FIELD=VALUE",
              help="a setting (repeatable); secrets left out are asked for without echo")
def connectors_add(kind, event_slug, name, pairs) -> None:
    """Add a connector; `leadcapture connectors fields KIND` lists its settings."""
    values = _pairs(pairs)
    for field in CONNECTORS[kind].fields:
        if field.secret and field.required and not values.get(field.name):
            # Asked for rather than taken from the command line, which shell history would keep.
            values[field.name] = click.prompt(field.label, hide_input=True)
    with session_factory()() as session:
        event = None
        if event_slug:
            event = session.scalar(select(Event).where(Event.slug == event_slug))
            if event is None:
                raise click.ClickException(f"no event {event_slug!r}; see `leadcapture events list`")
        try:
            row = add_connector(session, kind, name or f"{kind}-{event_slug or 'global'}", event, values,
                                Actor.cli())
        except ConfigRejected as exc:
            raise click.ClickException("; ".join(f"{k}: {v}" for k, v in exc.errors.items()))
        session.commit()
        click.echo(f"connector {row.name} ({kind}) added for {event_slug or 'every event'}; "
                   f"try it with `leadcapture connectors check {row.name}`")


@connectors.command("set")
@click.argument("name")
@click.option("--set", "pairs", multiple=True, metavar="FIELD=VALUE", required=True,
              help="a setting to change (repeatable); the others keep their values")
def connectors_set(name, pairs) -> None:
    """Change some settings of a connector (e.g. a new token); it is tried again at once."""
    with session_factory()() as session:
        row = _connector(session, name)
        values = {**row.config, **_pairs(pairs)}
        try:
            update_connector(session, row, values, Actor.cli())
        except ConfigRejected as exc:
            raise click.ClickException("; ".join(f"{k}: {v}" for k, v in exc.errors.items()))
        session.commit()
    click.echo(f"connector {name} updated")


def _pairs(pairs) -> dict:
    values = {}
    for pair in pairs:
        field, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not FIELD=VALUE", param_hint="--set")
        values[field.strip()] = value
    return values


@connectors.command("fields")
@click.argument("kind", type=click.Choice(sorted(CONNECTORS)))
def connectors_fields(kind) -> None:
    """List a connector kind's settings."""
    for field in CONNECTORS[kind].fields:
        flags = ", ".join(f for f, on in (("required", field.required), ("secret", field.secret)) if on)
        default = f" [default: {field.default}]" if field.default not in (None, "") else ""
        click.echo(f"{field.name:20} {field.label}{default}{f' ({flags})' if flags else ''}"
                   f"{f' - {field.help}' if field.help else ''}")


@connectors.command("list")
def connectors_list() -> None:
    """List connectors with their settings (secrets only as set / not set)."""
    with session_factory()() as session:
        rows = connectors_for(session, None)
        events = {e.id: e.slug for e in session.scalars(select(Event))}
        if not rows:
            click.echo("no connector yet; add one with `leadcapture connectors add`")
        for row in rows:
            shown = describe(row)
            state = "enabled" if row.enabled else "disabled"
            click.echo(f"{row.name} ({row.kind}, {events.get(row.event_id, 'every event')}, {state})")
            for setting in shown["settings"]:
                click.echo(f"    {setting['name']}: {setting['value']}")


@connectors.command("check")
@click.argument("name")
def connectors_check(name) -> None:
    """Test a connector's credentials and permissions (exit 1 if they fail)."""
    with session_factory()() as session:
        result = check_connector(session, _connector(session, name), Actor.cli())
        session.commit()
    click.echo(("ok: " if result.ok else "failed: ") + result.message)
    if not result.ok:
        raise SystemExit(1)


@connectors.command("enable")
@click.argument("name")
def connectors_enable(name) -> None:
    """Enable a connector: new and changed leads are queued for it again."""
    _set_enabled(name, True)


@connectors.command("disable")
@click.argument("name")
def connectors_disable(name) -> None:
    """Disable a connector: nothing more is queued or pushed for it."""
    _set_enabled(name, False)


def _set_enabled(name: str, enabled: bool) -> None:
    with session_factory()() as session:
        set_enabled(session, _connector(session, name), enabled, Actor.cli())
        session.commit()
    click.echo(f"connector {name} {'enabled' if enabled else 'disabled'}")


@click.group("sync", cls=AppGroup)
def sync_group() -> None:
    """Push leads to the CRMs from the outbox, and watch it."""


@sync_group.command("run")
@click.option("--once", is_flag=True, help="push what is due now, then stop")
@click.option("--connector", "names", multiple=True, help="only this connector (repeatable)")
def sync_run(once, names) -> None:
    """Run the sync worker (until Ctrl+C, or --once). Several can run at once on PostgreSQL."""
    worker = Worker(session_factory(), WorkerSettings.from_env(), connector_names=list(names) or None)
    if once:
        counts = worker.run_once()
        click.echo(", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing was due")
        return
    click.echo("sync worker running; Ctrl+C stops")
    try:
        worker.run_forever()
    except KeyboardInterrupt:
        worker.stop()


@sync_group.command("status")
@click.option("--follow", is_flag=True, help="show a progress bar until nothing is pending")
def sync_status(follow) -> None:
    """Pending, done and dead leads per connector."""
    with session_factory()() as session:
        rows = connectors_for(session, None)
        counts = outbox.status_counts(session)
    if not rows:
        click.echo("no connector yet; add one with `leadcapture connectors add`")
        return
    click.echo(f"{'connector':24} {'kind':10} {'pending':>8} {'done':>8} {'dead':>6} {'discarded':>9}  state")
    for row in rows:
        c = counts.get(row.id, {})
        click.echo(f"{row.name[:24]:24} {row.kind:10} {c.get('pending', 0):>8} {c.get('done', 0):>8} "
                   f"{c.get('dead', 0):>6} {c.get('discarded', 0):>9}  {_state(row, c)}")
    if follow:
        _follow(sum(c.get("pending", 0) for c in counts.values()))


def _state(row: CrmConnector, counts) -> str:
    if not row.enabled:
        return "disabled"
    now = datetime.now(timezone.utc)
    if row.paused_until and row.paused_until > now:
        return f"waiting until {row.paused_until:%H:%M:%S} UTC: {row.last_error}"
    total = sum(counts.values())
    if counts.get("pending") and total:
        done = total - counts["pending"]
        filled = round(20 * done / total)
        return f"draining [{'#' * filled}{'.' * (20 - filled)}] {100 * done // total}%"
    return "ok"


def _follow(pending_now: int) -> None:
    if not pending_now:
        click.echo("nothing pending")
        return
    with click.progressbar(length=pending_now, label="pushing") as bar:
        left = pending_now
        while left:
            time.sleep(0.5)
            with session_factory()() as session:
                now = sum(c.get("pending", 0) for c in outbox.status_counts(session).values())
            bar.update(max(left - now, 0))
            left = min(left, now)


@sync_group.command("outcomes")
@click.argument("name")
@click.option("--since", required=True, type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
              help="UTC date or time")
def sync_outcomes(name, since) -> None:
    """Print the deals/opportunities changed since a time, as JSON lines, with our lead ids."""
    from sync.outcomes import pull

    with session_factory()() as session:
        try:
            linked = pull(session, _connector(session, name), since.replace(tzinfo=timezone.utc))
        except (SyncError, SecretsUnreadable) as exc:
            raise click.ClickException(str(exc))
    for item in linked:
        o = item.outcome
        click.echo(json.dumps({
            "crm_id": o.crm_id, "name": o.name, "stage": o.stage, "amount": o.amount, "currency": o.currency,
            "closed": o.is_closed, "won": o.is_won,
            "close_date": o.close_date.isoformat() if o.close_date else None,
            "lead_ids": list(item.lead_ids)}, ensure_ascii=False))


@sync_group.command("pull-outcomes")
@click.argument("names", nargs=-1)
def sync_pull_outcomes(names) -> None:
    """Pull and store the deals changed since each connector's last pull (all that can, or those named),
    then recompute the ROI credits."""
    from leadcapture.roi.outcomes import pull_and_store, pulls_outcomes

    with session_factory()() as session:
        rows = [_connector(session, n) for n in names] if names else session.scalars(
            select(CrmConnector).where(CrmConnector.enabled.is_(True)).order_by(CrmConnector.id)).all()
        session.rollback()
    failed = False
    for row in rows:
        if not pulls_outcomes(row):
            click.echo(f"{row.name}: a {row.kind} connector cannot pull deals", err=True)
            continue
        try:
            counts = pull_and_store(session_factory(), row.id)
        except (SyncError, SecretsUnreadable) as exc:
            click.echo(f"{row.name}: {exc}", err=True)
            failed = True
            continue
        click.echo(f"{row.name}: {counts['created']} new deals, {counts['updated']} updated")
    if failed:
        raise click.ClickException("some connectors could not pull their deals (see above)")


@click.command("crm-id")
@with_appcontext
@click.argument("email")
@click.option("--hubspot", help="the rep's HubSpot owner id")
@click.option("--salesforce", help="the rep's Salesforce user id")
def users_crm_id(email, hubspot, salesforce) -> None:
    """Set a rep's user ids in the CRMs, so the leads routed to them get them as owner there."""
    with session_factory()() as session:
        user = session.scalar(select(User).where(User.email == email.lower()))
        if user is None:
            raise click.ClickException(f"no user {email}")
        ids = dict(user.crm_ids or {})
        ids.update({k: v for k, v in (("hubspot", hubspot), ("salesforce", salesforce)) if v is not None})
        user.crm_ids = {k: v for k, v in ids.items() if v}  # an empty value removes it
        record(session, Actor.cli(), "user.crm_ids", "user", user.id, None, {"crm_ids": user.crm_ids})
        session.commit()
    click.echo(f"{email}: {user.crm_ids or 'no CRM ids'}")
