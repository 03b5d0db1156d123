"""Ketenflow's web app: pages and the JSON API over the engine's service functions."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask

from engine.clock import Clock
from engine.context import EngineContext, build_context
from engine.settings import EngineSettings
from webui import auth, csrf, db, errors, i18n, pages
from webui.config import DEFAULTS


def create_app(config: dict[str, Any] | None = None, ctx: EngineContext | None = None,
               clock: Clock | None = None) -> Flask:
    """Build the app: defaults, then ``KETENFLOW_*`` variables, then ``config``.

    Pass ``ctx`` to share an engine context (tests, the benchmark); otherwise one is built from
    ``EngineSettings.from_env()``.
    """
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("KETENFLOW")
    if config:
        app.config.from_mapping(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    if ctx is None:
        ctx = build_context(EngineSettings.from_env(), clock=clock)
    app.extensions["ketenflow"] = ctx
    db.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    csrf.init_app(app)
    auth.init_app(app)
    pages.init_app(app)

    from webui.api import bp as api_bp

    app.register_blueprint(api_bp)
    return app
