"""My tasks, the team queue and (for leads) everyone's claimed tasks; claim, release, assign."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, flash, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine import inbox as engine_inbox
from engine import tasks
from engine.access import may_assign
from engine.errors import InvalidInput
from webui import htmx
from webui.auth import login_required, safe_next
from webui.db import commit, engine_context, get_session
from webui.pages import actor, home_for

bp = Blueprint("inbox", __name__)
PAGE_SIZE = 25


@bp.get("/")
@login_required
def home() -> Response:
    return htmx.redirect_to(home_for(actor()))


@bp.get("/welcome")
@login_required
def welcome() -> str:
    return render_template("inbox/welcome.html")


def _params(source: Any) -> dict[str, str]:
    queue = source.get("queue") or "mine"
    if queue not in engine_inbox.QUEUES:
        queue = "mine"
    sort = source.get("sort") or "due"
    if sort not in engine_inbox.SORTS:
        sort = "due"
    return {"queue": queue, "q": (source.get("q") or "").strip()[:100], "sort": sort}


def _list_context(params: dict[str, str], cursor: str | None) -> dict[str, Any]:
    who = actor()
    if params["queue"] == "assigned" and not may_assign(who):
        params["queue"] = "mine"
    page = engine_inbox.inbox(engine_context(), get_session(), who, queue=params["queue"],
                              search=params["q"] or None, sort=params["sort"],
                              cursor=cursor, limit=PAGE_SIZE)
    members = engine_inbox.team_members(get_session(), who) if may_assign(who) else []
    return {"page": page, "params": params, "members": members, "lead": may_assign(who),
            "first_page": not cursor,
            "next_url": ("/inbox?" + urlencode({**params, "cursor": page.next})
                         if page.next else None),
            "back": "/inbox?" + urlencode(params)}


@bp.get("/inbox")
@login_required
def index() -> Any:
    context = _list_context(_params(request.args), request.args.get("cursor") or None)
    if htmx.is_fragment_request():
        return render_template("inbox/_list.html", fragment=True, **context)
    return render_template("inbox/index.html", **context)


def _back() -> str:
    params = _params(request.form)
    return "/inbox?" + urlencode(params)


def _after_change(message: str) -> Any:
    commit()
    flash(message, "success")
    if htmx.is_fragment_request() and htmx.target() == "inbox-list":
        return render_template("inbox/_list.html", fragment=True,
                               **_list_context(_params(request.form), None))
    back = request.form.get("back")
    return htmx.redirect_to(safe_next(back) if back else _back())


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id: str) -> Any:
    view = tasks.claim_task(engine_context(), get_session(), actor(), task_id)
    if request.form.get("open") == "1":
        commit()
        return htmx.redirect_to(f"/tasks/{view.id}")
    return _after_change(_("Taak opgepakt: %(name)s", name=view.name))


@bp.post("/tasks/<task_id>/release")
@login_required
def release(task_id: str) -> Any:
    view = tasks.release_task(engine_context(), get_session(), actor(), task_id)
    return _after_change(_("Taak teruggezet in de teamwachtrij: %(name)s", name=view.name))


@bp.post("/tasks/<task_id>/assign")
@login_required
def assign(task_id: str) -> Any:
    try:
        assignee = int(request.form.get("assignee", ""))
    except ValueError:
        raise InvalidInput({"assignee": "kies een collega"}) from None
    view = engine_inbox.assign_task(engine_context(), get_session(), actor(), task_id, assignee)
    return _after_change(_("Taak toegewezen: %(name)s", name=view.name))
