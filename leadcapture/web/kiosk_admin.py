"""Admin pages for the tablets of one event: pairing, devices, staff PINs, questions and consent texts."""
from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import format_datetime, gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from sqlalchemy import select
from wtforms import HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..audit import record
from ..event_settings import load_settings
from ..flask_db import request_session
from ..models import Device, Role, User
from ..pairing import CODE_TTL, new_code, pairing_url, revoke_device
from ..qr import qr_data_uri
from ..staff_pins import set_pin
from .access import event_for_user
from .auth import roles_required

bp = Blueprint("kiosk_admin", __name__, url_prefix="/events/<slug>")


class PairForm(FlaskForm):
    name = StringField(validators=[DataRequired(), Length(max=120)])


class PinForm(FlaskForm):
    user_id = HiddenField(validators=[DataRequired()])
    pin = PasswordField(validators=[Optional(), Regexp(r"^\d{4,6}$")])


class SettingsForm(FlaskForm):
    questions = TextAreaField(validators=[DataRequired()])
    purposes = StringField(validators=[DataRequired(), Length(max=400)])
    text_fr = TextAreaField(validators=[Optional(), Length(max=5000)])
    version_fr = StringField(validators=[Optional(), Length(max=40)])
    text_en = TextAreaField(validators=[Optional(), Length(max=5000)])
    version_en = StringField(validators=[Optional(), Length(max=40)])


@bp.get("/devices")
@roles_required(Role.MARKETING.value)
def devices(slug):
    event = event_for_user(slug)
    rows = request_session().scalars(select(Device).where(Device.event_id == event.id).order_by(Device.created_at)).all()
    return render_template("kiosk/devices.html", event=event, devices=rows, form=PairForm())


@bp.post("/devices/pair")
@roles_required(Role.MARKETING.value)
def pair(slug):
    event = event_for_user(slug)
    form = PairForm()
    if not form.validate_on_submit():
        flash(_("Give the tablet a name, e.g. “Stand A, left”."), "error")
        return redirect(url_for(".devices", slug=slug))
    session = request_session()
    row, code = new_code(session, event, form.name.data.strip(), current_user.actor)
    session.commit()
    url = pairing_url(current_app.config["SERVER_URL"], code)
    expires = format_datetime(row.expires_at.astimezone(event.tz), "short")
    return render_template("kiosk/pairing.html", event=event, code=code, url=url, qr=qr_data_uri(url),
                           expires=expires, minutes=int(CODE_TTL.total_seconds() // 60), name=row.device_name)


@bp.post("/devices/<int:device_id>/revoke")
@roles_required(Role.MARKETING.value)
def revoke(slug, device_id):
    event = event_for_user(slug)
    session = request_session()
    device = session.get(Device, device_id)
    if device is None or device.event_id != event.id:
        abort(404)
    if revoke_device(session, device, current_user.actor):
        session.commit()
        flash(_("%(name)s is revoked: it can no longer send scans.", name=device.name))
    return redirect(url_for(".devices", slug=slug))


@bp.route("/staff", methods=["GET", "POST"])
@roles_required(Role.MARKETING.value)
def staff(slug):
    event = event_for_user(slug)
    session = request_session()
    form = PinForm()
    people = sorted((u for u in event.members if u.active and u.role != Role.REP.value), key=lambda u: u.name)
    if form.is_submitted():
        user = session.get(User, int(form.user_id.data)) if (form.user_id.data or "").isdigit() else None
        if user is None or user not in people:
            abort(404)
        if not form.validate():
            flash(_("A PIN is 4 to 6 digits."), "error")
        else:
            set_pin(session, user, form.pin.data or None, current_user.actor)
            session.commit()
            flash(_("PIN of %(name)s changed.", name=user.name) if form.pin.data
                  else _("PIN of %(name)s removed.", name=user.name))
        return redirect(url_for(".staff", slug=slug))
    return render_template("kiosk/staff.html", event=event, people=people, form=form)


@bp.route("/kiosk-settings", methods=["GET", "POST"])
@roles_required(Role.MARKETING.value)
def settings(slug):
    event = event_for_user(slug)
    form = SettingsForm()
    errors = None
    if form.validate_on_submit():
        try:
            questions = json.loads(form.questions.data)
            texts = _consent_texts(event.settings.get("consent", {}).get("texts", []), form)
            purposes = [p.strip() for p in form.purposes.data.split(",") if p.strip()]
            new = load_settings({**event.settings, "questions": questions,
                                 "consent": {"purposes": purposes, "texts": texts}})
        except json.JSONDecodeError as exc:
            errors = {"questions": [_("not valid JSON: %(error)s", error=str(exc))]}
        except ValidationError as exc:
            errors = exc.messages
        except ValueError as exc:
            errors = {"consent": [str(exc)]}
        else:
            session = request_session()
            event.settings = new
            record(session, current_user.actor, "event.kiosk_settings", "event", event.id, event.id)
            session.commit()
            flash(_("Saved. Tablets pick the change up when they are next online."))
            return redirect(url_for(".settings", slug=slug))
    elif not form.is_submitted():
        texts = {t["language"]: t for t in event.settings.get("consent", {}).get("texts", [])}  # newest wins
        form.questions.data = json.dumps(event.settings.get("questions", []), ensure_ascii=False, indent=2)
        form.purposes.data = ", ".join(event.settings.get("consent", {}).get("purposes", []))
        for lang in ("fr", "en"):
            getattr(form, f"text_{lang}").data = texts.get(lang, {}).get("text", "")
            getattr(form, f"version_{lang}").data = texts.get(lang, {}).get("version", "")
    status = 422 if errors or form.errors else 200
    return render_template("kiosk/settings.html", event=event, form=form, errors=errors), status


def _consent_texts(old: list[dict], form: SettingsForm) -> list[dict]:
    """Earlier versions stay in the list: scans queued offline still name them, and they are the
    proof of what a visitor was shown. The newest version of a language is the last one."""
    texts = list(old)
    for lang in ("fr", "en"):
        text = getattr(form, f"text_{lang}").data.strip()
        version = getattr(form, f"version_{lang}").data.strip()
        if not text:
            continue
        same = next((t for t in old if t["language"] == lang and t["version"] == version), None)
        if same is not None and same["text"] != text:
            raise ValueError(_("The %(lang)s text changed: give it a new version.", lang=lang.upper()))
        if same is None:
            texts.append({"language": lang, "version": version, "text": text})
        elif same is not [t for t in texts if t["language"] == lang][-1]:  # going back to an older version
            texts.remove(same)
            texts.append(same)
    return texts
