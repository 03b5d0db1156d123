"""Ketenflow's web app: pages and the JSON API over the engine's service functions."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

from engine import chain
from engine.clock import Clock
from engine.context import EngineContext, build_context
from engine.settings import EngineSettings
from webui import (
    auth,
    cookie_session,
    csrf,
    db,
    errors,
    i18n,
    input_guard,
    operations,
    pages,
    request_log,
    security_headers,
)
from webui.access_labels import access_what
from webui.config import DEFAULTS


def _local_secret_key() -> str:
    """A key kept in ``instance/secret_key`` when none is configured.

    Every gunicorn worker (and every restart) must sign sessions with the same key, or people
    are logged out at random; production sets ``KETENFLOW_SECRET_KEY`` instead.
    """
    path = Path("instance") / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # written aside, then linked into place: a process starting at the same moment sees
        # no file or the whole key, and the first link wins
        draft = path.with_name(f".secret_key.{os.getpid()}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


class KetenflowFlask(Flask):
    """Flask that asks once per function whether it is a coroutine function.

    Flask passes every hook and view through ``ensure_sync`` on every request, and that asks
    ``inspect.iscoroutinefunction`` each time: nine times for one API call, about 7 % of the
    app's own time in a profile of a 404. The answer never changes for a function.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ensured: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        ensured = self._ensured.get(func)
        if ensured is None:
            ensured = self._ensured[func] = super().ensure_sync(func)
        return ensured


def create_app(config: dict[str, Any] | None = None, ctx: EngineContext | None = None,
               clock: Clock | None = None) -> Flask:
    """Build the app: defaults, then ``KETENFLOW_*`` variables, then ``config``.

    Pass ``ctx`` to share an engine context (tests, the benchmark); otherwise one is built from
    ``EngineSettings.from_env()``.
    """
    app = KetenflowFlask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("KETENFLOW")
    if config:
        app.config.from_mapping(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _local_secret_key()
    if ctx is None:
        ctx = build_context(EngineSettings.from_env(), clock=clock)
    chain.install(ctx)  # the chain's policy and hooks (a no-op when the caller did it)
    app.extensions["ketenflow"] = ctx
    request_log.init_app(app)
    cookie_session.init_app(app)
    db.init_app(app)
    errors.init_app(app)
    input_guard.init_app(app)
    i18n.init_app(app)
    app.jinja_env.filters["access_what"] = access_what
    csrf.init_app(app)
    auth.init_app(app)
    security_headers.init_app(app)
    pages.init_app(app)
    operations.init_app(app)

    from webui.api import bp as api_bp

    app.register_blueprint(api_bp)
    return app
