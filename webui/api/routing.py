"""Declaring an API route once: the Flask route, its request schema and its OpenAPI entry.

The same JSON Schema validates the request body and documents it in /api/v1/openapi.json, so
the description cannot drift from what the server accepts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import g, request
from jsonschema import Draft202012Validator

from engine.access import Actor
from engine.errors import InvalidInput, NotAuthenticated
from engine.users import actor_for_bearer
from webui.api import bp
from webui.db import engine_context, get_session
from webui.input_guard import json_body


@dataclass
class RouteDoc:
    path: str
    method: str
    summary: str
    request_schema: dict[str, Any] | None
    response_schema: dict[str, Any] | None
    auth: bool
    query: list[dict[str, Any]] = field(default_factory=list)


ROUTES: list[RouteDoc] = []
View = Callable[..., Any]


def current_actor() -> Actor:
    actor: Actor = g.actor
    return actor


def _authenticate() -> Actor:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    actor = None
    if scheme.lower() == "bearer" and token:
        actor = _token_actor(token.strip())
    elif not header:
        from webui.auth import current_actor as session_actor

        actor = session_actor()
    if actor is None:
        raise Unauthorized()
    return actor


def _token_actor(token: str) -> Actor | None:
    """A token revoked with ``ketenflow token revoke``, or whose user was deactivated, fails
    at its next use in every worker process alike (the cache hears of every change:
    ``engine.token_cache``)."""
    return actor_for_bearer(engine_context(), get_session(), token)


class Unauthorized(NotAuthenticated):
    """No valid credentials (401)."""

    def __init__(self) -> None:
        super().__init__("log in or send a valid 'Authorization: Bearer <token>' header")


def route(path: str, method: str, summary: str, *, request_schema: dict[str, Any] | None = None,
          response_schema: dict[str, Any] | None = None, auth: bool = True,
          query: list[dict[str, Any]] | None = None,
          validate: bool = True) -> Callable[[View], View]:
    """Declare a route; with ``validate=False`` the view validates the body itself with the
    same published schema (the engine does, to name every bad field in its own words)."""
    validator = Draft202012Validator(request_schema) if request_schema and validate else None
    ROUTES.append(RouteDoc(path, method, summary, request_schema, response_schema, auth,
                           query or []))
    flask_path = path.replace("{", "<").replace("}", ">")

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if auth:
                g.actor = _authenticate()
            if validator is not None:
                body = json_body()  # parsed once by the input guard (depth, NaN, NUL)
                if body is None:
                    raise InvalidInput({"body": "send a JSON object "
                                                "(Content-Type: application/json)"})
                errors = {}
                for error in validator.iter_errors(body):
                    name = "/".join(str(p) for p in error.absolute_path)
                    if error.validator == "required":
                        for missing in error.validator_value:
                            if isinstance(error.instance, dict) and missing not in \
                                    error.instance:
                                errors[f"{name}/{missing}" if name else missing] = \
                                    "is required"
                        continue
                    errors.setdefault(name or "body", error.message)
                if errors:
                    raise InvalidInput(errors)
                g.body = body
            return view(*args, **kwargs)

        endpoint = f"{method.lower()}_{view.__name__}"
        bp.add_url_rule(flask_path, endpoint=endpoint, view_func=wrapper, methods=[method])
        return wrapper

    return decorate


def limit_arg(default: int = 50) -> int:
    """The ``?limit=`` of a list request (the engine clamps it to its page bounds)."""
    value = request.args.get("limit")
    if value is None:
        return default
    if not re.fullmatch(r"-?[0-9]{1,9}", value.strip()):  # ASCII digits: int("²") would fail
        raise InvalidInput({"limit": "must be a number"})
    return int(value)
