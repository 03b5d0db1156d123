"""GET /api/v1/tasks/{id} answers the SDD and the Meldpunt with the referral package of the
task's case, as the task page shows it above the form; the read is logged (issue 9)."""

from __future__ import annotations

import pytest
from flask import Flask

from engine.clock import ManualClock
from engine.context import EngineContext
from engine.models import AccessLog, AccessLogCase
from tests.logged import logged
from tests.processes.chain import Chain, deploy_chain
from tests.webclient import bearer

NUMBER = "DR-2026-0001"


@pytest.fixture
def chain(ctx: EngineContext, clock: ManualClock) -> Chain:
    deploy_chain(ctx)
    return Chain(ctx, clock, NUMBER)


def _to_sdd(chain: Chain) -> str:
    chain.signal(crisis=True)
    chain.reach()
    chain.talk(True, False)
    chain.zrm(finances=2)
    chain.plan()
    chain.complete("prepare_sdd_referral", {
        "sdd_service": "debt_mediation", "referral_summary": "Schulden bij drie partijen",
        "consent_given": False, "legal_ground": "wgs_public_task"})
    return chain.task("hold_sdd_intake").id


def _fields(package: dict) -> dict[str, dict]:
    return {f["name"]: f for f in package["fields"]}


def test_the_sdds_intake_task_carries_the_referral_package(
        ctx: EngineContext, app: Flask, chain: Chain) -> None:
    task_id = _to_sdd(chain)
    chain.actor("budget_advice")
    body = app.test_client().get(f"/api/v1/tasks/{task_id}",
                                 headers=bearer(ctx, username="budget_advice-sdd")).json
    assert len(body["referrals"]) == 1
    package = body["referrals"][0]
    assert package["bpmn_id"] == "prepare_sdd_referral" and package["urgent"] is True
    fields = _fields(package)
    assert fields["referral_summary"]["value"] == "Schulden bij drie partijen"
    assert fields["referral_summary"]["label"] == "Samenvatting voor de SDD"
    assert fields["sdd_service"]["text"] == "Schuldbemiddeling SDD"
    assert fields["consent_given"]["value"] is False
    assert fields["legal_ground"]["text"].startswith("Wettelijke taak Wgs")
    # nothing of the assessment comes along (no consent: the package has no ZRM summary)
    assert body["referral_package"]["zrm_summary"] is None
    text = str({k: v for k, v in body.items() if k != "referral_package"})
    assert "zrm" not in text and "toelichting" not in text and "help_wanted" not in text
    assert "toelichting" not in str(body["referral_package"])
    whats = [r.what for r in logged(ctx, AccessLog.username == "budget_advice-sdd",
                                    AccessLogCase.case_number == NUMBER)]
    assert "task referral package" in whats and "task read" in whats


def test_the_meldpunts_task_carries_its_urgent_package(
        ctx: EngineContext, app: Flask, chain: Chain) -> None:
    chain.signal()
    chain.reach()
    chain.talk(True, False)
    chain.zrm(finances=2, mental_health=2, social_network=2)
    chain.plan()
    chain.complete("prepare_care_referral", {
        "care_referral_summary": "Meervoudige problematiek", "care_consent_given": True,
        "care_urgency": "urgent"})
    task_id = chain.task("report_care_referral_outcome").id
    chain.actor("care_referral")
    body = app.test_client().get(
        f"/api/v1/tasks/{task_id}", headers=bearer(ctx, username="care_referral-veilig-thuis")
    ).json
    [package] = body["referrals"]
    assert package["urgent"] is True
    assert _fields(package)["care_urgency"]["text"] == "Spoed"
    assert _fields(package)["care_referral_summary"]["value"] == "Meervoudige problematiek"


def test_other_readers_get_no_referral_key(ctx: EngineContext, app: Flask,
                                           chain: Chain) -> None:
    """The social team reads the package in the case file; its task answer stays as it was."""
    chain.signal()
    task_id = chain.task("record_first_contact_attempt").id
    chain.actor("social_team")
    body = app.test_client().get(f"/api/v1/tasks/{task_id}",
                                 headers=bearer(ctx, username="social_team-dordrecht")).json
    assert "referrals" not in body
