"""Break-glass for caseworkers: ask for time-limited access to a case outside one's scope,
with a reason (``engine.break_glass``); the grants that still run are listed on the form."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request

from engine import break_glass
from engine.errors import InvalidInput
from webui.auth import login_required
from webui.db import commit, engine_context, get_session
from webui.pages import actor

bp = Blueprint("break_glass", __name__)
FIELDS = ("case_number", "reason")


def _require() -> None:
    if not break_glass.may_break_glass(actor()):
        abort(403)


@bp.get("/cases/break-glass")
@login_required
def form() -> Any:
    _require()
    values = {"case_number": (request.args.get("case_number") or "").strip()[:100],
              "reason": ""}
    return _form(values, {})


@bp.post("/cases/break-glass")
@login_required
def ask() -> Any:
    _require()
    values = {name: (request.form.get(name) or "").strip()[:2000] for name in FIELDS}
    try:
        grant = break_glass.request_access(engine_context(), get_session(), actor(),
                                           values["case_number"], values["reason"])
    except InvalidInput as invalid:
        return _form(values, {k: invalid.errors[k] for k in FIELDS if k in invalid.errors}), 422
    commit()
    return redirect(f"/cases/{grant.case_number}", code=303)


def _form(values: dict[str, str], errors: dict[str, str]) -> str:
    ctx = engine_context()
    return render_template("cases/break_glass.html", values=values, errors=errors,
                           grants=break_glass.my_grants(ctx, get_session(), actor()),
                           hours=ctx.settings.break_glass_hours)
