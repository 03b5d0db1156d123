"""The cockpit's process instances: the list with filters and totals, one instance on its
diagram (path taken, where it waits, where it failed) with the administrator's hand on it
(suspend, resume, terminate, fix the data and retry), and a process's heatmap.

Managers and process owners read (``READ_FIGURES``): case numbers, steps, times and counts,
never a household's data; the administrator acts. Every action is an engine function.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request
from flask_babel import gettext as _

from engine import access, instance_control, instance_tracking, instances
from engine.access import MANAGE_INSTANCES, READ_FIGURES, RETRY_INSTANCES
from engine.errors import Conflict, InvalidInput
from engine.instances import STATUSES, InstanceFilter
from engine.users import REFERENCE_ORGANISATIONS
from webui.auth import login_required
from webui.db import commit, engine_context, get_session
from webui.instance_filters import filters_from
from webui.pages import actor

bp = Blueprint("instances", __name__)

MUNICIPALITIES = [(slug, name) for slug, name, kind in REFERENCE_ORGANISATIONS
                  if kind == "municipality"]
CORPORATIONS = [(slug, name) for slug, name, kind in REFERENCE_ORGANISATIONS
                if kind == "corporation"]
ACTIONS = {"suspend": instance_control.suspend_instance,
           "resume": instance_control.resume_instance,
           "terminate": instance_control.terminate_instance}


def require(capability: str) -> None:
    """Refuse (403) who lacks ``capability``."""
    if not access.may(actor(), capability):
        abort(403)


@bp.get("/cockpit/instances")
@login_required
def index() -> tuple[str, int]:
    require(READ_FIGURES)
    ctx, session, who = engine_context(), get_session(), actor()
    errors: dict[str, str] = {}
    try:
        filters = filters_from(request.args)
    except InvalidInput as invalid:
        errors, filters = invalid.errors, InstanceFilter()
    page = instances.list_instances(ctx, session, who, cursor=request.args.get("cursor"),
                                    limit=50, filters=filters)
    totals = instances.status_totals(ctx, session, who, filters)
    args = {k: v for k, v in request.args.items() if k != "cursor" and v}
    return render_template(
        "cockpit/instances.html", page=page, totals=totals, filters=filters, errors=errors,
        args=args, choices=instance_tracking.filter_choices(session),
        municipalities=MUNICIPALITIES, corporations=CORPORATIONS,
        statuses=STATUSES), 422 if errors else 200


@bp.get("/cockpit/instances/<int:instance_id>")
@login_required
def show(instance_id: int) -> str:
    require(READ_FIGURES)
    detail = instance_tracking.instance_detail(engine_context(), get_session(), actor(),
                                               instance_id)
    marks = {"passed": detail.passed, "current": detail.current, "failed": detail.failed}
    return render_template("cockpit/instance.html", detail=detail, view=detail.instance,
                           marks=json.dumps(marks),
                           error_data=(json.dumps(detail.error_data, indent=2,
                                                  ensure_ascii=False)
                                       if detail.error_data is not None else None))


@bp.post("/cockpit/instances/<int:instance_id>/<action>")
@login_required
def act(instance_id: int, action: str) -> Any:
    if action == "retry":
        return _retry(instance_id)
    if action not in ACTIONS:
        abort(404)
    require(MANAGE_INSTANCES)
    try:
        ACTIONS[action](engine_context(), get_session(), actor(), instance_id,
                        request.form.get("reason"))
    except (InvalidInput, Conflict) as refused:
        get_session().rollback()
        flash(_message(refused), "error")
    else:
        commit()
        done = {"suspend": _("Instantie gepauzeerd."), "resume": _("Instantie hervat."),
                "terminate": _("Instantie beëindigd.")}
        flash(done[action], "success")
    return redirect(f"/cockpit/instances/{instance_id}", 303)


def _retry(instance_id: int) -> Any:
    """Merge the fixed data (a JSON object, or one field and its value) and re-run the failed
    element."""
    require(RETRY_INSTANCES)
    try:
        data = _fixed_data()
        instances.retry_instance(engine_context(), get_session(), actor(), instance_id, data)
    except (InvalidInput, Conflict) as refused:
        get_session().rollback()
        flash(_message(refused), "error")
    else:
        commit()
        flash(_("Opnieuw uitgevoerd."), "success")
    return redirect(f"/cockpit/instances/{instance_id}", 303)


def _fixed_data() -> dict[str, Any]:
    text = (request.form.get("data") or "").strip()
    data: dict[str, Any] = {}
    if text:
        try:
            parsed = json.loads(text)
        except ValueError:
            raise InvalidInput({"data": "geen geldige JSON"}) from None
        if not isinstance(parsed, dict):
            raise InvalidInput({"data": "geef een JSON-object, bijvoorbeeld {\"veld\": 1}"})
        data.update(parsed)
    field = (request.form.get("field") or "").strip()
    if field:
        value = request.form.get("value") or ""
        try:
            data[field] = json.loads(value)
        except ValueError:
            data[field] = value  # plain text
    return data


def _message(error: InvalidInput | Conflict) -> str:
    if isinstance(error, InvalidInput):
        names = {"reason": _("Reden"), "data": _("Gegevens")}
        return "; ".join(f"{names.get(k, k)}: {v}" for k, v in error.errors.items())
    return error.message


@bp.get("/cockpit/processes/<process_id>/diagram.bpmn")
@login_required
def diagram(process_id: str) -> Response:
    require(READ_FIGURES)
    version = _version(request.args.get("version"))
    content = instance_tracking.diagram_source(get_session(), actor(), process_id, version)
    return Response(content, mimetype="application/xml")


@bp.get("/cockpit/processes/<process_id>/heatmap")
@login_required
def heatmap(process_id: str) -> tuple[str, int]:
    require(READ_FIGURES)
    ctx, session = engine_context(), get_session()
    errors: dict[str, str] = {}
    try:
        version = _version(request.args.get("version"))
        period_from = _day("period_from")
        period_to = _day("period_to")
        municipality = request.args.get("municipality") or None
        if municipality and municipality not in dict(MUNICIPALITIES):
            raise InvalidInput({"municipality": "onbekende gemeente"})
        found = instance_tracking.heatmap(ctx, session, actor(), process_id, period_from,
                                          period_to, municipality, version)
    except InvalidInput as invalid:
        errors = invalid.errors
        found = instance_tracking.heatmap(ctx, session, actor(), process_id)
    heat = {r.element_id: {"heat": r.heat, "label": _count(r.waiting)} for r in found.rows}
    return render_template("cockpit/heatmap.html", map=found, errors=errors,
                           heat=json.dumps(heat), municipalities=MUNICIPALITIES,
                           choices=instance_tracking.filter_choices(session),
                           count=_count, duration=_duration), 422 if errors else 200


def _version(value: str | None) -> int | None:
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        raise InvalidInput({"version": "geen geldig versienummer"})
    return int(value)


def _day(name: str) -> date | None:
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput({name: "geen geldige datum (JJJJ-MM-DD)"}) from None


def _count(value: int | None) -> str:
    return "<5" if value is None else str(value)


def _duration(seconds: float | None) -> str:
    """Days and hours, as a manager reads a time spent."""
    if seconds is None:
        return "—"
    hours = int(seconds // 3600)
    days, hours = divmod(hours, 24)
    if days:
        return str(_("%(days)d d %(hours)d u", days=days, hours=hours))
    return str(_("%(hours)d u %(minutes)d min", hours=hours,
                 minutes=int(seconds % 3600 // 60)))
