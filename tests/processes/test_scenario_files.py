"""Every scenario file of processes/scenarios/ passes, run by the same runner the publish gate
uses (``engine.scenarios``), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import scenarios
from engine.bundles import BundleFile
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.deployments import read_folder
from engine.scenario_format import ScenarioFormatError, parse
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


def test_a_scenario_that_should_fail_fails_naming_the_step(ctx: EngineContext,
                                                           clock: ManualClock) -> None:
    deploy_chain(ctx)
    wrong = scenarios.Scenario("wrong", parse(
        '{"title": "Verkeerd", "steps": [{"signal": {}}, {"close": {}},'
        ' {"expect_open": []}]}'))
    result = scenarios.run(ctx, clock, wrong)
    assert not result.passed
    assert [c.ok for c in result.checks] == [True, False]
    assert result.failure is not None and result.failure.startswith(
        "stap 2 (close): taak confirm_case_closure staat 0 keer open; open: "
        "record_first_contact_attempt")


@pytest.mark.parametrize(("text", "message"), [
    ('{"steps": [{"signal": {}}]}', "'title' ontbreekt"),
    ('{"title": "x", "steps": [{"signal": {}, "close": {}}]}', "stap 1: precies één actie"),
    ('{"title": "x", "steps": [{"signal": {}}, {"clock": 5}]}', "stap 2 (clock): de waarde"),
    ('{"title": "x", "steps": [{"message": "m", "when": 1}]}', "stap 1 (message): onbekende"),
    ('{"title": "x", "steps": [{"message": "m", "case": "first"}]}',
     "stap 1 (message): 'case' is \"current\""),
    ('{"title": "x", "steps": [{"expect_case": ["closed"]}]}',
     "stap 1 (expect_case): de waarde is een object"),
])
def test_format_errors_name_the_step(text: str, message: str) -> None:
    with pytest.raises(ScenarioFormatError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(text)


def test_a_broken_file_in_a_bundle_is_named() -> None:
    files = [BundleFile("scenarios/99_kapot.json", b'{"title": "x", "steps": '
                        b'[{"signal": {}}, {"clock": "nu", "fired": "1"}]}')]
    with pytest.raises(ScenarioFormatError) as refused:
        scenarios.load(files)
    assert str(refused.value) == ("scenarios/99_kapot.json: stap 2 (clock): 'fired' is een "
                                  "geheel getal")


def test_a_message_to_the_previous_case_needs_one(ctx: EngineContext,
                                                  clock: ManualClock) -> None:
    deploy_chain(ctx)
    early = scenarios.Scenario("early", parse(
        '{"title": "Te vroeg", "steps": [{"signal": {}},'
        ' {"message": "arrears_resolved", "case": "previous"}]}'))
    result = scenarios.run(ctx, clock, early)
    assert result.failure is not None and result.failure.startswith(
        "stap 2 (message): er is geen vorige zaak")


def test_true_is_not_one(ctx: EngineContext, clock: ManualClock) -> None:
    """A yes is compared as a yes: the number 1 does not pass for it (nor 1 for true)."""
    deploy_chain(ctx)
    right = scenarios.Scenario("bool", parse(
        '{"title": "Waar", "steps": [{"signal": {}}, {"expect_case": {"synthetic": true}}]}'))
    assert scenarios.run(ctx, clock, right, "BO-1").passed
    wrong = scenarios.Scenario("one", parse(
        '{"title": "Een", "steps": [{"signal": {}}, {"expect_case": {"synthetic": 1}}]}'))
    result = scenarios.run(ctx, clock, wrong, "BO-2")
    assert result.failure == ("stap 2 (expect_case): zaak BO-2 synthetic: verwacht 1, "
                              "gekregen true")


def test_a_failed_scenario_does_not_fail_the_ones_after_it(ctx: EngineContext,
                                                           clock: ManualClock) -> None:
    """The gate runs every scenario in one database: a failed one's case is ended, or its
    timers would fire in the next scenario's clock moves (08 counts the timers it fires)."""
    deploy_chain(ctx)
    by_name = {s.name: s for s in SCENARIOS}
    budget, summons = by_name["05_budget_advice"], by_name["08_court_summons_during_outreach"]
    steps = [dict(step) for step in budget.data["steps"]]
    steps[1] = {"expect_due": {"record_first_contact_attempt": "2026-04-30T17:00"}}
    failing = scenarios.Scenario(budget.name, {**budget.data, "steps": steps})
    suite = scenarios.run_all(ctx, clock, [failing, summons], read_folder(PROCESSES))
    assert [r.passed for r in suite.results] == [False, True], suite.results[1].failure
    assert suite.results[0].failure is not None and "2026-04-30T17:00" in \
        suite.results[0].failure
