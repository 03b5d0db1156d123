"""The case file on the case page, the task page and the case API: each reader sees what the
chain recorded as far as domain.md §6 lets them, labelled in Dutch from the forms."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from engine.clock import ManualClock
from engine.context import EngineContext
from tests.processes import scenarios
from tests.processes.chain import Chain, deploy_chain
from tests.webclient import bearer, login

NUMBER = "DR-2026-0001"


@pytest.fixture
def chain(ctx: EngineContext, clock: ManualClock) -> Chain:
    deploy_chain(ctx)
    return Chain(ctx, clock, NUMBER)


def _page(app: Flask, chain: Chain, role: str, path: str = f"/cases/{NUMBER}") -> str:
    chain.actor(role)  # the user exists
    response = login(app, f"{role}-{chain.organisation_for(role)}").get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _file_part(html: str) -> str:
    found = re.search(r'<section class="card case-file".*?</section>', html, re.S)
    assert found is not None
    return found.group(0)


def test_the_social_team_reads_the_whole_file(app: Flask, chain: Chain) -> None:
    scenarios.budget_advice(chain)
    html = _page(app, chain, "social_team")
    part = _file_part(html)
    # contact attempts as a list: date, part of day, kind, reached
    assert "Contactpogingen" in part and "Middag" in part and "Huisbezoek" in part
    assert "Contact gemaakt" in part
    # the conversation, labelled from its form
    assert "Keukentafelgesprek voeren" in part and "Huurder wil hulp" in part
    # the ZRM as a grid of 13 coloured domains
    assert part.count('class="zrm-cell') == 13
    assert 'zrm-score-2">' in part and "Financiën" in part and "Justitie" in part
    # the plan: the decision table's advice in Dutch, its rule, and the chosen route
    assert "Advies van de beslistabel" in part and "Budgetadvies SDD" in part
    assert "Financiën scoort 2 of lager" in part
    assert "Advies van de beslistabel volgen" in part
    # the referral package, the SDD's intake and outcome, the closure with its code
    assert "Budgetadvies gewenst" in part and "Wettelijke taak Wgs" in part
    assert "Budgetadvies afgerond" in part and "Uitkomst SDD terugmelden" in part
    assert "(Budget)advies en/of quick fix" in part
    # labels, never raw keys or values
    for raw in ("attempt_type", "home_visit", "advised_route", "advice_completed",
                "wgs_public_task", "zrm_finances"):
        assert raw not in part, raw


def test_the_referral_names_the_service_asked_for(app: Flask, chain: Chain) -> None:
    scenarios.debt_mediation(chain)
    html = _page(app, chain, "social_team")
    assert "Sociale Dienst Drechtsteden: Schuldbemiddeling SDD" in html
    assert "(budgetadvies)" not in html


def test_the_sdd_sees_the_referral_package_on_its_task(app: Flask, chain: Chain) -> None:
    chain.signal(crisis=True)
    chain.reach()
    chain.at("2026-04-28 09:00")
    chain.talk(True, False)
    chain.zrm(finances=2)
    chain.plan()
    chain.complete("prepare_sdd_referral", {
        "sdd_service": "debt_mediation", "referral_summary": "Schulden bij drie partijen",
        "consent_given": False, "legal_ground": "wgs_public_task"})
    task_id = chain.task("hold_sdd_intake").id
    html = _page(app, chain, "budget_advice", f"/tasks/{task_id}")
    package = re.search(r'<article class="referral-package.*?</article>', html, re.S)
    assert package is not None, "no referral package on the SDD's task"
    text = package.group(0)
    assert "package-document urgent" in text and "Spoed" in text  # crisis signal: urgent
    assert "versie 1" in text  # the package as a versioned document
    assert "Schulden bij drie partijen" in text and "Schuldbemiddeling SDD" in text
    assert "Toestemming huurder" in text and "Nee" in text
    assert "Wettelijke taak Wgs" in text
    # nothing of the assessment reaches the SDD
    assert "Zelfredzaamheid" not in html and "toelichting" not in html
    assert "Keukentafelgesprek" not in html and "Contactpogingen" not in html


def test_the_corporation_sees_the_generic_outcome_and_nothing_of_the_assessment(
        app: Flask, chain: Chain) -> None:
    scenarios.budget_advice(chain)
    html = _page(app, chain, "corporation")
    assert "Afgesloten: hulp geaccepteerd" in _file_part(html)
    for hidden in ("Zelfredzaamheid", "Financiën", "Keukentafelgesprek", "Contactpogingen",
                   "Budgetadvies gewenst", "Verwijzing SDD", "(Budget)advies en/of quick fix",
                   "Budgetadvies afgerond", "Advies van de beslistabel", "social_team-"):
        assert hidden not in html, hidden


def test_the_api_answers_the_same_file(app: Flask, ctx: EngineContext, chain: Chain) -> None:
    scenarios.budget_advice(chain)
    chain.actor("corporation")
    headers = bearer(ctx, username="social_team-dordrecht")
    body = app.test_client().get(f"/api/v1/cases/{NUMBER}", headers=headers).get_json()
    by_id = {r["bpmn_id"]: r for r in body["file"]}
    assert list(by_id) == [
        "record_first_contact_attempt", "hold_kitchen_table_conversation", "score_zrm",
        "agree_action_plan", "prepare_sdd_referral", "hold_sdd_intake", "report_sdd_outcome",
        "confirm_case_closure"]
    assert len(by_id["score_zrm"]["zrm"]) == 13
    assert by_id["score_zrm"]["zrm"][0] == {"domain": "Financiën", "domain_en": "Finances",
                                            "score": 2, "note": "toelichting"}
    advice = next(f for f in by_id["agree_action_plan"]["fields"]
                  if f["name"] == "advised_route")
    assert advice["text"] == "Budgetadvies SDD" and advice["label"] == \
        "Advies van de beslistabel"
    assert by_id["prepare_sdd_referral"]["urgent"] is False
    corporation = bearer(ctx, username="corporation-woonbron")
    body = app.test_client().get(f"/api/v1/cases/{NUMBER}", headers=corporation).get_json()
    assert [r["category"] for r in body["file"]] == ["closure"]
    assert {f["name"] for f in body["file"][0]["fields"]} == {"closure_date",
                                                             "corporation_feedback"}
    assert "completed_by" not in body["file"][0]
