"""Process instances: start one, list with filters and paging, read one."""

from __future__ import annotations

import re
from typing import Any

from flask import g, request

from engine import cursors, instances
from engine.errors import InvalidInput
from engine.views import as_dict
from webui.api.routing import current_actor, limit_arg, route
from webui.db import engine_context, get_session

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


@route("/instances", "GET", "Instances, newest first", query=[
    {"name": n, "schema": {"type": "string"}} for n in
    ("process_id", "status", "business_key", "cursor", "limit")])
def list_instances() -> dict[str, Any]:
    args = request.args
    page = instances.list_instances(
        engine_context(), get_session(), current_actor(), process_id=args.get("process_id"),
        status=args.get("status"), business_key=args.get("business_key"),
        cursor=args.get("cursor"), limit=limit_arg())
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


def _int(value: str) -> int:
    """The path's id: ASCII digits only (``int("²")`` fails); a number too large to be an id
    is simply not found (the engine answers 404 for any id beyond 64 bits)."""
    if not re.fullmatch(r"-?[0-9]+", value):
        raise InvalidInput({"instance_id": "must be a number"})
    return int(value) if len(value) <= 20 else cursors.MAX_ID + 1
