"""The only reader of ``HX-*`` headers: fragment or full page, and redirects htmx follows.

Every page works as plain HTML; an htmx request gets the partial the full page includes. A
history-restore request (htmx 2: ``HX-History-Restore-Request``; htmx 4: ``HX-Request-Type:
full``) gets the full page.
"""

from __future__ import annotations

from flask import Response, redirect, request
from werkzeug.wrappers import Response as BaseResponse


def is_fragment_request() -> bool:
    if request.headers.get("HX-Request") != "true":
        return False
    if request.headers.get("HX-History-Restore-Request") == "true":
        return False
    return request.headers.get("HX-Request-Type", "partial") != "full"


def target() -> str | None:
    return request.headers.get("HX-Target")


def redirect_to(url: str) -> BaseResponse:
    """A 303 for plain forms; for htmx a 204 with ``HX-Redirect`` (a full navigation)."""
    if request.headers.get("HX-Request") == "true":
        response = Response(status=204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)
