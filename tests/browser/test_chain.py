"""A tenant reported by a corporation reaches the right social team, and nobody else.

Also checks the login, inbox, task and corporation pages with axe-core (no serious or
critical violations) and keeps screenshots in test-artifacts/.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import axe_violations, screenshot
from tests.casework import deploy_chain
from tests.factories import PASSWORD, make_user


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    assert axe_violations(page) == []
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.fixture
def people(ctx):
    deploy_chain(ctx)
    make_user(ctx, "corp-woonbron", "corporation", "woonbron")
    make_user(ctx, "st-dordrecht", "social_team", "dordrecht")
    make_user(ctx, "st-sliedrecht", "social_team", "sliedrecht")


def test_report_claim_complete_and_nobody_else_sees_it(people, live_server, new_page):
    base = live_server
    # the corporation reports a tenant
    corp = new_page()
    sign_in(corp, base, "corp-woonbron")
    assert corp.url.endswith("/portal")
    assert axe_violations(corp) == []
    screenshot(corp, "portal.png")
    corp.click("text=Nieuwe melding")
    assert axe_violations(corp) == []
    for field, value in {"external_id": "WB-2026-000777", "name": "Maaike Brouwer (synthetisch)",
                         "street": "Bankastraat", "house_number": "912",
                         "postcode": "3314 AX", "city": "Dordrecht", "arrears_amount": "745,00",
                         "arrears_months": "1", "monthly_rent": "698,50"}.items():
        corp.fill(f"#{field}", value)
    corp.click("text=Melding versturen")
    corp.wait_for_load_state("networkidle")
    assert "Melding ontvangen" in corp.content()
    number = re.search(r"casus (DR-\d{4}-\d{6})", corp.content()).group(1)
    assert axe_violations(corp) == []

    # the Dordrecht social team sees it, claims it (htmx) and works it
    team = new_page()
    sign_in(team, base, "st-dordrecht")
    team.goto(f"{base}/inbox?queue=team")
    assert number in team.content()
    assert axe_violations(team) == []
    screenshot(team, "inbox.png")
    team.click("button:has-text('Oppakken')")
    team.wait_for_selector("text=Taak opgepakt")
    assert "/inbox" in team.url
    team.goto(f"{base}/inbox?queue=mine")
    team.click("#inbox-list a:has-text('Eerste contact leggen')")
    team.wait_for_load_state("networkidle")
    assert axe_violations(team) == []
    # a validation error on the way: the date is missing
    team.check("input[name=attempt_type][value=home_visit]")
    team.check("input[name=contact_made][value=true]")
    team.fill("#attempt_note", "Kaartje achtergelaten, later teruggebeld.")
    team.click("button:has-text('Afronden')")
    team.wait_for_selector("text=Controleer het formulier")  # the form part is swapped by htmx
    assert team.input_value("#attempt_note") == "Kaartje achtergelaten, later teruggebeld."
    assert team.is_checked("input[name=attempt_type][value=home_visit]")
    assert axe_violations(team) == []
    team.fill("#attempt_date", "2026-04-23")
    team.click("button:has-text('Afronden')")
    team.wait_for_selector("text=Taak afgerond: Eerste contact leggen")
    assert team.locator("h1").inner_text() == "Keukentafelgesprek voeren"
    screenshot(team, "task.png")
    assert axe_violations(team) == []
    team.check("input[name=help_wanted][value=true]")
    team.select_option("#zrm_finances", "2")
    team.fill("#assessment_note", "Inkomen gedaald na baanverlies; wil hulp bij budget.")
    team.check("input[name=referral][value=sdd]")
    team.click("button:has-text('Afronden')")
    team.wait_for_selector("text=Taak afgerond: Keukentafelgesprek voeren")

    # another municipality never sees it: not in the queue, not by search, not by URL
    other = new_page()
    sign_in(other, base, "st-sliedrecht")
    other.goto(f"{base}/inbox?queue=team")
    assert number not in other.content()
    other.goto(f"{base}/inbox?queue=team&q={number}")
    assert "Niets gevonden" in other.content()
    response = other.goto(f"{base}/cases/{number}")
    assert response.status == 404
    assert "Maaike Brouwer" not in other.content()

    # the corporation sees the milestone, never the assessment
    corp.goto(f"{base}/cases/{number}")
    html = corp.content()
    assert "Hulp geaccepteerd" in html
    assert "baanverlies" not in html and "budgetadvies" not in html
    assert axe_violations(corp) == []


def test_pages_work_in_english(people, live_server, new_page):
    page = new_page()
    sign_in(page, live_server, "st-dordrecht")
    page.goto(f"{live_server}/inbox?queue=team&lang=en")
    assert "Team queue" in page.content() and page.get_attribute("html", "lang") == "en"
    assert axe_violations(page) == []
