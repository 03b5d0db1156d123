"""Fixtures shared by the engine's tests (the databases and ``ctx`` come from tests/conftest.py)."""

from __future__ import annotations

import pytest

from engine import instances
from engine.access import SYSTEM
from engine.context import EngineContext
from tests.factories import deploy


@pytest.fixture
def review_id(ctx: EngineContext) -> int:
    """A started instance of the ``review`` process (one open task), in Dordrecht."""
    deploy(ctx, "review")
    with ctx.sessionmaker.begin() as session:
        return instances.start_instance(ctx, session, SYSTEM, "review",
                                        {"municipality": "dordrecht"}).id
