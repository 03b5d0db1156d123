"""Flask-side settings; the engine's own keys live in ``engine.settings``.

``create_app`` applies, in order: these defaults, ``KETENFLOW_*`` environment variables
(``Flask.config.from_prefixed_env``), then the mapping a test passes in.
"""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, Any] = {
    # Signs session cookies; set KETENFLOW_SECRET_KEY in production (a random dev key
    # is generated per start otherwise, which logs everyone out on restart).
    "SECRET_KEY": None,
    # Cookies: not readable by scripts, not sent cross-site.
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Set KETENFLOW_SESSION_COOKIE_SECURE=true behind HTTPS.
    "SESSION_COOKIE_SECURE": False,
    # Largest request body (a bundle upload or a CSV batch), in bytes.
    "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
    "JSON_SORT_KEYS": False,
    # Number of gunicorn worker processes for `ketenflow serve`.
    "WEB_WORKERS": 2,
    # Bearer token /metrics asks for; unset, /metrics answers only requests from this machine.
    "METRICS_TOKEN": None,
}
