"""A request id on every request and one JSON access line per response.

The id comes from the ``X-Request-Id`` header when a proxy sent a sane one, else it is made
here; it is echoed in the response and set in ``engine.logs.request_id`` so every log line of
the request carries it. The access line names the path without its query string: a search's
query may be a household's name.
"""

from __future__ import annotations

import logging
import re
import uuid
from time import perf_counter

from flask import Flask, Response, g, request

from engine import logs

HEADER = "X-Request-Id"
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
log = logging.getLogger("ketenflow.access")


def _start() -> None:
    given = request.headers.get(HEADER, "")
    g.request_id = given if _SANE.fullmatch(given) else uuid.uuid4().hex
    g.request_token = logs.request_id.set(g.request_id)
    g.request_started = perf_counter()


def _finish(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id is None:
        return response
    response.headers[HEADER] = request_id
    log.info("%s %s %s", request.method, request.path, response.status_code,
             extra={"method": request.method, "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((perf_counter() - g.request_started) * 1000, 1)})
    return response


def _reset(_error: BaseException | None) -> None:
    token = g.pop("request_token", None)
    if token is not None:
        logs.request_id.reset(token)


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_reset)
