"""Human tasks: the inbox, one task with its form, claim, release, complete."""

from __future__ import annotations

from typing import Any

from flask import g, request

from engine import inbox, tasks
from engine.access import case_view_kind
from engine.chain import case_file
from engine.chain import referral_packages as packages
from engine.views import as_dict
from webui.api.cases import record_json
from webui.api.routing import current_actor, limit_arg, route
from webui.db import engine_context, get_session

COMPLETE = {"type": "object", "required": ["data"],
            "properties": {
                "data": {"type": "object"},
                "claim": {"type": "boolean", "default": False,
                          "description": "true: an open task of your role is claimed and "
                                         "completed in this one call (a task someone else "
                                         "holds still answers 409)"}},
            "additionalProperties": False}


@route("/tasks", "GET", "My tasks, or with ?queue=team the open queue of my role; "
       "?sort=due|created, ?q= case number, postcode or name", query=[
           {"name": n, "schema": {"type": "string"}}
           for n in ("queue", "q", "sort", "cursor", "limit")])
def list_tasks() -> dict[str, Any]:
    args = request.args
    limit = limit_arg()
    page = inbox.inbox(engine_context(), get_session(), current_actor(),
                       queue=args.get("queue", "mine"), search=args.get("q"),
                       sort=args.get("sort", "due"), cursor=args.get("cursor"), limit=limit,
                       summary=False)
    items = [{**as_dict(item.task), "deadline": item.deadline,
              "working_days_left": item.working_days_left, "urgent": item.urgent}
             for item in page.items]
    return {"items": items, "next": page.next}


@route("/tasks/{task_id}", "GET", "One task with its form (JSON Schema), the data it starts "
       "from (only what the form names in x-prefill-from), the facts it shows (x-show) and, "
       "for the SDD and the Meldpunt, the referral packages of its case (`referrals`, newest "
       "first, as the case file shows them) and the latest version of the package addressed "
       "to the desk (`referral_package`, with its urgency)")
def get_task(task_id: str) -> dict[str, Any]:
    ctx, session, actor = engine_context(), get_session(), current_actor()
    detail = tasks.get_task(ctx, session, actor, task_id)
    view = as_dict(detail.task)
    view.update({"form_schema": detail.form_schema, "data": detail.data,
                 "facts": detail.facts, "instructions": detail.instructions,
                 "due_at": view["due_at"]})
    if case_view_kind(actor) == "referral":
        view["referrals"] = [record_json(r) for r in case_file.task_referral_packages(
            ctx, session, actor, detail.task.case_number)]
        package = packages.for_task(ctx, session, actor, detail.task.case_number,
                                    detail.task.role)
        view["referral_package"] = package.as_json() if package is not None else None
    return view  # type: ignore[no-any-return]


@route("/tasks/{task_id}/claim", "POST", "Claim a task")
def claim(task_id: str) -> dict[str, Any]:
    view = tasks.claim_task(engine_context(), get_session(), current_actor(), task_id)
    return as_dict(view)  # type: ignore[no-any-return]


@route("/tasks/{task_id}/release", "POST", "Release a claimed task")
def release(task_id: str) -> dict[str, Any]:
    view = tasks.release_task(engine_context(), get_session(), current_actor(), task_id)
    return as_dict(view)  # type: ignore[no-any-return]


@route("/tasks/{task_id}/complete", "POST", "Complete a task you hold the claim of with its "
       "form data (an open task answers 409 unless `claim` is true: then it is claimed and "
       "completed in one step; one claimed by someone else always answers 409); the answer "
       "names the task this made ready for you, if any (`next_task_id`)",
       request_schema=COMPLETE)
def complete(task_id: str) -> dict[str, Any]:
    result = tasks.complete_task(engine_context(), get_session(), current_actor(), task_id,
                                 g.body["data"], take_open=g.body.get("claim", False))
    return as_dict(result)  # type: ignore[no-any-return]
