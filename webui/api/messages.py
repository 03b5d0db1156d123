"""POST /api/v1/messages: an external fact about a case (arrears paid, court summons, ...)."""

from __future__ import annotations

from typing import Any

from flask import g

from engine import messages
from engine.views import as_dict
from webui.api.routing import current_actor, route
from webui.db import engine_context, get_session

MESSAGE = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "case_number": {"type": "string", "minLength": 1},
        "external_id": {"type": "string", "minLength": 1},
        "payload": {"type": "object"},
        "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 200},
    },
    "additionalProperties": False,
}


@route("/messages", "POST", "Deliver a message to the case it correlates with (kept when the "
       "case is not yet waiting for it)", request_schema=MESSAGE)
def send() -> tuple[dict[str, Any], int]:
    body = g.body
    payload = dict(body.get("payload") or {})
    correlation_name, correlation_value = None, None
    for name in ("case_number", "external_id"):
        if body.get(name):
            correlation_name, correlation_value = name, body[name]
            payload.setdefault(name, body[name])
            break
    result = messages.send_message(
        engine_context(), get_session(), current_actor(), body["name"], payload,
        correlation_name=correlation_name, correlation_value=correlation_value,
        idempotency_key=body.get("idempotency_key"))
    return as_dict(result), 200 if result.status == "duplicate" else 202
