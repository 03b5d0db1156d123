"""Signing in and out of the pages: flask-login over the engine's actor, throttled logins.

``LoginUser`` adapts the engine's ``Actor``; the signed cookie holds only the random key of a
server-side session (``engine.logins``), looked up again on every request: after a logout, a
password change or a deactivation an old cookie opens nothing. ``next`` must be a local path.
The API accepts the same session cookie (``webui.api.routing``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

import flask_login
from flask import Blueprint, Flask, flash, render_template, request, session
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from werkzeug.wrappers import Response

from engine.access import Actor
from engine.logins import load_actor, sign_in, sign_out
from webui import htmx
from webui.db import commit, engine_context, get_session

bp = Blueprint("auth", __name__)
manager = LoginManager()


class LoginUser(UserMixin):  # type: ignore[misc]
    def __init__(self, actor: Actor, session_key: str) -> None:
        self.actor = actor
        self.session_key = session_key

    def get_id(self) -> str:
        """What flask-login keeps in the cookie: the session's key, not the user id."""
        return self.session_key


@manager.user_loader  # type: ignore[untyped-decorator]
def _load(session_key: str) -> LoginUser | None:
    actor = load_actor(get_session(), session_key)
    return LoginUser(actor, session_key) if actor is not None else None


@manager.unauthorized_handler  # type: ignore[untyped-decorator]
def _unauthorized() -> Response:
    from flask import url_for

    return htmx.redirect_to(url_for("auth.login", next=request.full_path.rstrip("?")))


def current_actor() -> Actor | None:
    if current_user.is_authenticated:
        actor: Actor = current_user.actor
        return actor
    return None


def safe_next(target: str | None) -> str:
    """Only a local path (never another host, never ``//host``) is followed after login.

    Control characters are refused outright: CR/LF would split the ``Location`` header, and
    browsers drop tabs and newlines, so ``/<TAB>/host`` would become ``//host``.
    """
    if not target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return "/"
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "")[:100]
        outcome = sign_in(engine_context(), get_session(), username,
                          request.form.get("password", ""), request.remote_addr)
        if outcome.actor is not None and outcome.session_key is not None:
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang
            login_user(LoginUser(outcome.actor, outcome.session_key))
            commit()
            return htmx.redirect_to(safe_next(request.form.get("next")))
        commit()
        if outcome.locked_minutes:
            error = _("Te veel mislukte pogingen. Probeer het over %(minutes)d minuten opnieuw.",
                      minutes=outcome.locked_minutes)
        else:
            error = _("Gebruikersnaam of wachtwoord klopt niet.")
    status = 401 if error else 200
    return render_template("auth/login.html", error=error, username=username,
                           next=safe_next(request.values.get("next"))), status


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    if current_user.is_authenticated:
        sign_out(engine_context(), get_session(), current_user.session_key)
        commit()
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("Je bent afgemeld."), "info")
    return htmx.redirect_to("/login")


def init_app(app: Flask) -> None:
    manager.init_app(app)
    manager.session_protection = "strong"
    app.register_blueprint(bp)


View = TypeVar("View", bound=Callable[..., Any])


def login_required(view: View) -> View:
    """Pages for signed-in people only; others go to the login page (htmx: a full redirect)."""
    return cast(View, flask_login.login_required(view))
