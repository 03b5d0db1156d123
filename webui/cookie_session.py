"""The signed session cookie, with its signer built once per key set instead of per request.

Flask's cookie session builds a new ``itsdangerous`` serializer on every request, even one
that carries no cookie (an API call with a bearer token): about a twentieth of such a call's
CPU. The serializer holds nothing but its keys and settings, so one per (secret key,
fallbacks) serves every request; a changed key makes a new one.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface


class CookieSessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._current: tuple[tuple[Any, ...], Any] | None = None  # (keys, their signer)

    def get_signing_serializer(self, app: Flask) -> Any:
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if self._current is None or self._current[0] != keys:
            self._current = (keys, super().get_signing_serializer(app))
        return self._current[1]


def init_app(app: Flask) -> None:
    app.session_interface = CookieSessionInterface()
