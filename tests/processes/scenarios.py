"""The scenarios of processes/SCENARIOS.md as the Python tests call them.

Scenarios 1-16 are data now (processes/scenarios/*.json, run by ``engine.scenarios``, the
runner the publish gate uses; ``test_scenario_files`` runs each one). The functions here play
a data scenario on a ``Chain`` (other tests use them to bring a case to a state), and
``scenarios_outcomes`` and ``legal_scenarios`` hold the scenarios still written in Python.
``test_coverage`` runs them all and checks that together they take every flow node and every
sequence flow of processes/*.bpmn.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from engine import scenarios as runner
from engine.deployments import read_folder
from tests.factories import PASSWORD
from tests.processes.chain import Chain

Scenario = Callable[[Chain], None]


def due(text: str) -> datetime:
    """A deadline as the diagrams write it: ``2026-05-01T17:00`` local time in Amsterdam."""
    return datetime.fromisoformat(text + ":00").replace(tzinfo=ZoneInfo("Europe/Amsterdam"))


FIRST_CONTACT_DUE = due("2026-05-01T17:00")  # 5 working days: weekend and Koningsdag skipped


def reach_and_talk(chain: Chain, **signal: object) -> None:
    """Signal, first contact at once, the conversation five days later with help wanted."""
    chain.signal(**signal)
    chain.reach()
    assert chain.open_ids() == ["hold_kitchen_table_conversation"]
    chain.at("2026-04-28 09:00")
    chain.talk(True, False)


PROCESSES_DIR = Path(__file__).resolve().parents[2] / "processes"
#: The data scenarios of the repository's bundle, by name.
DATA: dict[str, runner.Scenario] = {s.name: s for s in runner.load(read_folder(PROCESSES_DIR))}


def play(chain: Chain, name: str) -> None:
    """Run data scenario ``name`` as ``chain``'s case (its clock, number and users)."""
    result = runner.run(chain.ctx, chain.clock, DATA[name], chain.case_number,
                        chain._actors, PASSWORD)  # noqa: SLF001 - the chain's own users
    assert result.passed, f"{name}: {result.failure}"
    chain.instance_id = result.instance_id


def _played(name: str) -> Scenario:
    def scenario(chain: Chain) -> None:
        play(chain, name)
    scenario.__name__ = name
    return scenario


paid_before_contact = _played("01_paid_before_contact")
no_contact_after_five_attempts = _played("02_no_contact_after_five_attempts")
budget_advice = _played("05_budget_advice")
debt_mediation = _played("06_debt_mediation")
meldpunt = _played("07_meldpunt")


#: The scenarios still written in Python (issue 10's, 17 onwards); the data ones are DATA.
from tests.processes import scenarios_outcomes  # noqa: E402  (it uses the helpers above)

ALL: dict[str, Scenario] = dict(scenarios_outcomes.ALL)
