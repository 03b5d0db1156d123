"""The corporation of the case accepts or refuses the payment arrangement the social team
proposed (issue 9 item 7, issue 10 item 9); nobody else can, and no machine token: the task
is out of scope for another corporation, the social team and the SDD (404, as for a missing
task), and a person's decision for the corporation's own token (403). Nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine.clock import ManualClock
from engine.context import EngineContext
from engine.models import HumanTask
from tests.factories import make_user
from tests.processes import scenarios
from tests.processes.chain import Chain, deploy_chain
from tests.webclient import bearer

NUMBER = "DR-2026-0001"
ACCEPT = {"arrangement_accepted": True, "agreed_instalment": 100,
          "arrangement_term_months": 6, "arrangement_start_date": "2026-05-01",
          "direct_debit": True}


@pytest.fixture
def chain(ctx: EngineContext, clock: ManualClock) -> Chain:
    deploy_chain(ctx)
    chain = Chain(ctx, clock, NUMBER)
    scenarios.reach_and_talk(chain)
    chain.zrm(finances=3)
    chain.plan()
    chain.complete("request_payment_arrangement", {
        "proposed_instalment": 100, "proposed_term_months": 6, "income_checked": True})
    return chain


def _review(chain: Chain) -> HumanTask:
    return next(t for t in chain.open_tasks() if t.bpmn_id == "review_payment_arrangement")


def _state(ctx: EngineContext, task_id: str) -> tuple[str, Any]:
    with ctx.sessionmaker() as session:
        task = session.get(HumanTask, task_id)
        assert task is not None
        return task.state, task.assignee_id


def _try(app: Flask, headers: dict[str, str], task_id: str, data: dict[str, Any]
         ) -> tuple[int, int]:
    client = app.test_client()
    claim = client.post(f"/api/v1/tasks/{task_id}/claim", headers=headers)
    done = client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers,
                       json={"data": data})
    return claim.status_code, done.status_code


@pytest.mark.parametrize("who", [
    ("corp-trivire", "corporation", "trivire"),
    ("lead-trivire", "corporation_lead", "trivire"),
    ("anna", "social_team", "dordrecht"),
    ("lead-dordrecht", "social_team_lead", "dordrecht"),
    ("sdd-worker", "budget_advice", "sdd"),
    ("meldpunt", "care_referral", "veilig-thuis"),
])
def test_only_the_corporation_of_the_case_accepts_or_refuses(
        ctx: EngineContext, app: Flask, chain: Chain, who: tuple[str, str, str]) -> None:
    username, role, org = who
    make_user(ctx, username, role, org)
    task = _review(chain)
    before = _state(ctx, task.id)
    headers = bearer(ctx, username=username)
    assert _try(app, headers, task.id, ACCEPT) == (404, 404)
    assert _try(app, headers, task.id, {"arrangement_accepted": False,
                                        "refusal_reason": "nee"}) == (404, 404)
    assert app.test_client().get(f"/api/v1/tasks/{task.id}",
                                 headers=headers).status_code == 404
    assert _state(ctx, task.id) == before
    assert [t.bpmn_id for t in chain.open_tasks()] == ["review_payment_arrangement"]


@pytest.mark.parametrize("org", ["woonbron", "trivire", "dordrecht", "sdd"])
def test_no_machine_token_decides_an_arrangement(
        ctx: EngineContext, app: Flask, chain: Chain, org: str) -> None:
    task = _review(chain)
    before = _state(ctx, task.id)
    claim, done = _try(app, bearer(ctx, org=org), task.id, ACCEPT)
    # the case's own corporation's token sees the task but may not decide it
    expected = (403, 403) if org == "woonbron" else (404, 404)
    assert (claim, done) == expected
    assert _state(ctx, task.id) == before


def test_the_corporation_accepts_through_the_api(ctx: EngineContext, app: Flask,
                                                   chain: Chain) -> None:
    task = _review(chain)
    chain.actor("corporation")
    headers = bearer(ctx, username="corporation-woonbron")
    body = app.test_client().get(f"/api/v1/tasks/{task.id}", headers=headers).json
    facts = {f["name"]: f["value"] for f in body["facts"]}
    assert facts == {"proposed_instalment": 100, "proposed_term_months": 6}
    assert body["data"] == {"agreed_instalment": 100, "arrangement_term_months": 6}
    assert _try(app, headers, task.id, ACCEPT) == (200, 200)
    assert chain.open_ids() == []
    assert "arrangement_payment_received" in chain.waiting_messages()


def test_a_refusal_needs_its_reason_and_the_term_its_bounds(
        ctx: EngineContext, app: Flask, chain: Chain) -> None:
    task = _review(chain)
    chain.actor("corporation")
    headers = bearer(ctx, username="corporation-woonbron")
    client = app.test_client()
    assert client.post(f"/api/v1/tasks/{task.id}/claim", headers=headers).status_code == 200
    refused = client.post(f"/api/v1/tasks/{task.id}/complete", headers=headers,
                          json={"data": {"arrangement_accepted": False}})
    assert refused.status_code == 422
    assert {e["field"]: e["message"] for e in refused.json["errors"]} == {
        "refusal_reason": "is verplicht: vul dit veld in"}
    too_long = client.post(f"/api/v1/tasks/{task.id}/complete", headers=headers,
                           json={"data": {**ACCEPT, "arrangement_term_months": 37}})
    assert too_long.status_code == 422
    assert {e["field"]: e["message"] for e in too_long.json["errors"]} == {
        "arrangement_term_months": "mag hoogstens 36 zijn"}
    assert _state(ctx, task.id)[0] == "claimed"
    with ctx.sessionmaker() as session:
        assert session.scalars(select(HumanTask.bpmn_id).where(
            HumanTask.state == "open", HumanTask.role == "social_team")).all() == []


def test_both_sides_see_how_far_the_arrangement_is(ctx: EngineContext, app: Flask,
                                                   chain: Chain) -> None:
    chain.complete("review_payment_arrangement", ACCEPT)
    for moment in ("2026-05-29 10:00", "2026-06-29 10:00"):
        chain.at(moment)
        assert chain.send("arrangement_payment_received").status == "delivered"
    chain.actor("corporation")
    chain.actor("social_team")
    for username in ("corporation-woonbron", "social_team-dordrecht"):
        body = app.test_client().get(f"/api/v1/cases/{NUMBER}",
                                     headers=bearer(ctx, username=username)).json
        assert body["arrangement"] == {"state": "running", "months_confirmed": 2,
                                       "term_months": 6, "instalment": 100.0}, username
    chain.at("2026-07-10 10:00")
    chain.send("arrangement_broken", broken_on="2026-07-10")
    body = app.test_client().get(f"/api/v1/cases/{NUMBER}",
                                 headers=bearer(ctx, username="corporation-woonbron")).json
    assert body["arrangement"]["state"] == "broken"


def test_a_refused_arrangement_shows_as_refused(ctx: EngineContext, app: Flask,
                                                chain: Chain) -> None:
    chain.complete("review_payment_arrangement", {"arrangement_accepted": False,
                                                  "refusal_reason": "Te laag"})
    chain.actor("corporation")
    body = app.test_client().get(f"/api/v1/cases/{NUMBER}",
                                 headers=bearer(ctx, username="corporation-woonbron")).json
    assert body["arrangement"]["state"] == "refused"
    chain.complete("handle_refused_arrangement", {"next_step": "budget_advice"})
    chain.actor("social_team")
    team = app.test_client().get(f"/api/v1/cases/{NUMBER}",
                                 headers=bearer(ctx, username="social_team-dordrecht")).json
    assert team["arrangement"]["state"] == "referred"
    # a referral to the SDD is not the corporation's to know (domain.md §6)
    body = app.test_client().get(f"/api/v1/cases/{NUMBER}",
                                 headers=bearer(ctx, username="corporation-woonbron")).json
    assert body["arrangement"]["state"] == "refused"
    assert "SDD" not in str(body) and "budget_advice" not in str(body)
