"""Correcting a referral package in the browser: the social team opens the correction form
from the case page, sends a new version, and sees the earlier one folded away; the SDD's
intake shows the new version above its form. axe-core checks each page; none scrolls sideways
at 390 px."""

from __future__ import annotations

from typing import Any

from engine.clock import ManualClock
from engine.context import EngineContext
from tests.browser.conftest import screenshot
from tests.browser.test_case_file_journey import checked, fits_a_phone, sign_in
from tests.processes import scenarios
from tests.processes.chain import Chain, deploy_chain

NUMBER = "DR-2026-0001"


def test_the_social_team_corrects_a_package_and_the_sdd_works_from_the_new_version(
        ctx: EngineContext, clock: ManualClock, live_server: str, new_page: Any) -> None:
    deploy_chain(ctx)
    chain = Chain(ctx, clock, NUMBER)
    scenarios.reach_and_talk(chain)
    chain.zrm(finances=2)
    chain.plan()
    chain.complete("prepare_sdd_referral", {
        "sdd_service": "debt_mediation", "referral_summary": "Eerste versie van het pakket",
        "consent_given": True, "zrm_summary_consent": True})
    intake = chain.task("hold_sdd_intake").id
    chain.actor("social_team")
    chain.actor("budget_advice")
    base = live_server

    team = new_page()
    sign_in(team, base, "social_team-dordrecht")
    team.goto(f"{base}/cases/{NUMBER}")
    checked(team)
    team.click("a:has-text('Verwijspakket corrigeren (nieuwe versie)')")
    team.wait_for_load_state("networkidle")
    checked(team)
    assert team.input_value("[name=referral_summary]") == "Eerste versie van het pakket"
    fits_a_phone(team)
    team.fill("[name=referral_summary]", "Tweede versie: ook een beslag op het loon")
    team.check("input[name=sdd_urgency][value=urgent]")
    team.click("button:has-text('Nieuwe versie versturen')")
    team.wait_for_load_state("networkidle")
    assert "Reden van de correctie" in team.locator(".error-summary").inner_text()
    checked(team)
    team.fill("#correction_reason", "Loonbeslag was nog niet bekend")
    team.click("button:has-text('Nieuwe versie versturen')")
    team.wait_for_selector("text=Verwijspakket gecorrigeerd: versie 2.")
    checked(team)
    packages = team.locator("section.referral-packages").first.inner_text()
    assert "versie 2" in packages and "Eerdere versies (1)" in packages
    screenshot(team, "case-packages-social-team.png")
    fits_a_phone(team)

    sdd = new_page()
    sign_in(sdd, base, "budget_advice-sdd")
    sdd.goto(f"{base}/tasks/{intake}")
    checked(sdd)
    package = sdd.locator(".task-main .referral-package").inner_text()
    assert "versie 2" in package and "Tweede versie" in package and "Spoed" in package
    assert "ZRM-samenvatting" in package
    screenshot(sdd, "task-sdd-intake-version-2.png")
    fits_a_phone(sdd)
