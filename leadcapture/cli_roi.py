"""`leadcapture roi EVENT` (the report) and `leadcapture roi-data ...` (costs, rates, deals, credits)."""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext
from marshmallow import ValidationError

from .actors import Actor
from .cli_support import event_by_slug, session_factory
from .roi import config
from .roi.attribution import MODELS, WINDOWS
from .roi.costs import import_costs
from .roi.credits import checks, recompute
from .roi.export import report_csv, report_rows
from .roi.money import MoneyError
from .roi.outcomes import import_deals
from .roi.rates import import_rates
from .roi.reports import basis, event_report, funnel




def _errors(exc: ValidationError) -> str:
    return json.dumps(exc.messages, ensure_ascii=False, indent=1, default=str)


@click.command("roi")
@with_appcontext
@click.argument("event_slug")
@click.option("--model", type=click.Choice(MODELS), help="default: the organisation's (event_sourced)")
@click.option("--window", type=int, help=f"days after the event for event_sourced: {', '.join(map(str, WINDOWS))}")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help="report date (default today)")
@click.option("--csv", "as_csv", is_flag=True, help="print CSV instead of text")
def roi_cmd(event_slug, model, window, as_of, as_csv) -> None:
    """The ROI report of one event: costs, leads, pipeline, revenue, ROI, and the same 30-365 days after."""
    with session_factory()() as session:
        settings = config.load(session)
        try:
            b = basis(settings, model, window, as_of.date() if as_of else date.today())
        except ValueError as exc:
            raise click.UsageError(str(exc))
        report = event_report(session, event_by_slug(session, event_slug), settings, b)
        if as_csv:
            click.echo(report_csv(report), nl=False)
            return
        for section, item, value, detail in report_rows(report):
            click.echo(f"{section:<16} {item:<26} {'' if value is None else value}"
                       + (f"  ({detail})" if detail else ""))
        f = funnel(session, report.event, settings)
        click.echo(f"{'funnel':<16} scanned {f.scanned} -> qualified {f.qualified} -> synced {f.synced} "
                   f"-> opportunity {f.opportunity} -> won {f.won}")
        for problem in report.problems:
            click.echo(f"warning: {problem}", err=True)


@click.group("roi-data", cls=AppGroup)
def roi_data() -> None:
    """ROI data: cost ledger, exchange rates, deals CSV, attribution credits."""


@roi_data.command("import-costs")
@click.argument("event_slug")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_costs_cmd(event_slug, csv_file) -> None:
    """Add an event's costs from a CSV (all lines or none)."""
    with session_factory()() as session:
        try:
            count = import_costs(session, event_by_slug(session, event_slug), csv_file.read_text("utf-8"), Actor.cli())
        except ValidationError as exc:
            click.echo(_errors(exc), err=True)
            sys.exit(2)
        session.commit()
    click.echo(f"{count} cost lines imported")


@roi_data.command("import-rates")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_rates_cmd(csv_file) -> None:
    """Exchange rates into the reporting currency: columns currency,date,rate (all lines or none)."""
    with session_factory()() as session:
        settings = config.load(session)
        try:
            count = import_rates(session, settings.currency, csv_file.read_text("utf-8"), Actor.cli())
        except MoneyError as exc:
            click.echo(str(exc), err=True)
            sys.exit(2)
        recompute(session, settings, date.today())
        session.commit()
    click.echo(f"{count} rates imported into {settings.currency}; credits recomputed")


@roi_data.command("import-deals")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_deals_cmd(csv_file) -> None:
    """Deals from a CSV (crm_id,name,stage,status,amount,currency,created_on,close_date,emails)."""
    with session_factory()() as session:
        try:
            counts = import_deals(session, csv_file.read_text("utf-8"), Actor.cli())
        except ValidationError as exc:
            click.echo(_errors(exc), err=True)
            sys.exit(2)
        recompute(session, config.load(session), date.today())
        session.commit()
    click.echo(f"deals: {counts['created']} new, {counts['updated']} updated; credits recomputed")


@roi_data.command("recompute")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help="rate date of open deals (default today)")
def recompute_cmd(as_of) -> None:
    """Recompute every attribution credit from the stored deals, touches, rates and settings."""
    with session_factory()() as session:
        settings = config.load(session)
        result = recompute(session, settings, as_of.date() if as_of else date.today())
        session.commit()
    click.echo(f"{len(result.rows)} credit rows (settings {settings.config_hash()})")
    for problem in result.problems:
        click.echo(f"warning: {problem}", err=True)


@roi_data.command("check")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help="the date the credits were computed for")
def check_cmd(as_of) -> None:
    """Verify the credits (weights, sums, won total, reproducibility); exit 1 listing what fails."""
    with session_factory()() as session:
        failures = checks(session, config.load(session), as_of.date() if as_of else date.today())
    for failure in failures:
        click.echo(f"FAIL {failure}", err=True)
    if failures:
        sys.exit(1)
    click.echo("all ROI checks pass")
