"""Referral packages as versioned documents (issue 9 item 3): what each recipient gets, the
ZRM summary only under consent, corrections as new versions, the receiving task showing the
latest version, and who may read or correct them (everyone else: 404, or 403 for a role that
never corrects, and nothing written)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from engine.clock import ManualClock
from engine.context import EngineContext
from engine.models import AccessLog, HumanTask, ReferralPackage
from tests.factories import make_user
from tests.processes import scenarios
from tests.processes.chain import Chain, deploy_chain
from tests.webclient import bearer, login

NUMBER = "DR-2026-0001"
SDD_REFERRAL = {"sdd_service": "debt_mediation", "referral_summary": "Schulden bij drie partijen",
                "consent_given": True, "zrm_summary_consent": True}


@pytest.fixture
def chain(ctx: EngineContext, clock: ManualClock) -> Chain:
    deploy_chain(ctx)
    return Chain(ctx, clock, NUMBER)


def _to_sdd(chain: Chain, referral: dict[str, Any], **signal: Any) -> str:
    scenarios.reach_and_talk(chain, **signal)
    chain.zrm(finances=2, mental_health=3)
    chain.plan()
    chain.complete("prepare_sdd_referral", referral)
    return chain.task("hold_sdd_intake").id


def _to_meldpunt(chain: Chain, consent: bool = True) -> str:
    scenarios.reach_and_talk(chain)
    chain.zrm(finances=2, mental_health=2, social_network=2)
    chain.plan()
    data: dict[str, Any] = {"care_referral_summary": "Zorg nodig", "care_consent_given": consent,
                            "care_urgency": "urgent", "care_service": "assertive_outreach",
                            "care_zrm_summary_consent": True}
    if not consent:
        data["care_legal_ground"] = "care_avoider"
    chain.complete("prepare_care_referral", data)
    return chain.task("report_care_referral_outcome").id


def _as(ctx: EngineContext, chain: Chain, role: str) -> dict[str, str]:
    actor = chain.actor(role)
    return bearer(ctx, username=actor.username)


def _packages(app: Flask, headers: dict[str, str], number: str = NUMBER,
              recipient: str | None = None) -> Any:
    query = f"?recipient={recipient}" if recipient else ""
    return app.test_client().get(f"/api/v1/cases/{number}/referral-packages{query}",
                                 headers=headers)


def _count(ctx: EngineContext) -> int:
    with ctx.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(ReferralPackage)) or 0


# --- content per recipient ---------------------------------------------------------------------

def test_the_sdd_package_carries_what_the_social_team_wrote_and_the_zrm_under_consent(
        ctx: EngineContext, app: Flask, chain: Chain) -> None:
    task_id = _to_sdd(chain, {**SDD_REFERRAL, "sdd_urgency": "urgent"})
    body = app.test_client().get(f"/api/v1/tasks/{task_id}",
                                 headers=_as(ctx, chain, "budget_advice")).json
    package = body["referral_package"]
    assert package["version"] == 1 and package["latest"] is True
    assert package["recipient_role"] == "budget_advice"
    assert package["recipient_organisation"] == "sdd"
    assert package["summary"] == "Schulden bij drie partijen"
    assert package["requested_service"] == "debt_mediation"
    assert package["requested_service_title"]["nl"] == "Schuldbemiddeling SDD"
    assert package["consent_given"] is True and package["legal_ground"] is None
    assert package["urgency"] == "urgent" and package["urgent"] is True
    scores = {s["label"]: s["score"] for s in package["zrm_summary"]["scores"]}
    assert len(scores) == 13 and scores["Financiën"] == 2
    assert "toelichting" not in str(package)  # the caseworker's notes never go along
    # the intake form itself says what urgency the social team gave
    assert {f["name"]: f["label"] for f in body["facts"]} == {"sdd_urgency": "Spoed"}
    with ctx.sessionmaker() as session:
        assert "task referral package" in session.scalars(select(AccessLog.what)).all()
        assert session.scalar(select(HumanTask.urgent).where(HumanTask.id == task_id))


def test_no_zrm_summary_without_consent_or_when_the_consent_does_not_cover_it(
        ctx: EngineContext, app: Flask, chain: Chain) -> None:
    _to_sdd(chain, {"sdd_service": "budget_advice", "referral_summary": "Zonder toestemming",
                    "consent_given": False, "legal_ground": "wgs_public_task",
                    "zrm_summary_consent": True})
    found = _packages(app, _as(ctx, chain, "social_team")).json["items"]
    assert len(found) == 1
    package = found[0]
    assert package["zrm_summary"] is None and package["consent_given"] is False
    assert package["legal_ground"] == "wgs_public_task"
    assert package["legal_ground_title"]["nl"].startswith("Wettelijke taak Wgs")
    assert package["urgency"] == "regular"
    # consent to the referral, not to the ZRM: still no scores
    headers = _as(ctx, chain, "social_team")
    changed = app.test_client().post(
        f"/api/v1/cases/{NUMBER}/referral-packages/budget_advice", headers=headers,
        json={"data": {"sdd_service": "budget_advice", "referral_summary": "Met toestemming",
                       "consent_given": True, "zrm_summary_consent": False},
              "reason": "Huurder gaf alsnog toestemming"})
    assert changed.status_code == 200, changed.json
    assert changed.json["version"] == 2 and changed.json["zrm_summary"] is None


def test_the_meldpunt_package_is_read_by_the_meldpunt_and_the_lead_only(
        ctx: EngineContext, app: Flask, chain: Chain) -> None:
    task_id = _to_meldpunt(chain, consent=False)
    body = app.test_client().get(f"/api/v1/tasks/{task_id}",
                                 headers=_as(ctx, chain, "care_referral")).json
    package = body["referral_package"]
    assert (package["recipient_role"], package["recipient_organisation"]) == (
        "care_referral", "veilig-thuis")
    assert package["requested_service_title"]["nl"] == "Bemoeizorg"
    assert package["urgent"] is True and package["zrm_summary"] is None  # no consent
    assert package["legal_ground_title"]["nl"] == "Zorgmijder, bemoeizorg nodig"
    assert _packages(app, _as(ctx, chain, "social_team_lead")).status_code == 200
    # the caseworker sends it but does not read it back (domain.md §6: "W (send)")
    assert _packages(app, _as(ctx, chain, "social_team")).status_code == 404
    assert _packages(app, _as(ctx, chain, "budget_advice")).status_code == 404


# --- versions ------------------------------------------------------------------------------

def test_a_correction_is_a_new_version_and_the_old_one_stays_readable(
        ctx: EngineContext, app: Flask, chain: Chain) -> None:
    task_id = _to_sdd(chain, SDD_REFERRAL)
    with ctx.sessionmaker() as session:
        assert not session.scalar(select(HumanTask.urgent).where(HumanTask.id == task_id))
    headers = _as(ctx, chain, "social_team")
    corrected = app.test_client().post(
        f"/api/v1/cases/{NUMBER}/referral-packages/budget_advice", headers=headers,
        json={"data": {**SDD_REFERRAL, "sdd_service": "budget_advice",
                       "referral_summary": "Alleen budgetadvies", "sdd_urgency": "urgent"},
              "reason": "Verkeerde dienst gekozen"})
    assert corrected.status_code == 200, corrected.json
    assert corrected.json["version"] == 2 and corrected.json["urgent"] is True
    assert corrected.json["correction_reason"] == "Verkeerde dienst gekozen"
    items = _packages(app, headers).json["items"]
    assert [(p["version"], p["latest"]) for p in items] == [(2, True), (1, False)]
    assert items[1]["summary"] == "Schulden bij drie partijen"
    assert items[1]["requested_service"] == "debt_mediation"
    # the desk works from the latest, which is now urgent and first in its queue
    sdd = _as(ctx, chain, "budget_advice")
    latest = app.test_client().get(f"/api/v1/tasks/{task_id}", headers=sdd).json
    assert latest["referral_package"]["version"] == 2
    assert latest["referral_package"]["summary"] == "Alleen budgetadvies"
    with ctx.sessionmaker() as session:
        assert session.scalar(select(HumanTask.urgent).where(HumanTask.id == task_id))
    # and reads both versions of its own package
    assert [p["version"] for p in _packages(app, sdd).json["items"]] == [2, 1]


def test_a_correction_is_checked_as_the_referral_form_is(
        ctx: EngineContext, app: Flask, chain: Chain) -> None:
    _to_sdd(chain, SDD_REFERRAL)
    headers = _as(ctx, chain, "social_team")
    url = f"/api/v1/cases/{NUMBER}/referral-packages/budget_advice"
    client = app.test_client()
    no_ground = client.post(url, headers=headers, json={
        "data": {**SDD_REFERRAL, "consent_given": False}, "reason": "Toestemming ingetrokken"})
    assert no_ground.status_code == 422
    assert {e["field"] for e in no_ground.json["errors"]} == {"legal_ground"}
    no_reason = client.post(url, headers=headers, json={"data": SDD_REFERRAL, "reason": " "})
    assert no_reason.status_code == 422
    assert {e["field"] for e in no_reason.json["errors"]} == {"correction_reason"}
    stranger = client.post(url, headers=headers, json={
        "data": {**SDD_REFERRAL, "route": "meldpunt"}, "reason": "x"})
    assert stranger.status_code == 422
    assert _count(ctx) == 1


# --- who may read and correct --------------------------------------------------------------

@pytest.mark.parametrize("who", [
    ("corp", "corporation", "woonbron"),
    ("corp-lead", "corporation_lead", "woonbron"),
    ("st-zwijndrecht", "social_team", "zwijndrecht"),
    ("owner", "process_owner", "regio"),
    ("manager", "manager", "regio"),
])
def test_others_read_no_package(ctx: EngineContext, app: Flask, chain: Chain,
                                who: tuple[str, str, str]) -> None:
    _to_sdd(chain, SDD_REFERRAL)
    username, role, org = who
    make_user(ctx, username, role, org)
    assert _packages(app, bearer(ctx, username=username)).status_code == 404
    assert _packages(app, bearer(ctx, username=username), "DR-2099-999999").status_code == 404
    with ctx.sessionmaker() as session:
        refused = session.scalars(select(AccessLog.what).where(
            AccessLog.username == username)).all()
    assert refused and all(w.startswith("refused: referral packages") for w in refused)


@pytest.mark.parametrize("org", ["woonbron", "dordrecht", "sdd", "veilig-thuis"])
def test_no_machine_token_reads_or_corrects_a_package(
        ctx: EngineContext, app: Flask, chain: Chain, org: str) -> None:
    _to_sdd(chain, SDD_REFERRAL)
    headers = bearer(ctx, org=org)
    assert _packages(app, headers).status_code == 404
    corrected = app.test_client().post(
        f"/api/v1/cases/{NUMBER}/referral-packages/budget_advice", headers=headers,
        json={"data": SDD_REFERRAL, "reason": "x"})
    assert corrected.status_code == 403
    assert _count(ctx) == 1


@pytest.mark.parametrize("who, status", [
    (("corp", "corporation", "woonbron"), 403),
    (("sdd-worker", "budget_advice", "sdd"), 403),
    (("meldpunt", "care_referral", "veilig-thuis"), 403),
    (("st-zwijndrecht", "social_team", "zwijndrecht"), 404),
    (("lead-zwijndrecht", "social_team_lead", "zwijndrecht"), 404),
])
def test_only_the_social_team_of_the_case_corrects(
        ctx: EngineContext, app: Flask, chain: Chain, who: tuple[str, str, str],
        status: int) -> None:
    _to_sdd(chain, SDD_REFERRAL)
    username, role, org = who
    make_user(ctx, username, role, org)
    corrected = app.test_client().post(
        f"/api/v1/cases/{NUMBER}/referral-packages/budget_advice",
        headers=bearer(ctx, username=username),
        json={"data": {**SDD_REFERRAL, "referral_summary": "Overschreven"}, "reason": "x"})
    assert corrected.status_code == status
    assert _count(ctx) == 1


def test_the_desk_keeps_a_logged_read_of_its_own_package_after_its_access_ends(
        ctx: EngineContext, app: Flask, chain: Chain) -> None:
    _to_sdd(chain, SDD_REFERRAL)
    chain.complete("hold_sdd_intake", {"sdd_intake_date": chain.today(),
                                       "sdd_trajectory": "amicable_settlement"})
    chain.complete("report_sdd_outcome", {"sdd_outcome": "debt_mediation_started",
                                          "sdd_outcome_date": chain.today()})
    chain.close()
    sdd = _as(ctx, chain, "budget_advice")
    case = app.test_client().get(f"/api/v1/cases/{NUMBER}", headers=sdd).json
    assert "tenant_name" not in case and "street" not in case  # the household is gone
    items = _packages(app, sdd).json["items"]
    assert [p["version"] for p in items] == [1]
    with ctx.sessionmaker() as session:
        whats = session.scalars(select(AccessLog.what).where(
            AccessLog.username == "budget_advice-sdd")).all()
    assert "own referral package" in whats
    # the case page shows the same: its own package, nothing of the household
    page = login(app, "budget_advice-sdd").get(f"/cases/{NUMBER}").get_data(as_text=True)
    assert "Verwijspakket voor Sociale Dienst Drechtsteden · versie 1" in page
    assert "Schulden bij drie partijen" in page
    assert "Voorstraat" not in page and "T. Est" not in page
    assert "Verwijspakket corrigeren" not in page
    # the Meldpunt never got a package on this case
    assert _packages(app, _as(ctx, chain, "care_referral")).status_code == 404


# --- the pages -------------------------------------------------------------------------------

def test_the_intake_page_shows_the_latest_version_above_the_form_urgent_marked(
        ctx: EngineContext, app: Flask, chain: Chain) -> None:
    task_id = _to_sdd(chain, {**SDD_REFERRAL, "sdd_urgency": "urgent"})
    chain.actor("budget_advice")
    html = login(app, "budget_advice-sdd").get(f"/tasks/{task_id}").get_data(as_text=True)
    package_at = html.index("Verwijspakket voor Sociale Dienst Drechtsteden · versie 1")
    assert package_at < html.index('id="form-title"')
    assert 'class="badge urgent">Spoed' in html[:html.index('id="form-title"')]
    assert "Schulden bij drie partijen" in html and "Schuldbemiddeling SDD" in html
    assert "ZRM-samenvatting" in html


def test_the_social_team_corrects_on_the_page_and_sees_every_version(
        ctx: EngineContext, app: Flask, chain: Chain) -> None:
    _to_sdd(chain, SDD_REFERRAL)
    chain.actor("social_team")
    page = login(app, "social_team-dordrecht")
    url = f"/cases/{NUMBER}/referral-packages/budget_advice/correct"
    form = page.get(url).get_data(as_text=True)
    assert "Schulden bij drie partijen" in form  # starts from the latest version
    refused = page.post(url, data={"sdd_service": "budget_advice", "consent_given": "true",
                                   "referral_summary": "Nieuw"})
    assert refused.status_code == 422
    assert "Reden van de correctie" in refused.get_data(as_text=True)
    done = page.post(url, data={"sdd_service": "budget_advice", "consent_given": "true",
                                "referral_summary": "Nieuw", "correction_reason": "Dienst"})
    assert done.status_code in (302, 303)
    html = page.get(f"/cases/{NUMBER}").get_data(as_text=True)
    assert "versie 2" in html and "Eerdere versies (1)" in html
    # a corporation has no such page
    make_user(ctx, "corp", "corporation", "woonbron")
    assert login(app, "corp").get(url).status_code in (403, 404)
