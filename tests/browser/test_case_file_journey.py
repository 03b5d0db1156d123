"""One case file along the chain, walked in the browser (issue 9, "Done when").

A corporation reports a tenant on its portal; the social team makes contact, holds the
kitchen-table conversation, scores the ZRM, agrees a plan and refers — to the Sociale Dienst
Drechtsteden in one journey, to the Meldpunt Zorg en Overlast in the other; the receiving party
records its intake and outcome; the social team closes the case. Each page is read as its
reader sees it: the receiver sees the referral the social team wrote, the social team sees the
receiver's outcome and the ZRM grid, the closure form shows the national code, and the
corporation sees the generic outcome and nothing of the assessment. axe-core checks every page
visited; screenshots of the case file per reader are kept in test-artifacts/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import axe_violations, screenshot
from tests.factories import PASSWORD, make_user
from tests.processes.chain import ZRM_DOMAINS, deploy_chain

TODAY = "2026-04-23"  # the tests' clock (tests/conftest.py START)
ZRM_NOTES = {2: "Zorgen: hulp nodig, loopt nu vast.", 3: "Redt zich met moeite.",
             4: "Gaat goed, geen zorgen."}
TENANT = "Maaike Brouwer (synthetisch)"
CONVERSATION = "Inkomen gedaald na baanverlies; schulden bij zorgverzekeraar."
PLAN = "Samen met de SDD de schulden op een rij zetten."


@pytest.fixture
def people(ctx: Any) -> None:
    deploy_chain(ctx)
    make_user(ctx, "corp-woonbron", "corporation", "woonbron")
    make_user(ctx, "st-dordrecht", "social_team", "dordrecht")
    make_user(ctx, "sdd-medewerker", "budget_advice", "sdd")
    make_user(ctx, "meldpunt-medewerker", "care_referral", "veilig-thuis")


def checked(page: Any) -> Any:
    """The page, after axe-core found nothing serious on it."""
    violations = axe_violations(page)
    assert violations == [], (page.url, violations)
    return page


def sign_in(page: Any, base: str, username: str) -> None:
    page.set_default_timeout(10_000)
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def open_task(page: Any, base: str, queue: str, name: str) -> None:
    """Open task ``name`` from the inbox tab ``queue`` (opening it claims it)."""
    page.goto(f"{base}/inbox?queue={queue}")
    checked(page)
    link = page.locator(f"#inbox-list a:has-text('{name}')")
    assert link.count() == 1, page.locator("main").inner_text()
    link.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == name


def answer(page: Any, **values: str) -> None:
    """Fill in form fields by name, whatever widget the form chose (select, radio buttons,
    checkbox, text)."""
    for name, value in values.items():
        if page.locator(f"select[name={name}]").count():
            page.select_option(f"select[name={name}]", value)
        elif page.locator(f"input[type=radio][name={name}]").count():
            page.check(f"input[type=radio][name={name}][value={value}]")
        elif page.locator(f"input[type=checkbox][name={name}]").count():
            page.set_checked(f"input[type=checkbox][name={name}]", value == "true")
        else:
            page.fill(f"[name={name}]", value)


def finish(page: Any, name: str) -> None:
    """Submit the task form (htmx) and wait for the next page to say it is done."""
    page.click("button:has-text('Afronden')")
    page.wait_for_selector(f"text=Taak afgerond: {name}")
    page.wait_for_load_state("networkidle")


def report_tenant(page: Any, base: str, crisis: bool) -> str:
    """The corporation reports a tenant on its portal; returns the case number."""
    sign_in(page, base, "corp-woonbron")
    page.click("text=Nieuwe melding")
    checked(page)
    for field, value in {"external_id": "WB-2026-000777", "name": TENANT,
                         "street": "Bankastraat", "house_number": "912", "postcode": "3314 AX",
                         "city": "Dordrecht", "arrears_amount": "1450,00",
                         "arrears_months": "2", "monthly_rent": "725,00"}.items():
        page.fill(f"#{field}", value)
    if crisis:
        page.check("input[name=crisis]")
    page.click("text=Melding versturen")
    page.wait_for_load_state("networkidle")
    assert "Melding ontvangen" in page.content(), page.locator("main").inner_text()
    checked(page)
    return re.search(r"casus (DR-\d{4}-\d{6})", page.content()).group(1)


def assess(page: Any, base: str, scores: dict[str, int], other_debts: bool) -> None:
    """The social team: first contact, kitchen-table conversation and ZRM; ends on the plan."""
    open_task(page, base, "team", "Eerste contactpoging registreren")
    answer(page, attempt_type="Huisbezoek", attempt_date=TODAY, day_part="afternoon",
           contact_made="true", attempt_note="Thuis getroffen, gesprek ingepland.")
    finish(page, "Eerste contactpoging registreren")

    assert page.locator("h1").inner_text() == "Keukentafelgesprek voeren"
    checked(page)
    answer(page, conversation_date=TODAY, help_wanted="true", consent_data_sharing="true",
           other_debts="true" if other_debts else "false", children_in_household="false",
           conversation_note=CONVERSATION)
    finish(page, "Keukentafelgesprek voeren")

    assert page.locator("h1").inner_text() == "Zelfredzaamheid-Matrix invullen"
    checked(page)
    answer(page, zrm_date=TODAY)
    for domain in ZRM_DOMAINS:
        score = scores.get(domain, 4)
        answer(page, **{f"zrm_{domain}": str(score),
                        f"zrm_{domain}_note": ZRM_NOTES[score]})
    finish(page, "Zelfredzaamheid-Matrix invullen")
    assert page.locator("h1").inner_text() == "Plan van aanpak vastleggen"
    checked(page)


def package_above_form(page: Any) -> str:
    """The referral package on a receiving task's page, which stands above its form."""
    package = page.locator(".task-main .referral-package")
    assert package.count() == 1
    assert package.bounding_box()["y"] < page.locator("form.task-form").bounding_box()["y"]
    return package.inner_text()


def fits_a_phone(page: Any) -> None:
    """At 390 px the page does not scroll sideways (then back to the desk's width)."""
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert width <= 390, (page.url, width)


def facts(page: Any) -> str:
    """The read-only facts above the task's form."""
    return page.locator("#task-work dl.facts").inner_text()


def test_sdd_journey(people: None, live_server: str, new_page: Any) -> None:
    base = live_server
    corp = new_page()
    number = report_tenant(corp, base, crisis=True)

    # the social team: first contact to plan; the decision table advises debt mediation
    team = new_page()
    sign_in(team, base, "st-dordrecht")
    assess(team, base, {"finances": 2}, other_debts=True)
    assert "Schuldbemiddeling SDD" in facts(team)
    screenshot(team, "task-plan.png")
    answer(team, plan_summary=PLAN, route_choice="follow_advice")
    finish(team, "Plan van aanpak vastleggen")

    # the referral starts from the advised service
    assert team.locator("h1").inner_text() == "Verwijzing SDD opstellen"
    checked(team)
    assert team.is_checked("input[name=sdd_service][value=debt_mediation]")
    answer(team, referral_summary="Vijf schuldeisers, loonbeslag dreigt. Graag snel.",
           consent_given="true", sdd_urgency="urgent")
    finish(team, "Verwijzing SDD opstellen")

    # the SDD sees the package above its intake: summary, service and urgency
    sdd = new_page()
    sign_in(sdd, base, "sdd-medewerker")
    open_task(sdd, base, "team", "Intake SDD")
    checked(sdd)
    package = package_above_form(sdd)
    assert "Vijf schuldeisers, loonbeslag dreigt." in package
    assert "Schuldbemiddeling SDD" in package
    assert "Spoed" in package and "versie 1" in package
    assert "Urgentie volgens het sociaal team" in facts(sdd) and "Spoed" in facts(sdd)
    assert CONVERSATION not in sdd.content()  # the conversation is not the SDD's
    screenshot(sdd, "task-sdd-intake.png")
    fits_a_phone(sdd)
    answer(sdd, sdd_intake_date=TODAY, sdd_trajectory="stabilisation",
           sdd_intake_note="Stabilisatie gestart, beslag voorkomen.")
    finish(sdd, "Intake SDD")
    assert sdd.locator("h1").inner_text() == "Uitkomst SDD terugmelden"
    checked(sdd)
    answer(sdd, sdd_outcome="debt_mediation_started", sdd_outcome_date=TODAY,
           sdd_contact_team="Team Schuldhulp Dordrecht")
    finish(sdd, "Uitkomst SDD terugmelden")
    sdd.goto(f"{base}/cases/{number}")
    checked(sdd)
    screenshot(sdd, "case-file-sdd.png")
    sdd_file = sdd.locator(".case-file").inner_text()
    assert "Schuldbemiddeling gestart" in sdd_file
    assert "Zelfredzaamheid" not in sdd_file and CONVERSATION not in sdd_file

    # the social team: the closure (in the holder's own tasks) shows reason and national code
    open_task(team, base, "mine", "Casus afsluiten")
    checked(team)
    shown = facts(team)
    assert "Overgedragen aan schuldhulpverlening (SDD)" in shown
    assert "Vervolghulp en/of verwijzing financieel" in shown
    screenshot(team, "task-closure.png")
    fits_a_phone(team)
    answer(team, closure_date=TODAY, closure_note="Overgedragen, SDD neemt het over.")
    finish(team, "Casus afsluiten")

    # the social team's case file: the SDD's outcome and the ZRM grid
    team.goto(f"{base}/cases/{number}")
    checked(team)
    screenshot(team, "case-file-social-team.png")
    fits_a_phone(team)
    outcome = team.locator("article.record-sdd_outcome").inner_text()
    assert "Schuldbemiddeling gestart" in outcome and "Team Schuldhulp Dordrecht" in outcome
    grid = team.locator("ul.zrm-grid li")
    assert grid.count() == 13
    assert "Financiën" in grid.first.inner_text() and "2" in grid.first.inner_text()
    closure = team.locator("article.record-closure").inner_text()
    assert "Vervolghulp en/of verwijzing financieel" in closure

    # the corporation: the generic outcome, nothing of the assessment
    corp.goto(f"{base}/cases/{number}")
    checked(corp)
    screenshot(corp, "case-file-corporation.png")
    html = corp.content()
    assert "Afgesloten: hulp geaccepteerd" in html
    for secret in (CONVERSATION, PLAN, "Zelfredzaamheid", "Financiën", "loonbeslag",
                   "Schuldbemiddeling", "Vervolghulp en/of verwijzing", "Overgedragen"):
        assert secret not in html, secret


def test_meldpunt_journey(people: None, live_server: str, new_page: Any) -> None:
    base = live_server
    corp = new_page()
    number = report_tenant(corp, base, crisis=False)

    team = new_page()
    sign_in(team, base, "st-dordrecht")
    assess(team, base, {"finances": 2, "mental_health": 2, "social_network": 2},
           other_debts=False)
    assert "Meldpunt Zorg en Overlast" in facts(team)
    answer(team, plan_summary="Zorg eerst, dan de huur.", route_choice="follow_advice")
    finish(team, "Plan van aanpak vastleggen")

    assert team.locator("h1").inner_text() == "Verwijzing Meldpunt opstellen"
    checked(team)
    answer(team, care_referral_summary="Vereenzaamd, mijdt hulp, post blijft ongeopend.",
           care_consent_given="false", care_legal_ground="care_avoider", care_urgency="urgent")
    finish(team, "Verwijzing Meldpunt opstellen")

    # the Meldpunt sees the package: summary, legal ground and urgency
    care = new_page()
    sign_in(care, base, "meldpunt-medewerker")
    open_task(care, base, "team", "Uitkomst Meldpunt terugmelden")
    checked(care)
    package = package_above_form(care)
    assert "Vereenzaamd, mijdt hulp" in package
    assert "Zorgmijder, bemoeizorg nodig" in package
    assert "Spoed" in package and "versie 1" in package
    assert "Urgentie volgens het sociaal team" in facts(care) and "Spoed" in facts(care)
    assert CONVERSATION not in care.content()
    screenshot(care, "task-meldpunt-outcome.png")
    answer(care, care_outcome="guided_into_care", care_outcome_date=TODAY,
           care_contact_team="Bemoeizorg Drechtsteden")
    finish(care, "Uitkomst Meldpunt terugmelden")
    care.goto(f"{base}/cases/{number}")
    checked(care)
    screenshot(care, "case-file-meldpunt.png")
    assert "Toegeleid naar zorg" in care.locator(".case-file").inner_text()
    assert "Zelfredzaamheid" not in care.content()

    open_task(team, base, "mine", "Casus afsluiten")
    checked(team)
    shown = facts(team)
    # referred without the tenant's consent (bemoeizorg): the national "zonder contact"
    assert "Doorverwezen zonder toestemming (bemoeizorg)" in shown
    assert "Verwijzing zonder contact" in shown
    answer(team, closure_date=TODAY)
    finish(team, "Casus afsluiten")

    # the social team reads the Meldpunt's outcome (its status), and the ZRM grid
    team.goto(f"{base}/cases/{number}")
    checked(team)
    screenshot(team, "case-file-social-team-meldpunt.png")
    outcome = team.locator("article.record-care_outcome").inner_text()
    assert "Toegeleid naar zorg" in outcome
    assert team.locator("ul.zrm-grid li").count() == 13
    summary = team.locator("section.case-summary").inner_text()
    assert "Landelijk eindresultaat" in summary and "Verwijzing zonder contact" in summary

    corp.goto(f"{base}/cases/{number}")
    checked(corp)
    html = corp.content()
    assert "Afgesloten" in html
    for secret in (CONVERSATION, "Zelfredzaamheid", "Vereenzaamd", "Zorgmijder",
                   "Toegeleid naar zorg", "Meldpunt", "Vervolghulp", "Verwijzing zonder contact",
                   "Landelijk eindresultaat"):
        assert secret not in html, secret
