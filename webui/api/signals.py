"""POST /api/v1/signals and /signals/batch: arrears signals from the housing corporations."""

from __future__ import annotations

from typing import Any

from flask import request

from engine import intake
from engine.errors import InvalidInput
from webui.api.routing import current_actor, route
from webui.db import engine_context, get_session

RESULT = {"type": "object", "properties": {
    "case_number": {"type": "string"}, "created": {"type": "boolean"},
    "municipality": {"type": "string"}}}
BATCH = {"type": "array", "items": intake.SIGNAL_SCHEMA, "minItems": 1,
         "maxItems": intake.MAX_BATCH,
         "description": "a JSON list of signals, or text/csv with the columns "
                        + ", ".join(intake.CSV_COLUMNS)}
BATCH_RESULT = {"type": "object", "properties": {
    "items": {"type": "array", "items": {"type": "object", "properties": {
        "row": {"type": "integer"}, "status": {"enum": ["created", "existing", "invalid"]},
        "external_id": {"type": ["string", "null"]},
        "case_number": {"type": ["string", "null"]},
        "errors": {"type": "array", "items": {"type": "object"}}}}},
    "created": {"type": "integer"}, "existing": {"type": "integer"},
    "invalid": {"type": "integer"}}}


def _json_body() -> Any:
    body = request.get_json(silent=True)
    if body is None:
        raise InvalidInput({"body": "send JSON (Content-Type: application/json)"})
    return body


@route("/signals", "POST", "Report one tenant in arrears (idempotent per external_id)",
       request_schema=intake.SIGNAL_SCHEMA, response_schema=RESULT, validate=False)
def report() -> tuple[dict[str, Any], int]:
    result = intake.report_signal(engine_context(), get_session(), current_actor(),
                                  _json_body())
    body = {"case_number": result.case_number, "created": result.created,
            "municipality": result.municipality}
    return body, 201 if result.created else 200


@route("/signals/batch", "POST", "Report many signals (JSON list or text/csv); one result "
       "per row, a bad row never stops the good ones", request_schema=BATCH,
       response_schema=BATCH_RESULT, validate=False)
def batch() -> dict[str, Any]:
    if (request.mimetype or "").endswith("csv"):
        rows: Any = intake.parse_csv(request.get_data(as_text=True))
    else:
        rows = _json_body()
        if not isinstance(rows, list):
            raise InvalidInput({"body": "send a JSON list of signals, or text/csv"})
    results = intake.report_batch(engine_context(), get_session(), current_actor(), rows)
    items = [{"row": r.row, "status": r.status, "external_id": r.external_id,
              "case_number": r.case_number,
              "errors": [{"field": k, "message": v} for k, v in r.errors.items()]}
             for r in results]
    return {"items": items, **intake.batch_counts(results)}
