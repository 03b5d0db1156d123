"""The social team corrects a referral package it sent: the referral form again, starting from
the latest version, with the reason; the result is the next version (earlier ones stay)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, render_template, request
from flask_babel import gettext as _

from engine.chain import referral_packages as packages
from engine.errors import InvalidInput
from webui import forms, htmx
from webui.auth import login_required
from webui.db import commit, engine_context, get_session
from webui.pages import actor

bp = Blueprint("referral_packages", __name__)

REASON = "correction_reason"


@bp.route("/cases/<case_number>/referral-packages/<recipient>/correct",
          methods=["GET", "POST"])
@login_required
def correct(case_number: str, recipient: str) -> Any:
    ctx, session, who = engine_context(), get_session(), actor()
    schema, values, latest = packages.correction_start(ctx, session, who, case_number,
                                                       recipient)
    errors: dict[str, str] = {}
    reason = ""
    if request.method == "POST":
        values = forms.parse(schema, request.form)
        reason = (request.form.get(REASON) or "").strip()
        try:
            row = packages.correct(ctx, session, who, case_number, recipient, values, reason)
        except InvalidInput as invalid:
            session.rollback()
            errors = invalid.errors
        else:
            commit()
            flash(_("Verwijspakket gecorrigeerd: versie %(version)d.", version=row.version),
                  "success")
            return htmx.redirect_to(f"/cases/{case_number}")
    fields = forms.fields(schema, values, errors)
    return render_template("cases/package_correct.html", case_number=case_number,
                           recipient=recipient, latest=latest, fields=fields, errors=errors,
                           reason=reason, reason_error=errors.get(REASON),
                           schema=schema), 422 if errors else 200
