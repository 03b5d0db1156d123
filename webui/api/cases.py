"""GET /api/v1/cases and /cases/{case_number}: cases as the caller's role may see them."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import g, request

from engine.chain import case_file, cases
from engine.chain import referral_packages as packages
from engine.chain.national_results import EINDRESULTATEN
from engine.errors import InvalidInput
from webui.api.routing import current_actor, limit_arg, route
from webui.db import engine_context, get_session
from webui.input_guard import json_body


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
            "file": [record_json(r) for r in detail.file],
            "arrangement": dataclasses.asdict(detail.arrangement)
            if detail.arrangement is not None else None}


CORRECT = {"type": "object", "required": ["data", "reason"], "additionalProperties": False,
           "properties": {"data": {"type": "object"},
                          "reason": {"type": "string", "minLength": 1, "maxLength": 2000}}}


@route("/cases/{case_number}/referral-packages", "GET",
       "The case's referral packages the caller may read: every version, newest first per "
       "recipient (`latest` marks the one the desk works from). The social team reads what "
       "it sent; the SDD and the Meldpunt only their own package, also after their access to "
       "the household ended (a logged read); 404 for anyone else",
       query=[{"name": "recipient", "schema": {"type": "string"}}])
def referral_packages(case_number: str) -> dict[str, Any]:
    found = packages.read(engine_context(), get_session(), current_actor(), case_number,
                          request.args.get("recipient") or None)
    return {"items": [p.as_json() for p in found]}


@route("/cases/{case_number}/referral-packages/{recipient}", "POST",
       "Correct the referral package sent to `recipient` (budget_advice: the SDD, "
       "care_referral: the Meldpunt): `data` holds the referral form's fields as they should "
       "be, `reason` why. Makes the next version; earlier versions stay readable. Only the "
       "social team of the case's municipality", request_schema=CORRECT)
def correct_referral_package(case_number: str, recipient: str) -> dict[str, Any]:
    ctx, session, actor = engine_context(), get_session(), current_actor()
    row = packages.correct(ctx, session, actor, case_number, recipient, g.body["data"],
                           g.body["reason"])
    latest = packages.visible(ctx, session, actor, case_number, row.recipient_role,
                              latest_only=True)
    return latest[0].as_json() if latest else {"version": row.version}


RESULT_CORRECTION = {
    "type": "object", "additionalProperties": False,
    "required": ["national_result", "reason"],
    "properties": {
        "national_result": {"type": "string", "enum": list(EINDRESULTATEN),
                            "description": "DDAS EnumEindresultaat (v0.9)"},
        "reason": {"type": "string", "minLength": 1, "maxLength": cases.MAX_REASON}},
}


@route("/cases/{case_number}/national-result", "POST",
       "The social team lead corrects a closed case's national result, with a reason",
       request_schema=RESULT_CORRECTION, validate=False)
def correct_result(case_number: str) -> dict[str, Any]:
    body = json_body()
    if not isinstance(body, dict):
        raise InvalidInput({"body": "send a JSON object (Content-Type: application/json)"})
    result, reason = body.get("national_result"), body.get("reason")
    view = cases.correct_national_result(
        engine_context(), get_session(), current_actor(), case_number,
        result if isinstance(result, str) else "", reason if isinstance(reason, str) else "")
    return case_json(view)
