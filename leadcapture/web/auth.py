"""Signing in to the web pages (Flask-Login), and role checks for views."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.security import check_password_hash
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from ..actors import Actor
from ..audit import record
from ..flask_db import request_session
from ..models import User

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = None


class LoginUser(UserMixin):
    """The signed-in person as Flask-Login sees them; `.user` is the database row."""

    def __init__(self, user: User):
        self.user = user
        self.id = str(user.id)

    @property
    def actor(self) -> Actor:
        return Actor.for_user(self.user)


@login_manager.user_loader
def _load_user(user_id: str) -> LoginUser | None:
    user = request_session().get(User, int(user_id)) if user_id.isdigit() else None
    return LoginUser(user) if user is not None and user.active else None


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        session = request_session()
        user = session.scalar(select(User).where(User.email == form.email.data.strip().lower()))
        if user and user.active and user.password_hash and check_password_hash(user.password_hash, form.password.data):
            login_user(LoginUser(user))
            record(session, Actor.for_user(user), "user.login", "user", user.id)
            session.commit()
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Wrong e-mail or password."), "error")
    return render_template("login.html", form=form), 400 if request.method == "POST" else 200


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would let a phishing link borrow our login page."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("web.index")


def roles_required(*roles: str):
    """View decorator: signed in, and with one of these roles (admins always pass)."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.user.is_admin and current_user.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate
