"""Fixtures of the chain tests: the real processes/ bundle deployed, one case to drive."""

from __future__ import annotations

import pytest

from engine.clock import ManualClock
from engine.context import EngineContext
from tests.processes.chain import Chain, deploy_chain


@pytest.fixture
def chain(ctx: EngineContext, clock: ManualClock) -> Chain:
    deploy_chain(ctx)
    return Chain(ctx, clock, "DR-2026-0001")
