"""Issue 10: every national result the chain can produce is produced by a scenario; the desks'
statutory terms escalate to their own leads without holding the case; a payment or a move
asks the SDD or the Meldpunt instead of cancelling their work. Clock moved, real engine,
SQLite and PostgreSQL."""

from __future__ import annotations

from engine.national_results import CORPORATION_OUTCOMES, EINDRESULTATEN
from tests.processes import scenarios, scenarios_outcomes
from tests.processes.chain import Chain

#: Each national result (DDAS EnumEindresultaat v0.9) and the scenario that produces it
#: (processes/SCENARIOS.md); the scenario asserts the result on the closed case's column.
PRODUCED_BY = {
    "Niet opgepakt: herhaalde melding": "12_duplicate_signal",
    "Niet opgepakt: onterecht signaal": "12b_below_threshold",
    "Inwoner is overleden": "22_deceased_at_closure",
    "Persoon is geen inwoner (meer) in de gemeente": "11_tenant_moved",
    "Niet opgepakt: andere reden": "23_not_picked_up_other_reason",
    "Inwoner al bekend bij schuldhulpverlening": "25_sdd_already_known",
    "Inwoner heeft al een ander lopend traject": "20_meldpunt_not_accepted",
    "Definitief geen contact kunnen krijgen": "02_no_contact_after_five_attempts",
    "Geen reactie na eerder contact": "24_sdd_client_withdrew",
    "Inwoner hoeft geen hulp vanuit vroegsignalering": "10_help_declined",
    "Inwoner heeft zelf al betaald/betalingsregeling getroffen": "01_paid_before_contact",
    "(Budget)advies en/of quick fix": "17_paid_after_sdd_help_sdd_stops",
    "Vervolghulp en/of verwijzing financieel": "06_debt_mediation",
    "Verwijzing zonder contact": "07_meldpunt",
    "Vervolghulp en/of verwijzing niet financieel": "19_meldpunt_late_with_consent",
}


def test_every_national_result_has_a_scenario_and_a_corporation_outcome() -> None:
    assert set(PRODUCED_BY) == set(EINDRESULTATEN) == set(CORPORATION_OUTCOMES)
    assert set(PRODUCED_BY.values()) <= set(scenarios.ALL)


def test_an_eviction_date_during_an_sdd_intake_shortens_it_to_three_working_days(
        chain: Chain) -> None:
    scenarios_outcomes.eviction_date_during_sdd_intake(chain)


def test_paid_during_the_sdd_intake_asks_the_sdd_which_goes_on(chain: Chain) -> None:
    scenarios_outcomes.paid_during_sdd_intake_sdd_continues(chain)


def test_paid_after_sdd_help_is_not_paid_by_themselves(chain: Chain) -> None:
    scenarios_outcomes.paid_after_sdd_help_sdd_stops(chain)


def test_a_move_within_dordrecht_keeps_the_case(chain: Chain) -> None:
    scenarios_outcomes.moved_within_dordrecht(chain)


def test_a_late_meldpunt_response_reaches_the_meldpunt_lead(chain: Chain) -> None:
    scenarios_outcomes.meldpunt_late_with_consent(chain)


def test_meldpunt_not_accepted_is_never_help_accepted(chain: Chain) -> None:
    scenarios_outcomes.meldpunt_not_accepted(chain)


def test_the_meldpunt_is_asked_each_time(chain: Chain) -> None:
    scenarios_outcomes.meldpunt_asked_twice(chain)


def test_a_death_is_recorded_at_closure(chain: Chain) -> None:
    scenarios_outcomes.deceased_at_closure(chain)


def test_not_picked_up_for_another_reason(chain: Chain) -> None:
    scenarios_outcomes.not_picked_up_other_reason(chain)


def test_sdd_client_withdrew_is_no_response_after_contact(chain: Chain) -> None:
    scenarios_outcomes.sdd_client_withdrew(chain)


def test_sdd_already_knew_the_household(chain: Chain) -> None:
    scenarios_outcomes.sdd_already_known(chain)


def test_a_terminate_end_in_a_called_process_ends_only_that_process(chain: Chain) -> None:
    """The SDD referral ends with a terminate end event: its open escalation is cancelled,
    while the case (the calling processes) goes on to its closure."""
    scenarios_outcomes._to_sdd(chain)
    assert chain.at("2026-05-26 15:01") == 1
    assert chain.open_ids() == ["escalate_sdd_intake_overdue", "hold_sdd_intake"]
    chain.complete("hold_sdd_intake", {"sdd_intake_date": chain.today(),
                                       "sdd_trajectory": "budget_advice"})
    chain.complete("report_sdd_outcome", {"sdd_outcome": "advice_completed",
                                          "sdd_outcome_date": chain.today()})
    assert chain.task_states("escalate_sdd_intake_overdue") == ["cancelled"]
    assert chain.open_ids() == ["confirm_case_closure"]
    assert chain.instance().status != "completed"
