"""The scenarios of processes/SCENARIOS.md as other Python tests use them.

Every scenario is data (processes/scenarios/*.json, run by ``engine.scenarios``, the runner
the publish gate uses; ``test_scenario_files`` runs each one and ``test_coverage`` measures
them). The functions here play a data scenario on a ``Chain``, or bring a case part of the
way (to the SDD, to the Meldpunt), for tests that go on from there.
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




def to_sdd(chain: Chain, service: str = "budget_advice") -> None:
    """Reached on 23 April, conversation on 28 April, referred to the SDD that day (the
    start of scenarios 17-19, 26 and 27)."""
    reach_and_talk(chain)
    chain.zrm(finances=2)
    chain.plan("follow_advice" if service == "budget_advice" else service)
    chain.complete("prepare_sdd_referral", {"sdd_service": service,
                                            "referral_summary": "Verwijzing",
                                            "consent_given": True})
    # Wgs art. 4a lid 1: four weeks, 28 April + 28 days
    assert chain.due("hold_sdd_intake") == due("2026-05-26T17:00")


def to_meldpunt(chain: Chain, consent: bool = True) -> None:
    """Referred to the Meldpunt on 28 April (the start of scenarios 21-23)."""
    reach_and_talk(chain)
    chain.zrm(finances=2, mental_health=2, social_network=2)
    chain.plan()
    data: dict[str, object] = {"care_referral_summary": "Meervoudige problematiek",
                               "care_consent_given": consent, "care_urgency": "regular"}
    if not consent:
        data["care_legal_ground"] = "care_avoider"
    chain.complete("prepare_care_referral", data)
    # 5 working days from 28 April; 5 May is a holiday every year (Atw art. 3)
    assert chain.due("report_care_referral_outcome") == due("2026-05-06T17:00")
