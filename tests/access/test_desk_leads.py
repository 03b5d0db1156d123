"""The SDD's and the Meldpunt's leads (issue 10): a desk's late task escalates to the lead of
that desk, whom nobody else can see or take; the leads see their own desk's work and nothing of
another desk or of the social team's leads' work."""

from __future__ import annotations

import pytest

from engine import inbox, tasks
from engine.access import Actor
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.errors import NotFound
from tests.factories import make_user
from tests.processes import scenarios
from tests.processes.chain import Chain, deploy_chain

NUMBER = "DR-2026-0001"


def _queue(ctx: EngineContext, who: Actor) -> list[str]:
    with ctx.sessionmaker() as session:
        page = inbox.inbox(ctx, session, who, queue="team", search=NUMBER, limit=200)
    return sorted(i.task.bpmn_id for i in page.items)


def _claim(ctx: EngineContext, who: Actor, task_id: str) -> None:
    with ctx.sessionmaker.begin() as session:
        tasks.claim_task(ctx, session, who, task_id)


@pytest.fixture
def sdd_late(ctx: EngineContext, clock: ManualClock) -> Chain:
    deploy_chain(ctx)
    chain = Chain(ctx, clock, NUMBER)
    scenarios.to_sdd(chain)
    assert chain.at("2026-05-26 15:01") == 1
    return chain


@pytest.fixture
def care_late(ctx: EngineContext, clock: ManualClock) -> Chain:
    deploy_chain(ctx)
    chain = Chain(ctx, clock, NUMBER)
    scenarios.to_meldpunt(chain)
    assert chain.at("2026-05-06 15:01") == 1
    return chain


def test_the_sdd_escalation_is_the_sdd_leads_alone(ctx, sdd_late):
    lead = make_user(ctx, "sddl", "budget_advice_lead", "sdd")
    assert _queue(ctx, lead) == ["escalate_sdd_intake_overdue", "hold_sdd_intake"]
    escalation = next(t for t in sdd_late.open_tasks()
                      if t.bpmn_id == "escalate_sdd_intake_overdue")
    for role, org in (("budget_advice", "sdd"), ("social_team_lead", "dordrecht"),
                      ("social_team", "dordrecht"), ("care_referral_lead", "veilig-thuis"),
                      ("corporation_lead", "woonbron"), ("manager", "regio"),
                      ("process_owner", "regio")):
        who = make_user(ctx, f"u-{role}", role, org)
        assert "escalate_sdd_intake_overdue" not in _queue(ctx, who), role
        with pytest.raises(NotFound):
            _claim(ctx, who, escalation.id)
    _claim(ctx, lead, escalation.id)
    with ctx.sessionmaker.begin() as session:
        tasks.complete_task(ctx, session, lead, escalation.id,
                            {"escalation_action": "caseworker_contacted"})
    assert sdd_late.task_states("escalate_sdd_intake_overdue") == ["completed"]


def test_the_meldpunt_escalation_is_the_meldpunt_leads_alone(ctx, care_late):
    lead = make_user(ctx, "vtl", "care_referral_lead", "veilig-thuis")
    assert _queue(ctx, lead) == ["escalate_care_response_overdue",
                                 "report_care_referral_outcome"]
    escalation = next(t for t in care_late.open_tasks()
                      if t.bpmn_id == "escalate_care_response_overdue")
    for role, org in (("care_referral", "veilig-thuis"), ("budget_advice_lead", "sdd"),
                      ("social_team_lead", "dordrecht"), ("corporation", "woonbron")):
        who = make_user(ctx, f"u-{role}", role, org)
        assert _queue(ctx, who) in ([], ["report_care_referral_outcome"]), role
        with pytest.raises(NotFound):
            _claim(ctx, who, escalation.id)
    _claim(ctx, lead, escalation.id)
