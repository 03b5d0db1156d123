"""One task: the case summary this role may see, instructions, the form, and submitting it.

Opening a task to work it claims it (when nobody holds it); only the holder completes it. A
refused submit (invalid data, or the claim lost to a colleague or a lead) answers with the page
and the reason in Dutch; with htmx only the form's part is swapped, so the address stays the
task's own and a reload never posts the form again.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, render_template, request
from flask_babel import gettext as _

from engine import tasks
from engine.chain import cases
from engine.chain import referral_packages as packages
from engine.errors import Conflict, InvalidInput, NotFound
from engine.inbox import deadline_state
from webui import forms, htmx
from webui.auth import login_required
from webui.db import commit, engine_context, get_session
from webui.errors import status_of
from webui.pages import actor

bp = Blueprint("tasks", __name__)


def _render(task_id: str, values: dict[str, Any] | None = None,
            errors: dict[str, str] | None = None, conflict: str | None = None,
            status: int = 200) -> Any:
    ctx, session, who = engine_context(), get_session(), actor()
    detail = tasks.get_task(ctx, session, who, task_id)
    fragment = htmx.is_fragment_request() and htmx.target() == "task-work"
    case_detail = None
    if detail.task.case_number and not fragment:
        try:
            case_detail = cases.get_case(ctx, session, who, detail.task.case_number,
                                         what="task page")
        except NotFound:
            case_detail = None
    deadline, left = deadline_state(detail.task.due_at, ctx.clock.now())
    open_task = detail.task.state in ("open", "claimed")
    mine = detail.task.state == "claimed" and detail.task.assignee_id == who.user_id
    claimed_by_other = detail.task.state == "claimed" and not mine
    schema = detail.form_schema or {}
    form_fields = forms.fields(schema, values if values is not None else detail.data, errors)
    known = {f.name for f in form_fields}
    other_errors = {k: v for k, v in (errors or {}).items() if k not in known}
    context = dict(
        detail=detail, case=case_detail.case if case_detail else None,
        timeline=case_detail.timeline if case_detail else [], deadline=deadline, left=left,
        fields=form_fields, errors=errors or {}, other_errors=other_errors, schema=schema,
        open_task=open_task, mine=mine, claimed_by_other=claimed_by_other, conflict=conflict,
        package=None if fragment else packages.for_task(ctx, session, who,
                                                         detail.task.case_number,
                                                         detail.task.role))
    if fragment:
        # htmx swaps only 2xx answers: the refusal is in the fragment itself.
        return render_template("tasks/_work.html", **context), 200
    return render_template("tasks/task.html", **context), status


@bp.get("/tasks/<task_id>")
@login_required
def show(task_id: str) -> Any:
    ctx, session, who = engine_context(), get_session(), actor()
    try:
        if tasks.claim_on_opening(ctx, session, who, task_id):
            commit()
    except Conflict:
        session.rollback()  # a colleague took it at the same moment: the page says so
    return _render(task_id)


@bp.post("/tasks/<task_id>")
@login_required
def submit(task_id: str) -> Any:
    ctx, session, who = engine_context(), get_session(), actor()
    detail = tasks.get_task(ctx, session, who, task_id, prefill=False)
    data = forms.parse(detail.form_schema, request.form)
    try:
        result = tasks.complete_task(ctx, session, who, task_id, data)
    except InvalidInput as invalid:
        session.rollback()
        return _render(task_id, values=data, errors=invalid.errors,
                       status=status_of(invalid))
    except Conflict as conflict:
        session.rollback()
        return _render(task_id, values=data, conflict=conflict.message,
                       status=status_of(conflict))
    if result.next_task_id:
        tasks.claim_task(ctx, session, who, result.next_task_id)
    commit()
    flash(_("Taak afgerond: %(name)s", name=detail.task.name), "success")
    if result.next_task_id:
        return htmx.redirect_to(f"/tasks/{result.next_task_id}")
    return htmx.redirect_to("/inbox?queue=team")
