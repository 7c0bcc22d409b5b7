"""Leads for the people who follow them up: "My leads" for a rep, every lead of their events for
marketing; the lead with its booth conversation, status changes and (marketing) reassignment."""
from __future__ import annotations

from dataclasses import dataclass

from babel.dates import format_datetime
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from ..assignment import AssignmentRejected, reassign
from ..db import utcnow
from ..followup import OPEN, is_overdue
from ..flask_db import request_session
from ..lead_summary import lang, meetings, rating_word, readable_answers
from ..leads import LeadEditRejected, can_see_lead, update_lead
from ..models import Event, Interaction, Lead, LeadStatus, Role, User, event_members
from ..scoring import GRADES
from .auth import roles_required

bp = Blueprint("reps", __name__)
PER_PAGE = 50
FOLLOWERS = (Role.REP.value, Role.MARKETING.value)  # who follows leads up (admins always may)


@dataclass
class Filters:
    event: str | None = None
    grade: str | None = None
    status: str | None = None
    overdue: bool = False
    owner: int | None = None
    q: str | None = None

    @classmethod
    def from_args(cls, args) -> "Filters":
        owner = args.get("owner", "")
        return cls(event=args.get("event") or None,
                   grade=args.get("grade") if args.get("grade") in GRADES else None,
                   status=args.get("status") if args.get("status") in [s.value for s in LeadStatus] else None,
                   overdue=args.get("overdue") == "1", owner=int(owner) if owner.isdigit() else None,
                   q=(args.get("q") or "").strip()[:200] or None)


@bp.app_template_global()
def status_label(status: str) -> str:
    labels = {"new": _("new"), "accepted": _("accepted"), "contacted": _("contacted"), "qualified": _("qualified"),
              "disqualified": _("disqualified")}
    return labels.get(status, status)


@bp.app_template_filter("event_time")
def event_time(value, event: Event, fmt: str = "short") -> str:
    """A UTC time shown in the event's time zone, in the page's language."""
    return format_datetime(value, fmt, tzinfo=event.tz, locale=str(get_locale())) if value else ""


def _visible(user: User) -> Select:
    """Reps: the leads assigned to them; marketing: every lead of the events they work; admins: all."""
    query = select(Lead)
    if user.role != Role.ADMIN.value:
        query = query.where(Lead.event_id.in_(select(event_members.c.event_id)
                                              .where(event_members.c.user_id == user.id)))
    if user.role == Role.REP.value:
        query = query.where(Lead.owner_id == user.id)
    return query


def _filtered(query: Select, flt: Filters, now) -> Select:
    if flt.event:
        query = query.where(Lead.event_id.in_(select(Event.id).where(Event.slug == flt.event)))
    if flt.grade:
        query = query.where(Lead.grade == flt.grade)
    if flt.status:
        query = query.where(Lead.status == flt.status)
    if flt.overdue:
        query = query.where(Lead.sla_due_at < now, Lead.status.in_(OPEN))
    if flt.owner is not None:
        query = query.where(Lead.owner_id == flt.owner)
    if flt.q:
        like = f"%{flt.q.lower()}%"
        query = query.where(or_(func.lower(Lead.email).like(like), func.lower(Lead.first_name).like(like),
                                func.lower(Lead.last_name).like(like), func.lower(Lead.company).like(like)))
    return query


@bp.get("/leads")
@roles_required(*FOLLOWERS)
def my_leads():
    session = request_session()
    user = current_user.user
    now = utcnow()
    flt = Filters.from_args(request.args)
    page = max(int(request.args.get("page", "1")) if request.args.get("page", "1").isdigit() else 1, 1)
    query = _filtered(_visible(user), flt, now)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    overdue_total = session.scalar(select(func.count()).select_from(
        _filtered(_visible(user), Filters(event=flt.event, overdue=True), now).subquery()))
    leads = session.scalars(
        query.options(selectinload(Lead.event), selectinload(Lead.owner))
        .order_by(Lead.score.desc().nulls_last(), Lead.last_met_at.desc(), Lead.id.desc())
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    events = session.scalars(select(Event).where(Event.id.in_(_visible(user).with_only_columns(Lead.event_id)))
                             .order_by(Event.starts_on.desc())).all()
    owners = [] if user.role == Role.REP.value else session.scalars(
        select(User).where(User.id.in_(_visible(user).with_only_columns(Lead.owner_id))).order_by(User.name)).all()
    return render_template("reps/leads.html", leads=leads, total=total, overdue_total=overdue_total, flt=flt,
                           page=page, pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), events=events,
                           owners=owners, now=now, is_overdue=is_overdue, grades=GRADES,
                           statuses=[s.value for s in LeadStatus], lang=lang(get_locale()))


def _lead(lead_id: int) -> Lead:
    lead = request_session().get(Lead, lead_id, options=[
        selectinload(Lead.interactions).selectinload(Interaction.staff), selectinload(Lead.owner)])
    if lead is None:
        abort(404)
    if not can_see_lead(current_user.actor, lead):
        abort(403)
    return lead


@bp.get("/leads/<int(max=2147483647):lead_id>")
@roles_required(*FOLLOWERS)
def lead_detail(lead_id: int):
    session = request_session()
    lead = _lead(lead_id)
    event = session.get(Event, lead.event_id)
    user = current_user.user
    locale = get_locale()
    candidates = []
    if user.role in (Role.ADMIN.value, Role.MARKETING.value):
        candidates = session.scalars(select(User).where(
            User.active.is_(True), User.role.in_(FOLLOWERS),
            User.id.in_(select(event_members.c.user_id).where(event_members.c.event_id == event.id)))
            .order_by(User.name)).all()
    return render_template("reps/lead.html", lead=lead, event=event, lang=lang(locale),
                           answers=readable_answers(event, lead.answers or {}, locale),
                           meetings=meetings(event, lead, locale), overdue=is_overdue(lead, utcnow()),
                           candidates=candidates,
                           statuses=[s.value for s in LeadStatus], rating_word=rating_word,
                           can_reassign=bool(candidates))


@bp.post("/leads/<int(max=2147483647):lead_id>/status")
@roles_required(*FOLLOWERS)
def change_status(lead_id: int):
    session = request_session()
    lead = _lead(lead_id)
    status = request.form.get("status", "")
    reason = (request.form.get("reason") or "").strip()[:500] or None
    if status not in [s.value for s in LeadStatus]:
        abort(400)
    try:
        update_lead(session, lead, {"status": status, "status_reason": reason}, current_user.actor)
    except LeadEditRejected as exc:
        session.rollback()
        for messages in exc.errors.values():
            for message in messages:
                flash(_translate_problem(message), "error")
        return redirect(url_for("reps.lead_detail", lead_id=lead_id))
    session.commit()
    flash(_("Status changed."), "ok")
    return redirect(url_for("reps.lead_detail", lead_id=lead_id))


@bp.post("/leads/<int(max=2147483647):lead_id>/owner")
@roles_required(Role.MARKETING.value)
def change_owner(lead_id: int):
    session = request_session()
    lead = _lead(lead_id)
    owner_id = request.form.get("owner_id", "")
    owner = session.get(User, int(owner_id)) if owner_id.isdigit() else None
    if owner_id and owner is None:
        abort(400)
    try:
        reassign(session, lead, owner, current_user.actor)
    except AssignmentRejected as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("reps.lead_detail", lead_id=lead_id))
    session.commit()
    flash(_("Lead reassigned."), "ok")
    return redirect(url_for("reps.lead_detail", lead_id=lead_id))


def _translate_problem(message: str) -> str:
    """The status checks speak English to the API; the page shows the two a rep meets in their language."""
    if message.startswith("say why"):
        return _("Say why the lead is disqualified.")
    if "cannot go back" in message:
        return _("A lead cannot go back to an earlier status; ask marketing to correct it.")
    return message
