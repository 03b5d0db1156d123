"""Cross-site request forgery protection for cookie-authenticated requests.

Unsafe methods (POST, PUT, PATCH, DELETE) must come from our own origin: browsers send
``Sec-Fetch-Site`` (modern) or ``Origin`` with every such request, including htmx ones, so no
token plumbing is needed. Requests that carry ``Authorization: Bearer`` do not use the cookie
and are exempt. A request with neither header is not from a browser (curl, test clients) and
cannot ride on a victim's cookie.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, abort, request

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _same_origin(origin: str) -> bool:
    if origin == "null":
        return False
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.netloc}" == request.host_url.rstrip("/")


def check() -> None:
    if request.method in SAFE_METHODS:
        return
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        return
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        if fetch_site not in ("same-origin", "none"):
            abort(403, "cross-site request refused")
        return
    origin = request.headers.get("Origin")
    if origin is not None and not _same_origin(origin):
        abort(403, "cross-origin request refused")


def init_app(app: Flask) -> None:
    app.before_request(check)
