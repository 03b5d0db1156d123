"""Subject access and correction (AVG art. 15 and 16): the administrator's and the privacy
officer's pages over ``engine.chain.subject_access``. The report is a printable Dutch page and
the same as JSON; only the administrator corrects, with a reason."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request

from engine import access
from engine.chain import policy, subject_access
from engine.errors import InvalidInput, NotFound
from webui.auth import login_required
from webui.db import engine_context
from webui.pages import actor

bp = Blueprint("subject_access", __name__)
SEARCH = ("case_number", "postcode", "house_number")


def _require(capability: str) -> None:
    if not access.may(actor(), capability):
        abort(403)


def _query() -> dict[str, str]:
    return {name: (request.args.get(name) or "").strip()[:40] for name in SEARCH}


@bp.get("/subject-access")
@login_required
def index() -> Any:
    """The search form, or the tenant's report once a case number or address is given."""
    _require(policy.SUBJECT_ACCESS)
    query = _query()
    if not any(query.values()):
        return render_template("subject_access/index.html", query=query, errors={},
                               report=None)
    try:
        found = subject_access.report(engine_context(), actor(), **query)
    except InvalidInput as invalid:
        return render_template("subject_access/index.html", query=query,
                               errors=invalid.errors, report=None), 422
    except NotFound as missing:
        return render_template("subject_access/index.html", query=query,
                               errors={"case_number": missing.message}, report=None), 404
    return render_template("subject_access/index.html", query=query, errors={}, report=found,
                           fields=subject_access.CORRECTABLE)


@bp.get("/subject-access/export.json")
@login_required
def export() -> Any:
    _require(policy.SUBJECT_ACCESS)
    query = _query()
    try:
        found = subject_access.report(engine_context(), actor(), **query)
    except InvalidInput as invalid:
        return Response(json.dumps({"fouten": invalid.errors}, ensure_ascii=False), 422,
                        mimetype="application/json")
    return Response(json.dumps(found, ensure_ascii=False, indent=2, default=str),
                    mimetype="application/json", headers={
                        "Content-Disposition": 'attachment; filename="inzageverzoek.json"',
                        "Cache-Control": "no-store"})


@bp.post("/subject-access/correct")
@login_required
def correct() -> Any:
    _require(policy.CORRECT_PERSONAL_DATA)
    form = {name: (request.form.get(name) or "") for name in ("case_number", "field", "value",
                                                               "reason")}
    try:
        subject_access.correct(engine_context(), actor(), **form)
    except InvalidInput as invalid:
        query = {"case_number": form["case_number"], "postcode": "", "house_number": ""}
        found = subject_access.report(engine_context(), actor(), case_number=form["case_number"])
        return render_template("subject_access/index.html", query=query, errors={},
                               correction_errors=invalid.errors, report=found,
                               fields=subject_access.CORRECTABLE, form=form), 422
    return redirect(f"/subject-access?case_number={form['case_number'].strip().upper()}", 303)
