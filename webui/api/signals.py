"""POST /api/v1/signals and /signals/batch: arrears signals from the housing corporations.

A batch of up to ``signal_batches.SYNC_ROWS`` rows is answered at once (200, one result per
row); a larger one is accepted as a job (202 with its id and a ``Location`` to poll), so no
batch can outlast the web server's worker timeout.
"""

from __future__ import annotations

from typing import Any

from flask import request

from engine.chain import intake, signal_batches
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
ITEMS = {"type": "array", "items": {"type": "object", "properties": {
    "row": {"type": "integer"}, "status": {"enum": ["created", "existing", "invalid"]},
    "external_id": {"type": ["string", "null"]},
    "case_number": {"type": ["string", "null"]},
    "errors": {"type": "array", "items": {"type": "object"}}}}}
COUNTS = {"created": {"type": "integer"}, "existing": {"type": "integer"},
          "invalid": {"type": "integer"}}
BATCH_RESULT = {"type": "object", "description": (
    f"up to {signal_batches.SYNC_ROWS} rows: 200 with one result per row; more: 202 with "
    "the job (id, status) to poll at GET /api/v1/signals/batch/{job_id}"),
    "properties": {"items": ITEMS, **COUNTS, "job_id": {"type": "string"},
                   "status": {"type": "string"}, "total": {"type": "integer"}}}
JOB = {"type": "object", "properties": {
    "job_id": {"type": "string"},
    "status": {"enum": ["queued", "running", "done", "interrupted"],
               "description": "interrupted: the job stopped before its end; send the batch "
                              "again (rows already reported come back as existing)"},
    "total": {"type": "integer"}, "processed": {"type": "integer"}, **COUNTS,
    "items": {**ITEMS, "description": "when done or interrupted: the rows processed"}}}


def _json_body() -> Any:
    body = request.get_json(silent=True)
    if body is None:
        raise InvalidInput({"body": "send JSON (Content-Type: application/json)"})
    return body


def _items(results: list[intake.RowResult]) -> list[dict[str, Any]]:
    return [{"row": r.row, "status": r.status, "external_id": r.external_id,
             "case_number": r.case_number,
             "errors": [{"field": k, "message": v} for k, v in r.errors.items()]}
            for r in results]


@route("/signals", "POST", "Report one tenant in arrears (idempotent per external_id); with "
       "legal_event ({kind: court_summons | judgment | eviction_date_set, ...}) for a tenant "
       "never reported whose eviction procedure has already begun",
       request_schema=intake.SIGNAL_SCHEMA, response_schema=RESULT, validate=False)
def report() -> tuple[dict[str, Any], int]:
    result = intake.report_signal(engine_context(), get_session(), current_actor(),
                                  _json_body())
    body = {"case_number": result.case_number, "created": result.created,
            "municipality": result.municipality}
    return body, 201 if result.created else 200


@route("/signals/batch", "POST", "Report many signals (JSON list or text/csv); one result "
       "per row, a bad row never stops the good ones; a large batch becomes a job to poll",
       request_schema=BATCH, response_schema=BATCH_RESULT, validate=False)
def batch() -> tuple[dict[str, Any], int, dict[str, str]] | dict[str, Any]:
    if (request.mimetype or "").endswith("csv"):
        rows: Any = intake.parse_csv(request.get_data(as_text=True))
    else:
        rows = _json_body()
        if not isinstance(rows, list):
            raise InvalidInput({"body": "send a JSON list of signals, or text/csv"})
    ctx, actor = engine_context(), current_actor()
    if len(rows) <= signal_batches.SYNC_ROWS:
        results = signal_batches.report_batch(ctx, actor, rows)
        return {"items": _items(results), **intake.batch_counts(results)}
    job_id = signal_batches.submit(ctx, actor, rows)
    signal_batches.start(ctx, job_id)
    return ({"job_id": job_id, "status": "queued", "total": len(rows)}, 202,
            {"Location": f"/api/v1/signals/batch/{job_id}"})


@route("/signals/batch/{job_id}", "GET", "A batch job: status, counts and, once done, one "
       "result per row (404 for another organisation's job)", response_schema=JOB)
def batch_job(job_id: str) -> dict[str, Any]:
    job = signal_batches.status(engine_context(), get_session(), current_actor(), job_id)
    body: dict[str, Any] = {"job_id": job.id, "status": job.status, "total": job.total,
                            "processed": job.processed, "created": job.created,
                            "existing": job.existing, "invalid": job.invalid}
    if job.items is not None:
        body["items"] = _items(job.items)
    return body
