"""Every scenario file of processes/scenarios/ passes, run by the same runner the publish gate
uses (``engine.scenarios``), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import scenarios
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.deployments import read_folder
from tests.processes.chain import deploy_chain

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
SCENARIOS = scenarios.load(read_folder(PROCESSES))


def test_the_scenarios_are_there() -> None:
    assert len(SCENARIOS) >= 20
    assert SCENARIOS[0].name == "01_paid_before_contact"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(ctx: EngineContext, clock: ManualClock,
                  scenario: scenarios.Scenario) -> None:
    deploy_chain(ctx)
    result = scenarios.run(ctx, clock, scenario)
    assert result.passed, result.failure
    assert len(result.checks) == len(scenario.data["steps"])
