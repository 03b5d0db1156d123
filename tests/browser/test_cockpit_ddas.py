"""A manager downloads the national DDAS delivery from the cockpit: a wrong period is named
on its field, the file validates against the national schema, and axe finds nothing on the
page (with and without the error)."""

from __future__ import annotations

import json
from datetime import date

import jsonschema

from engine import deployments
from engine.access import SYSTEM
from engine.chain.ddas_export import SCHEMA_PATH
from engine.chain.demo_cases import seed_year
from tests.browser.conftest import axe_violations, screenshot
from tests.browser.test_chain import sign_in
from tests.browser.test_csp import WATCH
from tests.factories import make_user


def test_a_manager_downloads_the_ddas_delivery(ctx, live_server, new_page):
    with ctx.sessionmaker.begin() as session:
        deployments.deploy_path(ctx, session, SYSTEM, ctx.settings.processes_dir)
    seed_year(ctx, seed=3, signals=20, days=30, until=date(2026, 9, 30))
    make_user(ctx, "manager", "manager", "regio")
    page = new_page()
    page.add_init_script(WATCH.removeprefix("() => {").removesuffix("}"))
    sign_in(page, live_server, "manager")
    page.goto(f"{live_server}/cockpit")
    page.click("nav.subnav a:has-text('DDAS-levering')")
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == []
    # the end before the start: the field is named, nothing is downloaded
    page.fill("#from", "2026-09-30")
    page.fill("#to", "2026-09-01")
    page.click("button:has-text('Bestand downloaden')")
    page.wait_for_load_state("networkidle")
    assert page.is_visible(".error-summary")
    assert page.get_attribute("#to", "aria-invalid") == "true"
    assert axe_violations(page) == []
    screenshot(page, "cockpit-ddas-error.png")
    page.fill("#from", "2026-09-01")
    page.fill("#to", "2026-09-30")
    page.select_option("#municipality", "dordrecht")
    with page.expect_download() as caught:
        page.click("button:has-text('Bestand downloaden')")
    delivery = json.loads(caught.value.path().read_text(encoding="utf-8"))
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert list(validator.iter_errors(delivery)) == []
    assert [lv["gemeentecode"] for lv in delivery["leveringen"]] == ["0505"]
    assert page.evaluate("window.__csp") == []
