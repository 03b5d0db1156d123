"""Security headers on every response, and no caching of anything but static files.

The pages load their scripts and styles only from our own origin (``webui/static``, htmx and
bpmn-js included) and use no inline scripts, inline styles or ``on*=`` handlers, so the
Content-Security-Policy allows nothing else. The one exception is the small ``<style>``
that htmx itself inserts for its request indicators, allowed by its hash, and on the
decision-table editor the style attributes of dmn-js's "Powered by bpmn.io" watermark, which its
licence forbids changing, allowed by their hashes (``allow_style_attributes``). Nobody may frame the
pages (``frame-ancestors`` for current browsers, ``X-Frame-Options`` for old ones).

Pages and API answers carry personal data, so nothing but ``/static`` may be stored by a
browser or a shared cache (``Cache-Control: no-store``).
"""

from __future__ import annotations

import base64
import hashlib

from flask import Flask, g, request
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

#: The inline style attributes of dmn-js's watermark (dmn-js-shared, lib/util/PoweredByUtil.js,
#: "must not be changed"): the logo's link and image, and the lightbox its click opens.
DMN_WATERMARK_STYLES = (
    "position: absolute; bottom: 15px; right: 15px; z-index: 100;",
    "vertical-align:middle",
    "z-index: 1001;position: fixed;top: 0;left: 0;right: 0;bottom: 0",
    "width: 100%;height: 100%;background: rgba(40,40,40,0.2)",
    "position: absolute;left: 50%;top: 40%;transform: translate(-50%);width: 260px;"
    "padding: 10px;background: white;box-shadow: 0 1px 4px rgba(0,0,0,0.3);"
    "font-family: Helvetica, Arial, sans-serif;font-size: 14px;display: flex;line-height: 1.3",
    "margin: 15px 20px 15px 10px; align-self: center;",
)


def allow_style_attributes(styles: tuple[str, ...]) -> None:
    """Let this response's page carry exactly these inline style attributes (by hash)."""
    g.csp_style_attributes = styles


HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


#: Appended in one go: no view sets these, and ``update`` would look for each one first.
_HEADER_LIST = list(HEADERS.items())


def add_headers(response: Response) -> Response:
    response.headers.extend(_HEADER_LIST)
    styles = g.get("csp_style_attributes")
    if styles:
        hashes = " ".join(_style_hash(style) for style in styles)
        response.headers["Content-Security-Policy"] = (
            f"{CONTENT_SECURITY_POLICY}; style-src-attr 'unsafe-hashes' {hashes}")
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
