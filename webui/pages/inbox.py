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
from engine.errors import Conflict, InvalidInput
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


#: The filters and search a list keeps across tabs, pages and claims (beside queue and sort).
FILTER_KEYS = ("q", "type", "overdue", "crisis", "municipality")
#: How many earlier pages' cursors the way back keeps in the URL (a request line stays short).
MAX_TRAIL = 30
MAX_CURSOR = 120


def _params(source: Any) -> dict[str, str]:
    """Queue, sort, search and filters from a query string or form, cleaned: a value the
    actor cannot use is dropped rather than refused (it came from an edited URL).

    ``queue`` is left empty when none was asked for: the list then lands on the team queue
    when "Mijn taken" is empty."""
    who = actor()
    queue = source.get("queue") or ""
    if queue not in engine_inbox.queues_for(who):
        queue = ""
    sort = source.get("sort") or "due"
    if sort not in engine_inbox.SORTS:
        sort = "due"
    municipality = source.get("municipality") or ""
    if not engine_inbox.municipality_filter(who) or \
            municipality not in engine_context().settings.municipality_slugs():
        municipality = ""
    return {"queue": queue, "q": (source.get("q") or "").strip()[:100], "sort": sort,
            "type": (source.get("type") or "").strip()[:engine_inbox.MAX_TASK_TYPE],
            "overdue": "1" if source.get("overdue") == "1" else "",
            "crisis": "1" if source.get("crisis") == "1" else "",
            "municipality": municipality}


def _filters(params: dict[str, str]) -> engine_inbox.InboxFilters:
    return engine_inbox.InboxFilters(task_type=params["type"] or None,
                                     overdue=bool(params["overdue"]),
                                     crisis=bool(params["crisis"]),
                                     municipality=params["municipality"] or None)


def _query(params: dict[str, str], cursor: str | None = None,
           trail: list[str] | None = None) -> str:
    """``/inbox?...`` with the non-empty parameters, the cursor and the way back."""
    pairs = [(k, v) for k, v in params.items() if v]
    if cursor:
        pairs += [("trail", t) for t in (trail or [])] + [("cursor", cursor)]
    return "/inbox?" + urlencode(pairs) if pairs else "/inbox"


def _trail(source: Any) -> list[str]:
    """Cursors of the pages before this one (the first page has none), oldest first."""
    return [t[:MAX_CURSOR] for t in source.getlist("trail") if t][-MAX_TRAIL:]


def _list_context(params: dict[str, str], cursor: str | None,
                  trail: list[str] | None = None) -> dict[str, Any]:
    who, ctx, session = actor(), engine_context(), get_session()
    queues = engine_inbox.queues_for(who)
    trail = (trail or []) if cursor else []
    filters = _filters(params)
    # the search runs once; the counts and the page filter on the cases it found
    matches = engine_inbox.find_cases(ctx, session, params["q"] or None)
    counts = engine_inbox.inbox_counts(ctx, session, who, filters, search=matches)
    if not params["queue"]:  # nothing asked: land where the work is
        params["queue"] = "team" if counts.tabs.get("mine") == 0 else "mine"
    page = engine_inbox.inbox(ctx, session, who, queue=params["queue"],
                              search=matches, sort=params["sort"],
                              cursor=cursor, limit=PAGE_SIZE, filters=filters)
    members = engine_inbox.team_members(session, who) if may_assign(who) else []
    total = counts.tabs.get(params["queue"], 0)
    # Page number from the way back; unknown once the trail was cut to fit in the URL.
    number = (len(trail) + 1 if cursor else 0) if len(trail) < MAX_TRAIL else None
    first = number * PAGE_SIZE + 1 if number is not None and page.items else None
    previous_url = None
    if cursor:
        previous_url = _query(params, trail[-1], trail[:-1]) if trail else _query(params)
    return {"page": page, "params": params, "members": members, "lead": may_assign(who),
            "counts": counts, "counts_cap": engine_inbox.COUNT_CAP, "total": total,
            "queues": queues,
            "tab_urls": {q: _query({**params, "queue": q}) for q in queues},
            "municipalities": (ctx.settings.municipality_slugs()
                               if engine_inbox.municipality_filter(who) else []),
            "range": (first, first + len(page.items) - 1) if first is not None else None,
            "first_page": not cursor,
            "first_url": _query(params),
            "previous_url": previous_url,
            "next_url": (_query(params, page.next, (trail + [cursor] if cursor else []))
                         if page.next else None),
            "filtered": any(params[k] for k in FILTER_KEYS),
            "back": _query(params, cursor, trail)}


@bp.get("/inbox")
@login_required
def index() -> Any:
    context = _list_context(_params(request.args), request.args.get("cursor") or None,
                            _trail(request.args))
    if htmx.is_fragment_request():
        return render_template("inbox/_list.html", fragment=True, **context)
    return render_template("inbox/index.html", **context)


def _back() -> str:
    params = _params(request.form)
    return _query(params)


def _after_change(message: str) -> Any:
    commit()
    flash(message, "success")
    if htmx.is_fragment_request() and htmx.target() == "inbox-list":
        return render_template("inbox/_list.html", fragment=True,
                               **_list_context(_params(request.form), None))
    back = request.form.get("back")
    return htmx.redirect_to(safe_next(back) if back else _back())


def _refused(task_id: str, conflict: Conflict) -> Any:
    """A claim or release someone else beat. Without htmx the 409 page says why (in Dutch);
    htmx swaps only 2xx answers, so it gets the list with the reason above it (or is sent
    back to the page it came from, the reason flashed there): never an empty answer."""
    if request.headers.get("HX-Request") != "true":
        raise conflict
    get_session().rollback()
    flash(_(conflict.message), "error")
    if htmx.is_fragment_request() and htmx.target() == "inbox-list":
        return render_template("inbox/_list.html", fragment=True,
                               **_list_context(_params(request.form), None))
    if request.form.get("open") == "1":
        return htmx.redirect_to(f"/tasks/{task_id}")
    back = request.form.get("back")
    return htmx.redirect_to(safe_next(back) if back else _back())


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id: str) -> Any:
    try:
        view = tasks.claim_task(engine_context(), get_session(), actor(), task_id)
    except Conflict as conflict:
        return _refused(task_id, conflict)
    if request.form.get("open") == "1":
        commit()
        return htmx.redirect_to(f"/tasks/{view.id}")
    return _after_change(_("Taak opgepakt: %(name)s", name=view.name))


@bp.post("/tasks/<task_id>/release")
@login_required
def release(task_id: str) -> Any:
    try:
        view = tasks.release_task(engine_context(), get_session(), actor(), task_id)
    except Conflict as conflict:
        return _refused(task_id, conflict)
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
