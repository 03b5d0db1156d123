"""The JSON API under /api/v1: bearer-token auth, problem+json errors, OpenAPI from schemas."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from webui.api import (  # noqa: E402,F401 - register the routes on bp
    cases,
    deployments,
    health,
    instances,
    messages,
    openapi,
    signals,
    stats,
    tasks,
)
