"""The case file: what every completed task recorded is kept, and each role reads exactly its
cells of domain.md §6 (the expectations below are written from that table, not from the
code's policy table)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.access import Actor
from engine.chain import cases
from engine.errors import InvalidInput, NotFound
from engine.models import AccessLog, AccessLogCase, CaseRecord
from tests.factories import make_user
from tests.logged import logged
from tests.processes import scenarios
from tests.processes.chain import Chain, deploy_chain


@pytest.fixture
def chain(ctx, clock) -> Chain:
    deploy_chain(ctx)
    return Chain(ctx, clock, "DR-2026-0001")


#: The categories of what the chain records, as domain.md §6 names them (our short names).
ASSESSMENT = {"contact", "conversation", "assessment", "plan"}


def _file(chain: Chain, actor: Actor) -> dict[str, set[str]]:
    """The case file as ``actor`` reads it: category -> the field names shown."""
    with chain.ctx.sessionmaker.begin() as session:
        detail = cases.get_case(chain.ctx, session, actor, chain.case_number)
    shown: dict[str, set[str]] = {}
    for record in detail.file:
        shown.setdefault(record.category, set()).update(f.name for f in record.fields)
    return shown


def _records(chain: Chain) -> list[CaseRecord]:
    with chain.ctx.sessionmaker() as session:
        rows = list(session.scalars(select(CaseRecord).where(
            CaseRecord.case_number == chain.case_number).order_by(CaseRecord.id)).all())
        session.expunge_all()
        return rows


def test_every_completed_task_keeps_what_it_recorded(chain: Chain) -> None:
    scenarios.budget_advice(chain)
    rows = _records(chain)
    assert [r.bpmn_id for r in rows] == [
        "record_first_contact_attempt", "hold_kitchen_table_conversation", "score_zrm",
        "agree_action_plan", "prepare_sdd_referral", "hold_sdd_intake", "report_sdd_outcome",
        "confirm_case_closure"]
    referral = rows[4]
    assert referral.data == {"sdd_service": "budget_advice",
                             "referral_summary": "Budgetadvies gewenst",
                             "consent_given": False, "legal_ground": "wgs_public_task"}
    assert referral.role == "social_team" and referral.process_id == "debt_assistance_referral"
    assert referral.completed_by == "social_team-dordrecht"
    assert referral.task_name == "Verwijzing SDD opstellen"
    assert rows[5].role == "budget_advice" and rows[5].completed_by == "budget_advice-sdd"
    assert rows[0].data["contact_made"] is True and rows[0].completed_at is not None
    # what the process had decided is kept with the record it was acted on
    assert rows[3].context["advised_route"] == "budget_advice"
    assert rows[7].context == {
        "closure_reason_label": "Budgetadvies afgerond",
        "national_outcome_code": "(Budget)advies en/of quick fix",
        "corporation_feedback": "Afgesloten: hulp geaccepteerd"}


def test_a_refused_completion_keeps_nothing(chain: Chain) -> None:
    chain.signal()
    with pytest.raises(InvalidInput):
        chain.complete("record_first_contact_attempt", {"attempt_type": "Telefoon"})
    assert _records(chain) == []


def test_each_role_reads_its_cells_of_the_sdd_case(chain: Chain) -> None:
    scenarios.budget_advice(chain)
    everything = {"contact", "conversation", "assessment", "plan", "referral_sdd",
                  "sdd_intake", "sdd_outcome", "closure"}
    member = _file(chain, chain.actor("social_team"))
    assert set(member) == everything
    assert {"national_outcome_code", "closure_reason_label"} <= member["closure"]
    assert set(_file(chain, chain.actor("social_team_lead"))) == everything
    # SDD: the case is closed and its part done, so only its own referral package and what
    # it recorded itself (issue 9, item 3: access to the household ends with its part)
    sdd = _file(chain, chain.actor("budget_advice"))
    assert set(sdd) == {"referral_sdd", "sdd_intake", "sdd_outcome"}
    assert sdd["referral_sdd"] == {"sdd_service", "referral_summary", "consent_given",
                                   "legal_ground"}
    # the corporation: the generic outcome only, nothing of the assessment or the referral
    corporation = _file(chain, chain.actor("corporation"))
    assert corporation == {"closure": {"closure_date", "corporation_feedback"}}
    assert set(_file(chain, make_user(chain.ctx, "beheer", "admin", "regio"))) == \
        everything
    # the Meldpunt has no part in this case: not found, as a missing case
    with chain.ctx.sessionmaker() as session, pytest.raises(NotFound):
        cases.get_case(chain.ctx, session, chain.actor("care_referral"), chain.case_number)


def test_each_role_reads_its_cells_of_the_meldpunt_case(chain: Chain) -> None:
    scenarios.meldpunt(chain)
    member = _file(chain, chain.actor("social_team"))
    # the member sends the referral ("W (send)") but does not read it back; of the
    # Meldpunt's outcome it sees the status only
    assert set(member) == ASSESSMENT | {"care_outcome", "closure"}
    assert member["care_outcome"] == {"care_outcome", "care_outcome_date"}
    lead = _file(chain, chain.actor("social_team_lead"))
    assert set(lead) == ASSESSMENT | {"referral_care", "care_outcome", "closure"}
    assert lead["care_outcome"] == {"care_outcome", "care_outcome_date"}
    meldpunt = _file(chain, chain.actor("care_referral"))
    # closed, and the Meldpunt's part done: its own package and outcome only
    assert set(meldpunt) == {"referral_care", "care_outcome"}
    assert meldpunt["referral_care"] == {"care_referral_summary", "care_consent_given",
                                         "care_legal_ground", "care_urgency", "crisis"}
    assert _file(chain, chain.actor("corporation")) == {
        "closure": {"closure_date", "corporation_feedback"}}
    with chain.ctx.sessionmaker() as session, pytest.raises(NotFound):
        cases.get_case(chain.ctx, session, chain.actor("budget_advice"), chain.case_number)


def test_the_file_is_labelled_from_the_forms(chain: Chain) -> None:
    scenarios.meldpunt(chain)
    with chain.ctx.sessionmaker.begin() as session:
        detail = cases.get_case(chain.ctx, session, chain.actor("social_team_lead"),
                                chain.case_number)
    by_id = {r.bpmn_id: r for r in detail.file}
    attempt = by_id["record_first_contact_attempt"]
    assert attempt.title[0] == "Eerste contactpoging registreren"
    kind = attempt.get("attempt_type")
    assert kind is not None and kind.label[0] == "Soort contactpoging"
    assert kind.choice == ("Huisbezoek", "Home visit")
    grid = by_id["score_zrm"].zrm_grid()
    assert len(grid) == 13
    assert (grid[0].label[0], grid[0].score, grid[0].note) == ("Financiën", 2, "toelichting")
    plan = by_id["agree_action_plan"]
    advice = plan.get("advised_route")
    assert advice is not None and advice.choice is not None
    assert advice.choice[0] == "Meldpunt Zorg en Overlast"
    package = by_id["prepare_care_referral"]
    assert package.urgent and package.display == "referral"
    urgency = package.get("care_urgency")
    assert urgency is not None and urgency.choice == ("Spoed", "Urgent")
    closure = by_id["confirm_case_closure"]
    # referred without the tenant's consent (bemoeizorg): national_result.dmn (issue 10)
    assert closure.value("national_outcome_code") == "Verwijzing zonder contact"
    assert detail.case.referrals == (package,)


def test_the_sdd_reads_its_package_on_the_case_and_the_read_is_logged(chain: Chain) -> None:
    scenarios.budget_advice(chain)
    sdd = chain.actor("budget_advice")
    with chain.ctx.sessionmaker.begin() as session:
        detail = cases.get_case(chain.ctx, session, sdd, chain.case_number, what="task page")
    (package,) = detail.case.referrals
    service = package.get("sdd_service")
    assert service is not None and service.choice == ("Budgetadvies SDD", "SDD budget advice")
    assert package.value("referral_summary") == "Budgetadvies gewenst"
    whats = [r.what for r in logged(chain.ctx, AccessLog.username == sdd.username,
                                    AccessLogCase.case_number == chain.case_number)]
    # the case is closed and the SDD's part done: the read is its own package's, logged so
    assert "own referral package" in whats


def test_the_referral_names_the_service_asked_for(chain: Chain) -> None:
    scenarios.debt_mediation(chain)
    with chain.ctx.sessionmaker.begin() as session:
        view = cases.get_case(chain.ctx, session, chain.actor("social_team"),
                              chain.case_number).case
    assert view.referred_to_sdd and view.sdd_services == (
        ("Schuldbemiddeling SDD", "SDD debt mediation"),)
