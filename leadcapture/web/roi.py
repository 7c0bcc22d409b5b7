"""ROI pages for marketing (FR/EN): events compared, one event's report with charts and drill-downs,
the cost ledger, deals behind the figures, a person's journey, and (admins) settings and rates.

Views are thin: parse the form, call one function of leadcapture.roi, render.
Marketing sees the events they work; admins every event.
"""
from __future__ import annotations

from datetime import date

from babel.numbers import format_decimal
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select

from ..flask_db import request_session
from ..models import Event
from ..models.roi import AttributionCredit, Deal, EventCost, ExchangeRate
from ..roi import charts, config
from ..roi.attribution import MODELS, WINDOWS
from ..roi.costs import CATEGORIES, add_cost, delete_cost, import_costs
from ..roi.credits import checks, recompute
from ..roi.export import report_csv, report_xlsx
from ..roi.money import MoneyError, format_money, to_decimal
from ..roi.rates import import_rates, parse_rate, set_rate
from ..roi.reports import LAGS, basis, by_answer, compare, event_report, funnel, journey, leaderboard, leads_per_hour
from .access import visible_event_ids, visible_events
from .auth import roles_required

bp = Blueprint("roi", __name__, url_prefix="/roi")
MODEL_NAMES = {"event_sourced": _l("Event-sourced"), "first_touch": _l("First touch"),
               "last_touch": _l("Last touch"), "linear": _l("Even (linear)"), "w_shaped": _l("W-shaped"),
               "influenced": _l("Influenced (yes/no)")}
MODEL_HELP = {
    "event_sourced": _l("The event created the lead and the deal was created within the window after it: "
                        "all the credit."),
    "first_touch": _l("All the credit to the event of the person's first touch before the deal."),
    "last_touch": _l("All the credit to the event of the last touch before the deal was created."),
    "linear": _l("Every touch before the deal gets an equal share."),
    "w_shaped": _l("Shares 0.3 first touch, 0.3 lead creation, 0.3 deal creation, 0.1 over the other touches."),
    "influenced": _l("Events with a touch in the 365 days before close. Shown, never summed."),
}


def _events_query():
    return visible_events().order_by(Event.starts_on, Event.id)


def _event(event_id: int) -> Event:
    event = request_session().get(Event, event_id)
    if event is None or not current_user.actor.can_reach_event(event.id):
        abort(404)  # someone else's event is not even named
    return event


def _basis(settings):
    window = request.args.get("window", "")
    try:
        return basis(settings, request.args.get("model") or None, int(window) if window.isdigit() else None,
                     date.today())
    except ValueError as exc:
        flash(str(exc), "error")
        return basis(settings, None, None, date.today())


@bp.app_template_filter("money")
def money_filter(minor, currency: str) -> str:
    return format_money(minor, currency, str(get_locale()))


@bp.app_template_filter("ratio")
def ratio_filter(value) -> str:
    return "-" if value is None else f"{value:.2f}"


def _major(currency: str):
    """Minor units -> major units as a float: chart geometry only, never a figure people read."""
    return lambda minor: float(to_decimal(minor, currency))


def _chart_money(currency: str):
    """Axis and tooltip labels: whole major units ("12 000 EUR")."""
    return lambda v: f"{format_decimal(round(v), locale=str(get_locale()))} {currency}"


@bp.get("/")
@roles_required("marketing")
def overview():
    db = request_session()
    settings = config.load(db)
    b = _basis(settings)
    ids = list(db.scalars(_events_query().with_only_columns(Event.id)))
    comparison = compare(db, settings, b, ids)
    major = _major(settings.currency)
    names = [r["event"].name for r in comparison.rows]
    chart = charts.bars(_("Cost, pipeline and won revenue per event"), names, [
        (_("Cost"), [major(r["cost"]) for r in comparison.rows]),
        (_("Pipeline"), [major(r["pipeline"]) for r in comparison.rows]),
        (_("Won revenue"), [major(r["won"]) for r in comparison.rows])], fmt=_chart_money(settings.currency)) \
        if comparison.rows else None
    trend = charts.lines(_("ROI over time"), [r["event"].starts_on.strftime("%Y-%m") for r in comparison.rows],
                         [(_("ROI"), [float(r["roi"] or 0) for r in comparison.rows])],
                         fmt=lambda v: f"{v:.1f}") if len(comparison.rows) > 1 else None
    failures = checks(db, settings, date.today()) if request.args.get("check") == "1" else None
    return render_template("roi/overview.html", c=comparison, settings=settings, chart=chart, trend=trend,
                           models=MODELS, windows=WINDOWS, model_names=MODEL_NAMES, model_help=MODEL_HELP,
                           failures=failures)


@bp.get("/events/<int(max=2147483647):event_id>")
@roles_required("marketing")
def event_page(event_id: int):
    db = request_session()
    event, settings = _event(event_id), config.load(db)
    report = event_report(db, event, settings, _basis(settings))
    f = funnel(db, event, settings)
    cur = settings.currency
    major = _major(cur)
    lag_chart = charts.lines(_("Pipeline and won revenue after the event"), [_("%(d)s days", d=d) for d in LAGS], [
        (_("Pipeline"), [major(report.lag[d]["pipeline"]) for d in LAGS]),
        (_("Won revenue"), [major(report.lag[d]["won"]) for d in LAGS]),
        (_("Cost"), [major(report.cost) for _d in LAGS])], fmt=_chart_money(cur))
    funnel_chart = charts.bars(_("Funnel"), [_("Scanned"), _("Qualified"), _("Synced"), _("Opportunity"), _("Won")],
                               [(_("Leads"), [f.scanned, f.qualified, f.synced, f.opportunity, f.won])])
    hours = leads_per_hour(db, event)
    hour_chart = charts.bars(_("New leads per hour"), [h[5:] for h, _n in hours],
                             [(_("Leads"), [n for _h, n in hours])]) if hours else None
    return render_template("roi/event.html", event=event, r=report, f=f, settings=settings, cur=cur,
                           lag_chart=lag_chart, funnel_chart=funnel_chart, hour_chart=hour_chart,
                           board=leaderboard(db, event), answers=by_answer(db, event), lags=LAGS,
                           categories=CATEGORIES, models=MODELS, windows=WINDOWS, model_names=MODEL_NAMES,
                           model_help=MODEL_HELP, to_decimal=to_decimal)


@bp.get("/events/<int(max=2147483647):event_id>/deals")
@roles_required("marketing")
def deals(event_id: int):
    db = request_session()
    event, settings = _event(event_id), config.load(db)
    b = _basis(settings)
    rows = db.execute(select(AttributionCredit, Deal).join(Deal, Deal.id == AttributionCredit.deal_id)
                      .where(AttributionCredit.event_id == event.id, AttributionCredit.model == b.model,
                             AttributionCredit.window_days == b.window_days)
                      .order_by(Deal.created_on, Deal.id)).all()
    return render_template("roi/deals.html", event=event, rows=rows, b=b, cur=settings.currency,
                           model_names=MODEL_NAMES, to_decimal=to_decimal)


@bp.get("/events/<int(max=2147483647):event_id>/report.<any(csv, xlsx):fmt>")
@roles_required("marketing")
def export(event_id: int, fmt: str):
    db = request_session()
    event, settings = _event(event_id), config.load(db)
    report = event_report(db, event, settings, _basis(settings))
    name = f"{event.slug}-roi-{report.basis.model}-{report.basis.window}"
    if fmt == "csv":
        return Response(report_csv(report), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return Response(report_xlsx(report),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


def _recompute(db) -> None:
    recompute(db, config.load(db), date.today())


@bp.post("/events/<int(max=2147483647):event_id>/costs")
@roles_required("marketing")
def add_cost_view(event_id: int):
    db = request_session()
    event = _event(event_id)
    try:
        if request.files.get("file"):
            count = import_costs(db, event, request.files["file"].read().decode("utf-8-sig"),
                                 current_user.actor)
            flash(_("%(n)s cost lines imported.", n=count), "info")
        else:
            add_cost(db, event, {k: v for k, v in request.form.items() if k != "csrf_token" and v != ""},
                     current_user.actor)
            flash(_("Cost added."), "info")
    except ValidationError as exc:
        db.rollback()
        flash(_("Nothing saved: %(errors)s", errors=_flat(exc.messages)), "error")
        return redirect(url_for("roi.event_page", event_id=event.id) + "#costs")
    db.commit()
    return redirect(url_for("roi.event_page", event_id=event.id) + "#costs")


@bp.post("/costs/<int(max=2147483647):cost_id>/delete")
@roles_required("marketing")
def delete_cost_view(cost_id: int):
    db = request_session()
    row = db.get(EventCost, cost_id) or abort(404)
    event = _event(row.event_id)
    delete_cost(db, row, current_user.actor)
    db.commit()
    flash(_("Cost deleted."), "info")
    return redirect(url_for("roi.event_page", event_id=event.id) + "#costs")


@bp.get("/journey")
@roles_required("marketing")
def journey_page():
    email = (request.args.get("email") or "").strip()
    ids = visible_event_ids()
    mine = None if ids is None else set(ids)
    found = journey(request_session(), email, mine) if email else None
    return render_template("roi/journey.html", email=email, j=found, cur=config.load(request_session()).currency,
                           to_decimal=to_decimal)


@bp.route("/settings", methods=["GET", "POST"])
@roles_required()
def settings_page():
    db = request_session()
    errors = {}
    if request.method == "POST":
        form = request.form
        data = {"reporting_currency": form.get("reporting_currency", ""), "default_model": form.get("default_model"),
                "window": int(form["window"]) if form.get("window", "").isdigit() else form.get("window"),
                "influence_days": int(form["influence_days"]) if form.get("influence_days", "").isdigit()
                else form.get("influence_days"),
                "qualified_grade": form.get("qualified_grade"),
                "w_shaped": {k: form.get(f"w_{k}", "") for k in ("first", "lead", "deal", "rest")}}
        try:
            config.save(db, data, current_user.actor)
            _recompute(db)
            db.commit()
            flash(_("Settings saved; credits recomputed."), "info")
            return redirect(url_for("roi.settings_page"))
        except ValidationError as exc:
            db.rollback()
            errors = exc.messages
    settings = config.load(db)
    rates = db.scalars(select(ExchangeRate).where(ExchangeRate.base == settings.currency)
                       .order_by(ExchangeRate.currency, ExchangeRate.valid_from.desc())).all()
    return render_template("roi/settings.html", s=settings.values, h=settings.config_hash(), errors=errors,
                           rates=rates, models=MODELS[:-1], windows=WINDOWS, model_names=MODEL_NAMES), \
        422 if errors else 200


@bp.post("/rates")
@roles_required()
def add_rates():
    db = request_session()
    base = config.load(db).currency
    try:
        if request.files.get("file"):
            count = import_rates(db, base, request.files["file"].read().decode("utf-8-sig"), current_user.actor)
        else:
            set_rate(db, base, request.form.get("currency", ""), date.fromisoformat(request.form.get("on", "")),
                     parse_rate(request.form.get("rate", "")), current_user.actor)
            count = 1
    except (MoneyError, ValueError) as exc:
        db.rollback()
        flash(_("Nothing saved: %(errors)s", errors=str(exc)), "error")
        return redirect(url_for("roi.settings_page") + "#rates")
    _recompute(db)
    db.commit()
    flash(_("%(n)s rates saved; credits recomputed.", n=count), "info")
    return redirect(url_for("roi.settings_page") + "#rates")


@bp.post("/recompute")
@roles_required("marketing")
def recompute_view():
    db = request_session()
    _recompute(db)
    db.commit()
    flash(_("Credits recomputed."), "info")
    return redirect(url_for("roi.overview", check="1"))


def _flat(messages, prefix: str = "") -> str:
    if isinstance(messages, dict):
        return "; ".join(_flat(v, f"{prefix}{k}: ") for k, v in messages.items())
    if isinstance(messages, list):
        return prefix + ", ".join(str(m) for m in messages)
    return prefix + str(messages)
