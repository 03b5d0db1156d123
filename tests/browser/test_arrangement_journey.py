"""A payment arrangement walked in the browser (issue 9 item 7, issue 10 item 9).

The social team proposes an arrangement; the corporation finds the proposal among its own open
tasks on the portal, accepts it with the agreed term, and then confirms the first month's
payment on the case page; the case file shows both sides the arrangement. axe-core checks every
page visited, and the pages fit a 390 px phone.
"""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import screenshot
from tests.browser.test_case_file_journey import (
    TODAY,
    answer,
    assess,
    checked,
    facts,
    finish,
    fits_a_phone,
    people,
    report_tenant,
    sign_in,
)

__all__ = ["people"]  # the fixture, shared with the case-file journeys

PROPOSAL_NOTE = "Vast inkomen uit werk; 100 euro per maand haalbaar."


def test_the_corporation_accepts_the_arrangement_the_social_team_proposes(
        people: None, live_server: str, new_page: Any) -> None:
    base = live_server
    corp = new_page()
    number = report_tenant(corp, base, crisis=False)

    # the social team: the decision table advises an arrangement, the team proposes one
    team = new_page()
    sign_in(team, base, "st-dordrecht")
    assess(team, base, {"finances": 3}, other_debts=False)
    answer(team, plan_summary="Betalingsregeling met de corporatie.",
           route_choice="follow_advice")
    finish(team, "Plan van aanpak vastleggen")
    team.goto(f"{base}/inbox?queue=mine")
    team.click("#inbox-list a:has-text('Betalingsregeling voorstellen')")
    team.wait_for_load_state("networkidle")
    checked(team)
    answer(team, proposed_instalment="100", proposed_term_months="6", income_checked="true",
           request_note=PROPOSAL_NOTE)
    finish(team, "Betalingsregeling voorstellen")

    # the corporation: the proposal is among its own open tasks on the portal
    corp.goto(f"{base}/portal")
    checked(corp)
    portal = corp.locator("main").inner_text()
    assert "Betalingsregeling aanvaarden of weigeren" in portal
    assert PROPOSAL_NOTE in portal and "6 maanden" in portal
    fits_a_phone(corp)
    corp.click("a:has-text('Betalingsregeling aanvaarden of weigeren')")
    corp.wait_for_load_state("networkidle")
    assert corp.locator("h1").inner_text() == "Betalingsregeling aanvaarden of weigeren"
    checked(corp)
    shown = facts(corp)
    assert "Voorgesteld maandbedrag (euro)" in shown and PROPOSAL_NOTE in shown
    # the agreed amount and term start from the proposal
    assert corp.input_value("[name=agreed_instalment]") == "100"
    assert corp.input_value("[name=arrangement_term_months]") == "6"
    screenshot(corp, "task-arrangement-review.png")
    fits_a_phone(corp)
    answer(corp, arrangement_accepted="true", arrangement_start_date=TODAY,
           direct_debit="true")
    finish(corp, "Betalingsregeling aanvaarden of weigeren")

    # the case file shows the corporation the arrangement it accepted, and it confirms a month
    corp.goto(f"{base}/cases/{number}")
    checked(corp)
    file = corp.locator(".case-file").inner_text()
    assert "Betalingsregeling aanvaarden of weigeren" in file and "Regeling aanvaard" in file
    assert "Zelfredzaamheid" not in corp.content()
    corp.check("input[name=name][value=arrangement_payment_received]")
    corp.click("button:has-text('Doorgeven')")
    corp.wait_for_selector("text=Gebeurtenis doorgegeven.")
    checked(corp)
    assert "Termijn betalingsregeling ontvangen" in corp.locator(".task-side").inner_text()
    status = corp.locator(".arrangement-status").inner_text()
    assert "Loopt" in status and "1 van 6 afgesproken maanden bevestigd" in status
    screenshot(corp, "case-file-corporation-arrangement.png")
    fits_a_phone(corp)

    # the social team sees the accepted arrangement in its case file
    team.goto(f"{base}/cases/{number}")
    checked(team)
    team_file = team.locator(".case-file").inner_text()
    assert "Afgesproken looptijd (maanden)" in team_file and PROPOSAL_NOTE in team_file
    fits_a_phone(team)
