"""POST /api/v1/messages: an external fact about a case (arrears paid, court summons, ...).

The engine decides who may send what about which case (``engine.messages.send_message``):
only names the processes catch, only about a case in the sender's scope (another scope's case
answers the same 404 as a missing one), idempotency keys per sending organisation.
"""

from __future__ import annotations

from typing import Any

from flask import g

from engine import messages
from engine.messages import EXTERNAL_MESSAGES
from engine.views import as_dict
from webui.api.routing import current_actor, route
from webui.db import engine_context, get_session

MESSAGE = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200,
                 "description": "one of: " + ", ".join(EXTERNAL_MESSAGES)},
        "case_number": {"type": "string", "minLength": 1,
                        "description": "the case (one of your organisation's)"},
        "external_id": {"type": "string", "minLength": 1,
                        "description": "or your corporation's own reference for the case"},
        "payload": {"type": "object"},
        "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 200,
                            "description": "repeating it returns the first result; keys are "
                                           "per sending organisation"},
    },
    "additionalProperties": False,
}


@route("/messages", "POST", "Deliver a message to one of your cases (kept when the case is not "
       "yet waiting for it; 404 when the case is not yours or does not exist). A court_summons, "
       "judgment or eviction_date_set for a closed case reopens the household's file as a new "
       "linked case: status 'started' with the new case_number",
       request_schema=MESSAGE)
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
