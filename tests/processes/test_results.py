"""Issue 10: every national result the chain can produce is produced by a scenario (the
scenarios themselves, the desks' terms and the questions a payment or a move asks the SDD or
the Meldpunt among them, are data: processes/scenarios/, run by test_scenario_files); the
closure's own table. Clock moved, real engine, SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from engine import instances
from engine.access import SYSTEM
from engine.chain.national_results import CORPORATION_OUTCOMES, EINDRESULTATEN
from engine.context import EngineContext
from engine.models import HumanTask
from tests.casework import complete_claimed
from tests.processes import scenarios
from tests.processes.chain import Chain, deploy_chain

#: Each national result (DDAS EnumEindresultaat v0.9) and the scenario that produces it
#: (processes/SCENARIOS.md); the scenario asserts the result on the closed case's column.
PRODUCED_BY = {
    "Niet opgepakt: herhaalde melding": "12_duplicate_signal",
    "Niet opgepakt: onterecht signaal": "12b_below_threshold",
    "Inwoner is overleden": "24_deceased_at_closure",
    "Persoon is geen inwoner (meer) in de gemeente": "11_tenant_moved",
    "Niet opgepakt: andere reden": "25_not_picked_up_other_reason",
    "Inwoner al bekend bij schuldhulpverlening": "27_sdd_already_known",
    "Inwoner heeft al een ander lopend traject": "22_meldpunt_not_accepted",
    "Definitief geen contact kunnen krijgen": "02_no_contact_after_five_attempts",
    "Geen reactie na eerder contact": "26_sdd_client_withdrew",
    "Inwoner hoeft geen hulp vanuit vroegsignalering": "10_help_declined",
    "Inwoner heeft zelf al betaald/betalingsregeling getroffen": "01_paid_before_contact",
    "(Budget)advies en/of quick fix": "19_paid_after_sdd_help_sdd_stops",
    "Vervolghulp en/of verwijzing financieel": "06_debt_mediation",
    "Verwijzing zonder contact": "07_meldpunt",
    "Vervolghulp en/of verwijzing niet financieel": "21_meldpunt_late_with_consent",
}


def test_every_national_result_has_a_scenario_and_a_corporation_outcome() -> None:
    assert set(PRODUCED_BY) == set(EINDRESULTATEN) == set(CORPORATION_OUTCOMES)
    assert set(PRODUCED_BY.values()) <= set(scenarios.DATA)
    for code, name in PRODUCED_BY.items():  # the scenario asserts that very result
        closings = [step["expect_closed"] for step in scenarios.DATA[name].data["steps"]
                    if "expect_closed" in step]
        assert [c["code"] for c in closings] == [code], name


def test_a_terminate_end_in_a_called_process_ends_only_that_process(chain: Chain) -> None:
    """The SDD referral ends with a terminate end event: its open escalation is cancelled,
    while the case (the calling processes) goes on to its closure."""
    scenarios.to_sdd(chain)
    assert chain.at("2026-05-26 15:01") == 1
    assert chain.open_ids() == ["escalate_sdd_intake_overdue", "hold_sdd_intake"]
    chain.complete("hold_sdd_intake", {"sdd_intake_date": chain.today(),
                                       "sdd_trajectory": "budget_advice"})
    chain.complete("report_sdd_outcome", {"sdd_outcome": "advice_completed",
                                          "sdd_outcome_date": chain.today()})
    assert chain.task_states("escalate_sdd_intake_overdue") == ["cancelled"]
    assert chain.open_ids() == ["confirm_case_closure"]
    assert chain.instance().status != "completed"


def _proposed(ctx: EngineContext, data: dict[str, object]) -> dict[str, object]:
    """Run the closure alone (it has a none start event), confirmed as proposed."""
    with ctx.sessionmaker.begin() as session:
        started = instances.start_instance(ctx, session, SYSTEM, "case_closure", data)
    with ctx.sessionmaker.begin() as session:
        task_id = session.scalars(select(HumanTask.id).where(
            HumanTask.instance_id == started.id)).one()
        complete_claimed(ctx, session, SYSTEM, task_id, {"closure_date": "2026-04-23"})
    with ctx.sessionmaker() as session:
        view = instances.get_instance(ctx, session, SYSTEM, started.id)
    assert view.status == "completed" and view.data is not None, view
    return view.data


def test_a_household_already_in_an_sdd_trajectory_has_another_trajectory(
        ctx: EngineContext, chain: Chain) -> None:
    """The intake's flag (``known_sdd_trajectory``, set by the legal track's intake) turns a
    case that got no help of its own into "ander lopend traject"; without the flag, or after
    help of its own, the result stays what the closure says."""
    deploy_chain(ctx)
    flagged = _proposed(ctx, {"closure_reason": "help_declined", "known_sdd_trajectory": True})
    assert flagged["national_outcome_code"] == "Inwoner heeft al een ander lopend traject"
    assert flagged["corporation_feedback"] == "Afgesloten"
    helped = _proposed(ctx, {"closure_reason": "budget_advice_completed",
                             "known_sdd_trajectory": True})
    assert helped["national_outcome_code"] == "(Budget)advies en/of quick fix"
    absent = _proposed(ctx, {"closure_reason": "help_declined"})
    assert absent["known_sdd_trajectory"] is False
    assert absent["national_outcome_code"] == "Inwoner hoeft geen hulp vanuit vroegsignalering"


def test_an_unknown_closure_reason_stops_in_error_rather_than_report_a_wrong_code(
        ctx: EngineContext, chain: Chain) -> None:
    deploy_chain(ctx)
    with ctx.sessionmaker.begin() as session:
        view = instances.start_instance(ctx, session, SYSTEM, "case_closure",
                                        {"closure_reason": "something_new"})
    assert view.status == "error" and view.error is not None
