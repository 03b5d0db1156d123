"""GET /api/v1/cases and /cases/{case_number}: cases as the caller's role may see them."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import request

from engine import cases
from webui.api.routing import current_actor, limit_arg, route
from webui.db import engine_context, get_session


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def case_json(view: cases.CaseView) -> dict[str, Any]:
    """The case's fields; a field the role may not see is None in the view and left out."""
    return {f.name: _value(getattr(view, f.name)) for f in dataclasses.fields(view)
            if getattr(view, f.name) is not None}


@route("/cases", "GET", "Cases in the caller's scope, newest first", query=[
    {"name": n, "schema": {"type": "string"}} for n in ("q", "milestone", "cursor", "limit")])
def index() -> dict[str, Any]:
    limit = limit_arg()
    page = cases.list_cases(engine_context(), get_session(), current_actor(),
                            search=request.args.get("q"),
                            milestone=request.args.get("milestone"),
                            cursor=request.args.get("cursor"), limit=limit, what="api case list")
    return {"items": [case_json(v) for v in page.items], "next": page.next}


@route("/cases/{case_number}", "GET", "One case with its timeline (404 outside your scope)")
def show(case_number: str) -> dict[str, Any]:
    detail = cases.get_case(engine_context(), get_session(), current_actor(), case_number,
                            what="api case detail")
    return {**case_json(detail.case),
            "timeline": [{"at": _value(e.at), "kind": e.kind, "label": e.label,
                          "actor": e.actor} for e in detail.timeline],
            "open_tasks": [{"id": t.id, "name": t.name, "role": t.role, "state": t.state,
                            "due_at": _value(t.due_at)} for t in detail.open_tasks]}
