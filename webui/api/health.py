"""GET /api/v1/health: the app answers and the database is reachable."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from webui.api.routing import route
from webui.db import get_session


@route("/health", "GET", "Liveness and database check", auth=False,
       response_schema={"type": "object", "properties": {"status": {"type": "string"},
                                                         "database": {"type": "string"}}})
def health() -> dict[str, Any]:
    get_session().execute(text("SELECT 1"))
    return {"status": "ok", "database": "ok"}
