"""A person's own settings: which notification mails they get (``engine.notifications``).

Only ever the signed-in person's own: the route takes no user, and a machine token is no
person (pages answer it with the login page).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request
from flask_babel import gettext as _

from engine import notifications
from webui.auth import login_required
from webui.db import commit, get_session
from webui.pages import actor

bp = Blueprint("account", __name__)


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def mail_settings() -> Any:
    """The switches per kind of mail (GET), and saving them (POST: a ticked box is on)."""
    who = actor()
    if request.method == "POST":
        notifications.set_preferences(
            get_session(), who, {kind: request.form.get(kind) == "on"
                                 for kind in notifications.MAIL_KINDS})
        commit()
        flash(_("Je keuzes voor mail zijn opgeslagen."), "info")
        return redirect("/account/notifications", code=303)
    found = notifications.mail_settings(get_session(), who)
    return render_template("account/notifications.html", email=found.email,
                           choices=found.choices)
