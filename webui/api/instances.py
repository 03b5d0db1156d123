"""Process instances: start one, list with filters and paging, read one."""

from __future__ import annotations

import re
from typing import Any

from flask import g, request

from engine import cursors, instance_control, instances
from engine.errors import InvalidInput
from engine.views import as_dict
from webui.api.routing import current_actor, limit_arg, route
from webui.db import engine_context, get_session
from webui.input_guard import json_body
from webui.instance_filters import filters_from

START = {
    "type": "object",
    "required": ["process_id"],
    "properties": {
        "process_id": {"type": "string", "minLength": 1},
        "data": {"type": "object"},
        "business_key": {"type": ["string", "null"]},
    },
    "additionalProperties": False,
}


@route("/instances", "POST", "Start a process that has a none start event", request_schema=START)
def start_instance() -> tuple[dict[str, Any], int]:
    body = g.body
    view = instances.start_instance(engine_context(), get_session(), current_actor(),
                                    body["process_id"], body.get("data") or {},
                                    body.get("business_key"))
    return as_dict(view), 201


#: The list's query parameters (``process_id``, ``status``, ``business_key`` as before).
LIST_QUERY = [
    {"name": "process_id", "schema": {"type": "string"}},
    {"name": "version", "schema": {"type": "string"}, "description": "deployment version"},
    {"name": "status", "schema": {"type": "string"}},
    {"name": "business_key", "schema": {"type": "string"}, "description": "case number"},
    {"name": "municipality", "schema": {"type": "string"}},
    {"name": "corporation", "schema": {"type": "string"}},
    {"name": "step", "schema": {"type": "string"}, "description": "an element waited at now"},
    {"name": "overdue", "schema": {"type": "string"}, "description": "true: an open task is late"},
    {"name": "in_error", "schema": {"type": "string"}, "description": "true: status error"},
    {"name": "started_from", "schema": {"type": "string"}, "description": "YYYY-MM-DD"},
    {"name": "started_to", "schema": {"type": "string"}, "description": "YYYY-MM-DD"},
    {"name": "cursor", "schema": {"type": "string"}},
    {"name": "limit", "schema": {"type": "string"}},
]


@route("/instances", "GET", "Instances, newest first, with filters", query=LIST_QUERY)
def list_instances() -> dict[str, Any]:
    page = instances.list_instances(
        engine_context(), get_session(), current_actor(), cursor=request.args.get("cursor"),
        limit=limit_arg(), filters=filters_from(request.args))
    return as_dict(page)  # type: ignore[no-any-return]


@route("/instances/{instance_id}", "GET", "One instance: status, current elements, error")
def get_instance(instance_id: str) -> dict[str, Any]:
    view = instances.get_instance(engine_context(), get_session(), current_actor(),
                                  _int(instance_id))
    return as_dict(view)  # type: ignore[no-any-return]


RETRY = {"type": "object", "properties": {"data": {"type": "object"}},
         "additionalProperties": False}


@route("/instances/{instance_id}/retry", "POST", "Re-run the failed element after fixing data",
       request_schema=RETRY)
def retry_instance(instance_id: str) -> dict[str, Any]:
    view = instances.retry_instance(engine_context(), get_session(), current_actor(),
                                    _int(instance_id), g.body.get("data"))
    return as_dict(view)  # type: ignore[no-any-return]


REASON = {"type": "object", "required": ["reason"],
          "properties": {"reason": {"type": "string", "maxLength": 1000}},
          "additionalProperties": False}


def _reason() -> Any:
    """The body's reason, checked here with the published schema's rules but in Dutch (the
    engine refuses an empty one, naming the field)."""
    instance_control.require_manage(current_actor())  # the role's refusal comes first
    body = json_body()
    if not isinstance(body, dict):
        raise InvalidInput({"body": "stuur een JSON-object met een reden: {\"reason\": ...}"})
    unknown = sorted(set(body) - {"reason"})
    if unknown:
        raise InvalidInput({name: "onbekend veld" for name in unknown})
    if body.get("reason") is not None and not isinstance(body["reason"], str):
        raise InvalidInput({"reason": "De reden moet tekst zijn."})
    return body.get("reason")


@route("/instances/{instance_id}/suspend", "POST", "Suspend an instance, with a reason",
       request_schema=REASON, validate=False)
def suspend_instance(instance_id: str) -> dict[str, Any]:
    view = instance_control.suspend_instance(engine_context(), get_session(), current_actor(),
                                             _int(instance_id), _reason())
    return as_dict(view)  # type: ignore[no-any-return]


@route("/instances/{instance_id}/resume", "POST", "Resume a suspended instance, with a reason",
       request_schema=REASON, validate=False)
def resume_instance(instance_id: str) -> dict[str, Any]:
    view = instance_control.resume_instance(engine_context(), get_session(), current_actor(),
                                            _int(instance_id), _reason())
    return as_dict(view)  # type: ignore[no-any-return]


@route("/instances/{instance_id}/terminate", "POST", "End an instance for good, with a reason",
       request_schema=REASON, validate=False)
def terminate_instance(instance_id: str) -> dict[str, Any]:
    view = instance_control.terminate_instance(engine_context(), get_session(),
                                               current_actor(), _int(instance_id), _reason())
    return as_dict(view)  # type: ignore[no-any-return]


def _int(value: str) -> int:
    """The path's id: ASCII digits only (``int("²")`` fails); a number too large to be an id
    is simply not found (the engine answers 404 for any id beyond 64 bits)."""
    if not re.fullmatch(r"-?[0-9]+", value):
        raise InvalidInput({"instance_id": "must be a number"})
    return int(value) if len(value) <= 20 else cursors.MAX_ID + 1
