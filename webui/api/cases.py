"""GET /api/v1/cases and /cases/{case_number}: cases as the caller's role may see them."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import request

from engine import case_file, cases
from webui.api.routing import current_actor, limit_arg, route
from webui.db import engine_context, get_session


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):  # the household's earlier cases
        return [_value(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


#: What the case detail shows as its file (``file``) rather than as case fields.
_FILE_PARTS = ("referrals", "sdd_services")


def case_json(view: cases.CaseView) -> dict[str, Any]:
    """The case's fields; a field the role may not see is None in the view and left out."""
    return {f.name: _value(getattr(view, f.name)) for f in dataclasses.fields(view)
            if getattr(view, f.name) is not None and f.name not in _FILE_PARTS}


def field_json(item: case_file.RecordField) -> dict[str, Any]:
    shown: dict[str, Any] = {"name": item.name, "label": item.label[0],
                             "label_en": item.label[1], "kind": item.kind, "value": item.value}
    if item.choice is not None:
        shown["text"], shown["text_en"] = item.choice
    return shown


def record_json(record: case_file.FileRecord) -> dict[str, Any]:
    """One entry of the case file, labelled as the page shows it."""
    shown: dict[str, Any] = {
        "id": record.id, "category": record.category, "display": record.display,
        "process_id": record.process_id, "bpmn_id": record.bpmn_id,
        "title": record.title[0], "title_en": record.title[1], "role": record.role,
        "completed_at": _value(record.completed_at),
        "fields": [field_json(f) for f in record.fields]}
    if record.completed_by is not None:
        shown["completed_by"] = record.completed_by
    if record.display == "referral":
        shown["urgent"] = record.urgent
    if record.display == "zrm":
        shown["zrm"] = [{"domain": d.label[0], "domain_en": d.label[1], "score": d.score,
                         "note": d.note} for d in record.zrm_grid()]
    return shown


@route("/cases", "GET", "Cases in the caller's scope, newest first", query=[
    {"name": n, "schema": {"type": "string"}} for n in ("q", "milestone", "cursor", "limit")])
def index() -> dict[str, Any]:
    limit = limit_arg()
    page = cases.list_cases(engine_context(), get_session(), current_actor(),
                            search=request.args.get("q"),
                            milestone=request.args.get("milestone"),
                            cursor=request.args.get("cursor"), limit=limit, what="api case list")
    return {"items": [case_json(v) for v in page.items], "next": page.next}


@route("/cases/{case_number}", "GET",
       "One case with its timeline and case file (404 outside your scope)")
def show(case_number: str) -> dict[str, Any]:
    detail = cases.get_case(engine_context(), get_session(), current_actor(), case_number,
                            what="api case detail")
    return {**case_json(detail.case),
            "timeline": [{"at": _value(e.at), "kind": e.kind, "label": e.label,
                          "actor": e.actor} for e in detail.timeline],
            "open_tasks": [{"id": t.id, "name": t.name, "role": t.role, "state": t.state,
                            "due_at": _value(t.due_at)} for t in detail.open_tasks],
            "file": [record_json(r) for r in detail.file]}
