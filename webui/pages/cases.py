"""Case list and case detail with its timeline; corporations report what happens next."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, flash, render_template, request
from flask_babel import gettext as _

from engine import cases
from engine.access import case_view_kind
from engine.errors import NotFound
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


@bp.get("/cases/<case_number>")
@login_required
def show(case_number: str) -> Any:
    detail = cases.get_case(engine_context(), get_session(), actor(), case_number)
    return render_template("cases/show.html", detail=detail, case=detail.case,
                           labels=cases.MILESTONE_LABELS,
                           messages=cases.CORPORATION_MESSAGES, errors={}, values={})


@bp.post("/cases/<case_number>/events")
@login_required
def report_event(case_number: str) -> Any:
    from engine.errors import InvalidInput

    ctx, session, who = engine_context(), get_session(), actor()
    name = request.form.get("name", "")
    payload = {key: request.form.get(key) for key in ("hearing_date", "eviction_date",
                                                      "judgment_date")
               if request.form.get(key)}
    payload = {k: v for k, v in payload.items()
               if k in cases.CORPORATION_MESSAGES.get(name, ("", "", {}))[2]
               .get("properties", {})}
    try:
        cases.report_case_event(ctx, session, who, case_number, name, payload)
    except InvalidInput as invalid:
        session.rollback()
        detail = cases.get_case(ctx, session, who, case_number)
        return render_template("cases/show.html", detail=detail, case=detail.case,
                               labels=cases.MILESTONE_LABELS,
                               messages=cases.CORPORATION_MESSAGES, errors=invalid.errors,
                               values=request.form), 422
    commit()
    flash(_("Gebeurtenis doorgegeven."), "success")
    return htmx.redirect_to(f"/cases/{case_number}")
