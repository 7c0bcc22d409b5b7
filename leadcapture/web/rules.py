"""Marketing's pages for an event's scoring and routing rules: edit the JSON, import and export it,
set reps' capacity and leave, and try the rules on a sample lead ("who would get this lead?")."""
from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..audit import record
from ..facts import LeadFacts, region_of
from ..flask_db import request_session
from ..lead_summary import lang
from ..models import Event, Role, RoutingCounter, User
from ..qualify import router_for
from ..rules import RulesRejected, apply_rules, export_rules
from ..scoring import compile_scoring
from .access import event_for_user
from .auth import roles_required

bp = Blueprint("rules", __name__, url_prefix="/events/<slug>")
MAX_RULES_BYTES = 256 * 1024


def _reps(event: Event) -> list[User]:
    return sorted((u for u in event.members if u.role == Role.REP.value), key=lambda u: u.name)


@bp.get("/rules")
@roles_required(Role.MARKETING.value)
def edit(slug: str):
    event = event_for_user(slug)
    text = json.dumps(export_rules(event), ensure_ascii=False, indent=2)
    return render_template("rules/edit.html", event=event, text=text, problems=[], reps=_reps(event))


@bp.post("/rules")
@roles_required(Role.MARKETING.value)
def save(slug: str):
    """Apply the rules from the text area or an uploaded JSON file; all of them or none."""
    session = request_session()
    event = event_for_user(slug)
    upload = request.files.get("file")
    text = upload.read(MAX_RULES_BYTES + 1).decode("utf-8", "replace") if upload and upload.filename \
        else request.form.get("rules", "")
    problems: list[str] = []
    if len(text) > MAX_RULES_BYTES:
        problems = [_("The file is larger than 256 KB.")]
    else:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            problems = [_("This is not valid JSON: %(error)s", error=str(exc))]
        else:
            try:
                apply_rules(session, event, raw, current_user.actor)
            except RulesRejected as exc:
                problems = exc.problems
    if problems:
        session.rollback()
        return render_template("rules/edit.html", event=event, text=text, problems=problems,
                               reps=_reps(event)), 422
    session.commit()
    flash(_("Rules saved; the event's leads were rescored."), "ok")
    return redirect(url_for("rules.edit", slug=slug))


@bp.get("/rules.json")
@roles_required(Role.MARKETING.value)
def download(slug: str):
    event = event_for_user(slug)
    body = json.dumps(export_rules(event), ensure_ascii=False, indent=2) + "\n"
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{event.slug}-rules.json"'})


@bp.post("/reps/<int:user_id>")
@roles_required(Role.MARKETING.value)
def update_rep(slug: str, user_id: int):
    """A rep's round-robin capacity and leave, audited."""
    session = request_session()
    event = event_for_user(slug)
    rep = session.get(User, user_id)
    if rep is None or rep not in _reps(event):
        abort(404)
    capacity = request.form.get("capacity", "")
    if not capacity.isdigit() or int(capacity) > 100:
        flash(_("Capacity is a whole number from 0 to 100."), "error")
        return redirect(url_for("rules.edit", slug=slug))
    before = {"capacity": rep.capacity, "away": rep.away}
    rep.capacity, rep.away = int(capacity), request.form.get("away") == "1"
    record(session, current_user.actor, "rep.update", "user", rep.id, event.id,
           {"before": before, "after": {"capacity": rep.capacity, "away": rep.away}})
    session.commit()
    flash(_("%(name)s updated.", name=rep.name), "ok")
    return redirect(url_for("rules.edit", slug=slug))


@bp.route("/rules/test", methods=["GET", "POST"])
@roles_required(Role.MARKETING.value)
def test(slug: str):
    """Score and route a made-up lead with the saved rules; nothing is stored, no turn is used."""
    session = request_session()
    event = event_for_user(slug)
    questions = [q for q in event.settings.get("questions", []) if q["type"] in ("single", "multi", "boolean")]
    form = request.form
    result = route = None
    facts = None
    if request.method == "POST":
        facts = _sample_facts(form, questions)
        scorer = compile_scoring(event.settings.get("scoring"), event.settings.get("questions", []))
        result = scorer(facts) if scorer else None
        facts = facts.with_grade(result.grade if result else None)
        router = router_for(session, event)
        if router is not None:
            counts = {(c.rule_id, c.user_id): c.assigned for c in session.scalars(
                select(RoutingCounter).where(RoutingCounter.event_id == event.id))}
            route = {"eligible": router.eligible(facts.grade), "route": router.route(facts, counts),
                     "min_grade": router.min_grade}
            owner = session.get(User, route["route"].owner_id) if route["route"].owner_id else None
            route["owner"] = owner
    return render_template("rules/test.html", event=event, questions=questions, form=form, result=result,
                           route=route, lang=lang(get_locale()))


def _sample_facts(form, questions: list[dict]) -> LeadFacts:
    def number(name: str, default: int | None = None) -> int | None:
        value = (form.get(name) or "").strip()
        return int(value) if value.isdigit() else default

    answers: dict = {}
    for q in questions:
        if q["type"] == "multi":
            chosen = form.getlist(f"q_{q['id']}")
            if chosen:
                answers[q["id"]] = chosen
        elif form.get(f"q_{q['id']}"):
            value = form.get(f"q_{q['id']}")
            answers[q["id"]] = {"true": True, "false": False}.get(value, value) if q["type"] == "boolean" else value
    country = (form.get("country") or "").strip().upper()[:2] or None
    postal_code = (form.get("postal_code") or "").strip()[:20] or None
    return LeadFacts(
        answers=answers, job_title=(form.get("job_title") or "").strip() or None,
        company_size=number("company_size"), email=(form.get("email") or "").strip().lower() or None,
        country=country, postal_code=postal_code,
        region=region_of(country, postal_code, (form.get("region") or "").strip() or None),
        rating=form.get("rating") or None, staff_met=number("staff_met", 1), visit_days=number("visit_days", 1),
        events_attended=number("events_attended", 1),
    )
