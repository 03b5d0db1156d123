"""Security headers on every response, and no caching of anything but static files.

The pages load their scripts and styles only from our own origin (``webui/static``, htmx and
bpmn-js included) and use no inline scripts, inline styles or ``on*=`` handlers, so the
Content-Security-Policy allows nothing else. The one exception is the small ``<style>``
that htmx itself inserts for its request indicators, allowed by its hash. Nobody may frame the
pages (``frame-ancestors`` for current browsers, ``X-Frame-Options`` for old ones).

Pages and API answers carry personal data, so nothing but ``/static`` may be stored by a
browser or a shared cache (``Cache-Control: no-store``).
"""

from __future__ import annotations

import base64
import hashlib

from flask import Flask, request
from werkzeug.wrappers import Response

#: The indicator rules htmx 2 inserts into <head> at start-up (``includeIndicatorStyles``).
HTMX_INDICATOR_STYLE = (".htmx-indicator{opacity:0;visibility: hidden} "
                        ".htmx-request .htmx-indicator, .htmx-request.htmx-indicator"
                        "{opacity:1;visibility: visible;transition: opacity 200ms ease-in}")


def _style_hash(css: str) -> str:
    digest = hashlib.sha256(css.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    f"style-src 'self' {_style_hash(HTMX_INDICATOR_STYLE)}",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
