"""At 390 px (a phone) no page scrolls sideways, "Oppakken" is in view, and axe-core finds
nothing serious: the inbox, the case list, the case page, the task page, the portal and the
login, each opened as the user who works it."""

from __future__ import annotations

from typing import Any

import pytest

from engine import inbox, tasks
from tests.browser.conftest import axe_violations, screenshot
from tests.casework import corporation, deploy_chain, report
from tests.factories import PASSWORD, make_user

WIDTH = 390

#: The widest elements that stick out to the right, to say what to fix when the test fails.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 0.5)
    .slice(0, 8)
    .map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}` +
              `${e.className && typeof e.className === 'string' ? '.' + e.className : ''}` +
              ` right=${Math.round(e.getBoundingClientRect().right)}`);
}"""


def narrow_page(browser: Any) -> Any:
    context = browser.new_context(locale="nl-NL", viewport={"width": WIDTH, "height": 844})
    return context.new_page()


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def assert_fits(page: Any, name: str) -> None:
    """No sideways scrolling, no serious axe violation; a screenshot for the eye."""
    page.wait_for_load_state("networkidle")
    screenshot(page, f"narrow-{name}.png")
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= WIDTH, (name, width, page.evaluate(OVERFLOW))
    assert axe_violations(page) == [], name


@pytest.fixture
def casework(ctx: Any) -> dict[str, str]:
    """A case in the team queue of Dordrecht and one already worked (its next task claimed),
    with a long name, address and search to stretch the layout."""
    deploy_chain(ctx)
    corp = corporation(ctx)
    make_user(ctx, "corp-woonbron", "corporation", "woonbron")
    anna = make_user(ctx, "anna")
    make_user(ctx, "lead", "social_team_lead")
    waiting = report(ctx, corp, external_id="WB-2026-000901",
                     tenant={"name": "Wilhelmina Christina van Oldenbarnevelt-Vanderhoeven "
                                     "(synthetisch)",
                             "street": "Burgemeester de Raadtsingel"}).case_number
    worked = report(ctx, corp, external_id="WB-2026-000902",
                    tenant={"house_number": "7"}).case_number
    with ctx.sessionmaker.begin() as session:
        task = next(i.task for i in inbox.inbox(ctx, session, anna, queue="team",
                                                search=worked).items)
        tasks.claim_task(ctx, session, anna, task.id)
    return {"waiting": waiting, "worked": worked, "task": task.id}


def test_every_page_fits_a_phone(casework: dict[str, str], live_server: str,
                                 browser: Any) -> None:
    base = live_server
    login = narrow_page(browser)
    login.goto(f"{base}/login")
    assert_fits(login, "login")

    team = narrow_page(browser)
    sign_in(team, base, "anna")
    team.goto(f"{base}/inbox?queue=team")
    assert casework["waiting"] in team.content()
    assert_fits(team, "inbox-team")
    claim = team.locator("button:has-text('Oppakken')").first
    claim.scroll_into_view_if_needed()
    box = claim.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH
    team.goto(f"{base}/inbox?queue=mine")
    assert_fits(team, "inbox-mine")
    team.goto(f"{base}/cases")
    assert_fits(team, "cases")
    team.goto(f"{base}/cases/{casework['waiting']}")
    assert_fits(team, "case")
    team.goto(f"{base}/tasks/{casework['task']}")
    assert "Eerste contact leggen" in team.content()
    assert_fits(team, "task")

    lead = narrow_page(browser)
    sign_in(lead, base, "lead")
    assert lead.locator(".tabs [aria-current=page]").inner_text().startswith("Teamwachtrij")
    assert_fits(lead, "inbox-lead")
    lead.goto(f"{base}/inbox?queue=assigned")
    assert_fits(lead, "inbox-assigned")

    corp = narrow_page(browser)
    sign_in(corp, base, "corp-woonbron")
    assert corp.url.endswith("/portal")
    assert_fits(corp, "portal")
    corp.goto(f"{base}/portal/report")
    assert_fits(corp, "portal-report")
    corp.goto(f"{base}/cases/{casework['waiting']}")
    assert_fits(corp, "case-corporation")
    for page in (login, team, lead, corp):
        page.context.close()


def test_claiming_from_the_narrow_inbox_works(casework: dict[str, str], live_server: str,
                                              browser: Any) -> None:
    page = narrow_page(browser)
    sign_in(page, live_server, "anna")
    page.goto(f"{live_server}/inbox")  # "Mijn taken" holds one: it opens there
    assert page.locator(".tabs [aria-current=page]").inner_text().startswith("Mijn taken")
    page.goto(f"{live_server}/inbox?queue=team")
    page.click("button:has-text('Oppakken')")
    page.wait_for_selector("text=Taak opgepakt")
    assert_fits(page, "inbox-after-claim")
    page.context.close()
