"""Web test helpers: the app over the test engine context, signed-in clients, bearer headers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import users
from engine.context import EngineContext
from tests.factories import PASSWORD, make_user
from webui import create_app


@pytest.fixture
def app(ctx: EngineContext) -> Iterator[Flask]:
    application = create_app({"TESTING": True, "SECRET_KEY": "test-secret"}, ctx=ctx)
    yield application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def login(app: Flask, username: str, password: str = PASSWORD) -> FlaskClient:
    """A new client signed in as ``username``."""
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    return client


def person(ctx: EngineContext, app: Flask, username: str, role: str, org: str) -> FlaskClient:
    make_user(ctx, username, role, org)
    return login(app, username)


def bearer(ctx: EngineContext, org: str | None = None, username: str | None = None
           ) -> dict[str, Any]:
    with ctx.sessionmaker.begin() as session:
        created = users.create_token(ctx, session, org_slug=org, username=username)
    return {"Authorization": f"Bearer {created.token}"}
