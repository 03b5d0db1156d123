"""The one place that maps engine errors to HTTP: problem+json for the API, a page elsewhere.

Another scope's object is ``NotFound`` (404), never 403, so its existence does not leak. An
unexpected exception is logged and answered with a generic 500 — never a traceback.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, g, jsonify, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from engine.db import is_write_conflict
from engine.errors import (
    BundleInvalid,
    Conflict,
    EngineError,
    InstanceStateInvalid,
    InvalidInput,
    NotAllowed,
    NotAuthenticated,
    NotFound,
)

STATUS: list[tuple[type[EngineError], int]] = [
    (NotFound, 404), (NotAuthenticated, 401), (NotAllowed, 403), (Conflict, 409),
    (InvalidInput, 422), (BundleInvalid, 422), (InstanceStateInvalid, 409),
]


def status_of(error: EngineError) -> int:
    for cls, status in STATUS:
        if isinstance(error, cls):
            return status
    return 400


def problem(status: int, title: str, detail: str,
            errors: list[dict[str, Any]] | None = None) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status,
                            "detail": detail}
    if errors is not None:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _rollback() -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()


def handle_engine_error(error: EngineError) -> Response | tuple[str, int]:
    _rollback()
    status = status_of(error)
    errors: list[dict[str, Any]] | None = None
    if isinstance(error, InvalidInput):
        errors = [{"field": k, "message": v} for k, v in error.errors.items()]
    elif isinstance(error, BundleInvalid):
        errors = [{"file": p.file, "element": p.element, "line": p.line, "message": p.message}
                  for p in error.problems]
    if _wants_json():
        return problem(status, error.title, error.message, errors)
    return _page(status, error)


def handle_http_error(error: HTTPException) -> Response | HTTPException | tuple[str, int]:
    if _wants_json():
        return problem(error.code or 500, error.name, error.description or error.name)
    if error.code in PAGE_TEXTS:
        return _page(error.code, None)
    return error


#: What a page says for each status (Dutch; translated by the page's language).
PAGE_TEXTS: dict[int, tuple[str, str]] = {
    403: ("Niet toegestaan", "Dit mag je rol niet doen."),
    404: ("Niet gevonden", "Deze pagina bestaat niet, of valt buiten jouw werkgebied."),
    409: ("Iemand was je voor", "Een collega heeft dit net veranderd. Laad de pagina opnieuw."),
    422: ("Ongeldige invoer", "Controleer wat je hebt ingevuld."),
    500: ("Er ging iets mis", "Er ging iets mis aan onze kant; probeer het later opnieuw."),
}


def _page(status: int, error: EngineError | None) -> tuple[str, int]:
    """The error page; a 404 never says whether the object exists in another scope."""
    from flask import render_template
    from flask_babel import gettext

    title, message = PAGE_TEXTS.get(status, PAGE_TEXTS[500])
    if error is not None and status in (409, 422):
        message = error.message
    return render_template("errors/page.html", title=gettext(title),
                           message=gettext(message)), status


def handle_unexpected(error: Exception) -> Response | tuple[str, int]:
    if isinstance(error, OperationalError) and is_write_conflict(error):
        # Two writers on the embedded SQLite database: the same answer as a version conflict.
        return handle_engine_error(Conflict("someone else changed this at the same moment; "
                                            "reload and try again"))
    _rollback()
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    if _wants_json():
        return problem(500, "Interne fout", "Er ging iets mis aan onze kant; probeer het later "
                                            "opnieuw.")
    try:
        return _page(500, None)
    except Exception:  # noqa: BLE001 - the error page itself must never fail
        return "Er ging iets mis aan onze kant; probeer het later opnieuw.", 500


def init_app(app: Flask) -> None:
    app.register_error_handler(EngineError, handle_engine_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
