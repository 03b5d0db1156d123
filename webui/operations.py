"""What the people who run Ketenflow poll: ``/metrics`` (Prometheus) and ``/api/v1/ready``.

``/metrics`` answers a bearer token equal to ``KETENFLOW_METRICS_TOKEN``; without that setting
it answers only requests from the machine itself (loopback), so it is never open to the
network by accident. Readiness is kept out of the OpenAPI description on purpose: it is for
the load balancer, and it answers 503 whenever the worker is not running.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from engine import heartbeat, metrics_export
from webui.db import engine_context

bp = Blueprint("operations", __name__)
LOOPBACK = {"127.0.0.1", "::1"}


def _may_scrape() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                                  str(token).encode())
    return request.remote_addr in LOOPBACK


@bp.get("/metrics")
def scrape() -> Response:
    if not _may_scrape():
        refusal = jsonify(title="metrics need 'Authorization: Bearer <KETENFLOW_METRICS_TOKEN>' "
                                "(or, without that setting, a request from this machine)",
                          status=403)
        refusal.status_code = 403
        return refusal
    body, content_type = metrics_export.render(engine_context())
    return Response(body, content_type=content_type)


@bp.get("/api/v1/ready")
def ready() -> tuple[Response, int]:
    """200 when the database answers and a timer loop beat recently, else 503 naming what is
    wrong."""
    ctx = engine_context()
    checks: dict[str, Any] = {}
    try:
        with ctx.db.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError as error:
        checks["database"] = f"unreachable ({type(error).__name__})"
    if checks["database"] == "ok":
        try:
            alive = heartbeat.worker_alive(ctx)
            checks["worker"] = "ok" if alive else (
                f"no heartbeat in the last {heartbeat.alive_within(ctx).total_seconds():g} s "
                "(is `ketenflow worker` running, or KETENFLOW_EMBEDDED_WORKER on?)")
        except SQLAlchemyError as error:
            checks["worker"] = f"unknown ({type(error).__name__})"
    else:
        checks["worker"] = "unknown (no database)"
    ok = all(value == "ok" for value in checks.values())
    return jsonify(status="ready" if ok else "not ready", **checks), 200 if ok else 503


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
