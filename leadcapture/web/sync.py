"""CRM sync pages for admin and marketing: connectors (add, test, enable) and dead letters
(read the CRM's error, fix the lead, retry with one click, or discard with a reason).

Secrets are typed into password fields and never rendered back. Marketing
works with the connectors and dead letters of the events they work; the
connectors that serve every event are the admins'.
"""
from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from sync import outbox
from sync.configs import (ConfigRejected, add_connector, check_connector, connectors_for, describe, set_enabled,
                          update_connector)
from sync.registry import CONNECTORS

from ..flask_db import request_session
from ..leads import LeadEditRejected, update_lead
from ..models import CrmConnector, Event, OutboxRow, Role
from .access import visible_event_ids
from .auth import roles_required

bp = Blueprint("sync", __name__, url_prefix="/sync")
FIX_FIELDS = (("first_name", _l("First name")), ("last_name", _l("Last name")), ("email", _l("E-mail")),
              ("company", _l("Company")), ("job_title", _l("Job title")), ("phone", _l("Phone")),
              ("city", _l("City")), ("country", _l("Country (two letters)")))
# sync.configs speaks English; these are the messages a person sees on the form.
CONFIG_ERRORS = {"required": _l("required"),
                 "not a setting of this connector": _l("not a setting of this connector"),
                 "a whole number": _l("a whole number"), "a positive number": _l("a positive number"),
                 "a number of seconds": _l("a number of seconds"), "yes or no": _l("yes or no"),
                 "a URL starting with https:// (or http:// on this machine)":
                     _l("a URL starting with https:// (or http:// on this machine)"),
                 "1-80 letters, digits, spaces, dots, dashes or underscores":
                     _l("1-80 letters, digits, spaces, dots, dashes or underscores")}

# The connectors' own words (sync/ knows no Flask), so that the form speaks the page's language.
FIELD_TEXT = {
    "Private app access token": _l("Private app access token"),
    "API base URL": _l("API base URL"),
    "HubSpot account id": _l("HubSpot account id"),
    "the portal id; marketing events are recorded under it":
        _l("the portal id; marketing events are recorded under it"),
    "Event organiser on marketing events": _l("Event organiser on marketing events"),
    "Requests allowed per 10 s": _l("Requests allowed per 10 s"),
    "100 on free/starter portals, 190 for Professional/Enterprise private apps":
        _l("100 on free/starter portals, 190 for Professional/Enterprise private apps"),
    "Lifecycle stage for new contacts": _l("Lifecycle stage for new contacts"),
    "empty: leave it to HubSpot (it refuses to move a stage backwards)":
        _l("empty: leave it to HubSpot (it refuses to move a stage backwards)"),
    "Record attendance on a marketing event": _l("Record attendance on a marketing event"),
    "Seconds to wait for each call": _l("Seconds to wait for each call"),
    "My Domain URL": _l("My Domain URL"),
    "e.g. https://yourcompany.my.salesforce.com (the client-credentials flow needs it)":
        _l("e.g. https://yourcompany.my.salesforce.com (the client-credentials flow needs it)"),
    "Connected app consumer key": _l("Connected app consumer key"),
    "Connected app consumer secret": _l("Connected app consumer secret"),
    "API version": _l("API version"),
    "External ID field on Lead": _l("External ID field on Lead"),
    "Lead Source value": _l("Lead Source value"),
    "Campaign id": _l("Campaign id"),
    "empty: the event's campaign id": _l("empty: the event's campaign id"),
    "Campaign member status": _l("Campaign member status"),
    "Pause after REQUEST_LIMIT_EXCEEDED (s)": _l("Pause after REQUEST_LIMIT_EXCEEDED (s)"),
    "URL to POST to": _l("URL to POST to"),
    "Signing secret": _l("Signing secret"),
    "Folder to write files into": _l("Folder to write files into"),
    "Column layout (hubspot or salesforce)": _l("Column layout (hubspot or salesforce)"),
    "File format (csv or xlsx)": _l("File format (csv or xlsx)"),
}


def _text(english: str) -> str:
    return str(FIELD_TEXT.get(english, english))


def _managed(connector_id: int) -> CrmConnector:
    """A connector this person may change: admins any; marketing those of their events."""
    row = request_session().get(CrmConnector, connector_id)
    if row is None:
        abort(404)
    ids = visible_event_ids()
    if ids is not None and row.event_id not in ids:
        abort(403)
    return row


def _dead_letter(row_id: int) -> OutboxRow:
    row = request_session().get(OutboxRow, row_id)
    if row is None or row.status != outbox.DEAD:
        abort(404)
    ids = visible_event_ids()
    if ids is not None and row.lead.event_id not in ids:
        abort(403)
    return row


@bp.get("/")
@roles_required(Role.MARKETING.value)
def connectors():
    session = request_session()
    rows = connectors_for(session, visible_event_ids())
    counts = outbox.status_counts(session, [r.id for r in rows])
    events = {e.id: e for e in session.scalars(select(Event))}
    dead = outbox.dead_count(session, visible_event_ids())
    return render_template("sync/connectors.html", rows=[(r, describe(r), counts.get(r.id, {})) for r in rows],
                           events=events, kinds=CONNECTORS, dead=dead, is_admin=current_user.user.is_admin)


@bp.route("/connectors/new/<kind>", methods=["GET", "POST"])
@roles_required(Role.MARKETING.value)
def add(kind: str):
    cls = CONNECTORS.get(kind) or abort(404)
    session = request_session()
    events = session.scalars(select(Event).order_by(Event.starts_on.desc())).all()
    if not current_user.user.is_admin:
        events = [e for e in events if e.id in visible_event_ids()]
    form = request.form
    errors: dict = {}
    if request.method == "POST":
        event = None
        if form.get("event_id"):
            event = next((e for e in events if str(e.id) == form["event_id"]), None) or abort(403)
        elif not current_user.user.is_admin:
            errors["event_id"] = _("choose one of your events")
        values = {f.name: form.get(f.name, "") for f in cls.fields}
        if not errors:
            try:
                row = add_connector(session, kind, form.get("name", "").strip(), event, values, current_user.actor)
            except ConfigRejected as exc:
                errors = {k: CONFIG_ERRORS.get(v, v) for k, v in exc.errors.items()}
            else:
                session.commit()
                flash(_("Connector %(name)s added. Test the connection to be sure.", name=row.name), "ok")
                return redirect(url_for("sync.connectors"))
        session.rollback()
    # Secrets are never put back into the form, even after a mistake elsewhere.
    shown = {f.name: ("" if f.secret else form.get(f.name, "")) for f in cls.fields}
    return render_template("sync/add.html", cls=cls, kind=kind, events=events, shown=shown, form=form,
                           errors=errors, is_admin=current_user.user.is_admin, text=_text, editing=None), 422 if errors else 200


@bp.route("/connectors/<int:connector_id>/edit", methods=["GET", "POST"])
@roles_required(Role.MARKETING.value)
def edit(connector_id: int):
    """Change a connector's settings; secret fields left blank keep what is stored."""
    session = request_session()
    row = _managed(connector_id)
    cls = CONNECTORS[row.kind]
    errors: dict = {}
    if request.method == "POST":
        try:
            update_connector(session, row, {f.name: request.form.get(f.name, "") for f in cls.fields},
                             current_user.actor)
        except ConfigRejected as exc:
            session.rollback()
            errors = {k: CONFIG_ERRORS.get(v, v) for k, v in exc.errors.items()}
        else:
            session.commit()
            flash(_("Connector %(name)s saved.", name=row.name), "ok")
            return redirect(url_for("sync.connectors"))
    source = request.form if errors else {k: "" if v is None else str(v) for k, v in row.config.items()}
    shown = {f.name: ("" if f.secret else source.get(f.name, "")) for f in cls.fields}
    return render_template("sync/add.html", cls=cls, kind=row.kind, events=[], shown=shown, form={},
                           errors=errors, is_admin=current_user.user.is_admin, text=_text, editing=row), 422 if errors else 200


@bp.post("/connectors/<int:connector_id>/check")
@roles_required(Role.MARKETING.value)
def check(connector_id: int):
    session = request_session()
    row = _managed(connector_id)
    result = check_connector(session, row, current_user.actor)
    session.commit()
    if result.ok:
        flash(_("%(name)s: connection works. %(message)s", name=row.name, message=result.message), "ok")
    else:
        flash(_("%(name)s: connection failed. %(message)s", name=row.name, message=result.message), "error")
    return redirect(url_for("sync.connectors"))


@bp.post("/connectors/<int:connector_id>/enabled")
@roles_required(Role.MARKETING.value)
def toggle(connector_id: int):
    session = request_session()
    row = _managed(connector_id)
    set_enabled(session, row, request.form.get("enabled") == "1", current_user.actor)
    session.commit()
    return redirect(url_for("sync.connectors"))


@bp.get("/dead")
@roles_required(Role.MARKETING.value)
def dead_letters():
    rows = outbox.dead_letters(request_session(), visible_event_ids())
    return render_template("sync/dead.html", rows=rows)


@bp.post("/dead/<int:row_id>/retry")
@roles_required(Role.MARKETING.value)
def retry(row_id: int):
    session = request_session()
    row = _dead_letter(row_id)
    outbox.retry_dead(session, row, current_user.actor)
    session.commit()
    flash(_("%(lead)s will be sent to %(connector)s again.", lead=_lead_label(row), connector=row.connector.name),
          "ok")
    return redirect(url_for("sync.dead_letters"))


@bp.post("/dead/<int:row_id>/discard")
@roles_required(Role.MARKETING.value)
def discard(row_id: int):
    session = request_session()
    row = _dead_letter(row_id)
    reason = request.form.get("reason", "").strip()
    if not reason:
        flash(_("Say why this lead is discarded."), "error")
        return redirect(url_for("sync.dead_letters"))
    outbox.discard(session, row, reason[:500], current_user.actor)
    session.commit()
    flash(_("%(lead)s will not be sent to %(connector)s.", lead=_lead_label(row), connector=row.connector.name),
          "ok")
    return redirect(url_for("sync.dead_letters"))


@bp.route("/dead/<int:row_id>/fix", methods=["GET", "POST"])
@roles_required(Role.MARKETING.value)
def fix(row_id: int):
    """Edit the lead behind a dead letter; saving sends it to its CRMs again (the edit re-queues it)."""
    session = request_session()
    row = _dead_letter(row_id)
    errors: dict = {}
    if request.method == "POST":
        changes = {name: (request.form.get(name, "").strip() or None) for name, _label in FIX_FIELDS}
        if changes["country"]:
            changes["country"] = changes["country"].upper()
            if not re.fullmatch(r"[A-Z]{2}", changes["country"]):
                errors["country"] = _("use a two-letter ISO country code such as FR")
        if not errors:
            try:
                update_lead(session, row.lead, changes, current_user.actor)
            except LeadEditRejected as exc:
                session.rollback()
                errors = {k: "; ".join(v) if isinstance(v, list) else str(v) for k, v in exc.errors.items()}
            else:
                session.commit()
                flash(_("Lead saved; it will be sent again."), "ok")
                return redirect(url_for("sync.dead_letters"))
    return render_template("sync/fix.html", row=row, fields=FIX_FIELDS, errors=errors,
                           values=request.form if errors else None), 422 if errors else 200


def _lead_label(row: OutboxRow) -> str:
    return row.lead.full_name or row.lead.email or f"#{row.lead_id}"
