"""Small test-data helpers with defaults: users, actors, deployments of test bundles."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import deployments, users
from engine.access import SYSTEM, Actor
from engine.context import EngineContext
from engine.views import DeploymentView

BPMN = Path(__file__).resolve().parent / "bpmn"
PASSWORD = "welkom-123"


def make_user(ctx: EngineContext, username: str = "anna", role: str = "social_team",
              org: str = "dordrecht") -> Actor:
    with ctx.sessionmaker.begin() as session:
        user = users.add_user(ctx, session, username, role, org, PASSWORD)
        return users.actor_for(user)


def deploy(ctx: EngineContext, bundle: str | Path) -> DeploymentView:
    """Deploy a folder under tests/bpmn (or any path)."""
    path = BPMN / bundle if isinstance(bundle, str) else bundle
    with ctx.sessionmaker.begin() as session:
        return deployments.deploy_path(ctx, session, SYSTEM, path)


def only_on(ctx: EngineContext, dialect: str, elsewhere: str) -> None:
    """Skip a test that holds for ``dialect`` only; ``elsewhere`` names what covers the other."""
    if ctx.db.dialect.name != dialect:
        pytest.skip(elsewhere)
