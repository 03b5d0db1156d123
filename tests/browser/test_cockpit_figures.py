"""A manager opens the cockpit's figures, filters to Sliedrecht and one quarter and sees "<5"
where the count is small: charts beside accessible tables, no policy violation, no axe
violation, a screenshot in test-artifacts/."""

from __future__ import annotations

from datetime import date

from engine import deployments
from engine.access import SYSTEM
from engine.chain import figures
from engine.chain.demo_cases import seed_year
from tests.browser.conftest import axe_violations, screenshot
from tests.browser.test_chain import sign_in
from tests.browser.test_csp import WATCH
from tests.factories import make_user

UNTIL = date(2026, 9, 30)


def test_a_manager_filters_the_figures_to_sliedrecht_and_a_quarter(ctx, live_server,
                                                                   new_page):
    with ctx.sessionmaker.begin() as session:
        deployments.deploy_path(ctx, session, SYSTEM, ctx.settings.processes_dir)
    seed_year(ctx, seed=5, signals=40, days=90, until=UNTIL)
    figures.fold_all(ctx)
    make_user(ctx, "manager", "manager", "regio")
    page = new_page()
    page.add_init_script(WATCH.removeprefix("() => {").removesuffix("}"))
    sign_in(page, live_server, "manager")
    page.goto(f"{live_server}/cockpit")
    page.wait_for_load_state("networkidle")
    assert page.is_visible("h1:has-text('Cijfers van de keten')")
    page.select_option("#filter-municipality", "sliedrecht")
    page.select_option("#filter-quarter", "2026-Q3")
    page.click("button:has-text('Toon cijfers')")
    page.wait_for_load_state("networkidle")
    assert "quarter=2026-Q3" in page.url and "municipality=sliedrecht" in page.url
    assert "2026-07 – 2026-09" in page.inner_text("#figure-period")
    signals = page.locator("#figure-signals_municipality table")
    # only Sliedrecht's column, a handful of signals: hidden as "<5"
    assert signals.locator("thead th").all_inner_texts()[1:] == ["Gemeente Sliedrecht", "Totaal"]
    assert "<5" in signals.inner_text()
    # every chart was drawn by the vendored Chart.js (no inline script needed)
    drawn = page.evaluate("""() => [...document.querySelectorAll('canvas')]
        .filter(c => window.Chart && window.Chart.getChart(c)).length""")
    assert drawn == len(figures.FIGURES)
    csv_link = page.get_attribute("#figure-funnel a[download]", "href")
    assert csv_link is not None and "municipality=sliedrecht" in csv_link
    assert page.evaluate("window.__csp") == []
    shot = screenshot(page, "cockpit-figures-sliedrecht-quarter.png")
    assert shot.exists()
    assert axe_violations(page) == []
