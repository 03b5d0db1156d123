"""API fixtures: the Flask app over the test engine context, and bearer-token clients."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import users
from engine.context import EngineContext
from tests.casework import deploy_chain
from tests.webclient import bearer
from webui import create_app


@pytest.fixture
def app(ctx: EngineContext) -> Iterator[Flask]:
    yield create_app({"TESTING": True, "SECRET_KEY": "test"}, ctx=ctx)


@dataclass
class ApiClient:
    client: FlaskClient
    token: str

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self._headers(), **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.post(path, json=json, headers=self._headers(), **kwargs)


@pytest.fixture
def api_as(app: Flask, ctx: EngineContext) -> Any:
    """``api_as("anna", "social_team", "dordrecht")`` -> a client with that user's token."""

    def make(username: str, role: str, org: str) -> ApiClient:
        with ctx.sessionmaker.begin() as session:
            users.add_user(ctx, session, username, role, org, "welkom-123")
            token = users.create_token(ctx, session, username=username).token
        return ApiClient(app.test_client(), token)

    return make


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def corp(ctx: EngineContext, app: Flask) -> dict[str, Any]:
    """The chain deployed and a bearer header for Woonbron's machine token."""
    deploy_chain(ctx)
    return bearer(ctx, org="woonbron")
