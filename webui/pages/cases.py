"""Case list and case detail with its timeline; corporations report what happens next."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, flash, render_template, request
from flask_babel import gettext as _

from engine.access import case_view_kind, may
from engine.chain import cases, policy
from engine.chain.national_results import EINDRESULTATEN
from engine.errors import InvalidInput, NotFound
from webui import htmx
from webui.auth import login_required
from webui.db import commit, engine_context, get_session
from webui.pages import actor

bp = Blueprint("cases", __name__)


@bp.get("/cases")
@login_required
def index() -> Any:
    who = actor()
    if case_view_kind(who) is None:
        raise NotFound("no case list for this role")
    q = (request.args.get("q") or "").strip()[:100]
    milestone = request.args.get("milestone") or None
    if milestone not in cases.MILESTONE_LABELS:
        milestone = None
    page = cases.list_cases(engine_context(), get_session(), who, search=q or None,
                            milestone=milestone, cursor=request.args.get("cursor") or None,
                            limit=25)
    params = {"q": q, "milestone": milestone or ""}
    context = {"page": page, "q": q, "milestone": milestone,
               "labels": cases.MILESTONE_LABELS,
               "next_url": "/cases?" + urlencode({**params, "cursor": page.next})
               if page.next else None, "first_page": not request.args.get("cursor")}
    if htmx.is_fragment_request():
        return render_template("cases/_list.html", **context)
    return render_template("cases/index.html", **context)


#: The event form's fields by their Dutch labels, for the error summary.
EVENT_FIELD_LABELS = {"name": "Gebeurtenis", "hearing_date": "Datum zitting",
                      "judgment_date": "Datum vonnis", "eviction_date": "Ontruimingsdatum",
                      "new_municipality": "Nieuwe woonplaats", "how": "Hoe vertrokken",
                      cases.CONFIRM_FIELD: "Bevestiging"}


def _show(case_number: str, errors: dict[str, str] | None = None,
          values: Any = None, status: int = 200) -> Any:
    detail = cases.get_case(engine_context(), get_session(), actor(), case_number)
    return render_template("cases/show.html", detail=detail, case=detail.case,
                           labels=cases.MILESTONE_LABELS,
                           messages=cases.CORPORATION_MESSAGES, errors=errors or {},
                           values=values or {}, irreversible=cases.IRREVERSIBLE_EVENTS,
                           confirm_field=cases.CONFIRM_FIELD, left_how=cases.LEFT_HOW,
                           field_labels=EVENT_FIELD_LABELS), status


@bp.get("/cases/<case_number>")
@login_required
def show(case_number: str) -> Any:
    return _show(case_number)


@bp.post("/cases/<case_number>/events")
@login_required
def report_event(case_number: str) -> Any:
    """Report an event; one that cannot be undone (an eviction executed) is sent only with
    its confirmation box ticked, else the form comes back (422) naming that box."""
    ctx, session, who = engine_context(), get_session(), actor()
    name = request.form.get("name", "")
    payload = {key: (request.form.get(key) or "").strip() for key in (
        "hearing_date", "eviction_date", "judgment_date", "new_municipality", "how")
        if (request.form.get(key) or "").strip()}
    payload = {k: v for k, v in payload.items()
               if k in cases.CORPORATION_MESSAGES.get(name, ("", "", {}))[2]
               .get("properties", {})}
    try:
        cases.report_case_event(ctx, session, who, case_number, name, payload,
                                confirmed=request.form.get(cases.CONFIRM_FIELD) == "yes")
    except InvalidInput as invalid:
        session.rollback()
        return _show(case_number, invalid.errors, request.form, 422)
    commit()
    flash(_("Gebeurtenis doorgegeven."), "success")
    return htmx.redirect_to(f"/cases/{case_number}")


@bp.route("/cases/<case_number>/holder", methods=["GET", "POST"])
@login_required
def holder(case_number: str) -> Any:
    """Who holds the case: the lead hands it to a colleague (``holder``), the holder or the
    lead gives it back to the team queue (``release``)."""
    ctx, session, who = engine_context(), get_session(), actor()
    errors: dict[str, str] = {}
    if request.method == "POST":
        chosen = (request.form.get("holder") or "").strip()
        try:
            if request.form.get("action") == "release":
                cases.release_case(ctx, session, who, case_number)
                message = _("De casus staat weer in de teamwachtrij.")
            else:
                valid = chosen.isascii() and chosen.isdecimal() and len(chosen) < 10
                cases.hand_case(ctx, session, who, case_number, int(chosen) if valid else 0)
                message = _("De casus is overgedragen.")
        except InvalidInput as invalid:
            session.rollback()
            errors = invalid.errors
        else:
            commit()
            flash(message, "success")
            return htmx.redirect_to(f"/cases/{case_number}")
    detail = cases.get_case(ctx, session, who, case_number)
    if detail.case.view != "full":
        raise NotFound("case not found")
    return render_template("cases/holder.html", case=detail.case,
                           colleagues=cases.holder_choices(session, who), errors=errors), \
        422 if errors else 200


#: The correction form's fields by their Dutch labels, for the error summary.
RESULT_FIELD_LABELS = {"national_result": "Nieuw eindresultaat", "reason": "Reden van de correctie"}


@bp.route("/cases/<case_number>/result", methods=["GET", "POST"])
@login_required
def result(case_number: str) -> Any:
    """The social team lead corrects a closed case's national result, with a reason."""
    ctx, session, who = engine_context(), get_session(), actor()
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            cases.correct_national_result(ctx, session, who, case_number,
                                          request.form.get("national_result", ""),
                                          request.form.get("reason", ""))
        except InvalidInput as invalid:
            session.rollback()
            errors = invalid.errors
        else:
            commit()
            flash(_("Het eindresultaat is gecorrigeerd."), "success")
            return htmx.redirect_to(f"/cases/{case_number}")
    if not may(who, policy.CORRECT_RESULTS):
        raise NotFound("case not found")
    detail = cases.get_case(ctx, session, who, case_number)
    return render_template("cases/result.html", case=detail.case, results=EINDRESULTATEN,
                           errors=errors, values=request.form,
                           field_labels=RESULT_FIELD_LABELS), 422 if errors else 200
