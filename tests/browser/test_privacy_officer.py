"""The privacy officer in the browser: lands on the access log, finds the reads of one case,
opens a caseworker's pattern (a break-glass into another municipality flagged), and exports
the search as CSV. axe-core checks each page; screenshots in test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.context import EngineContext
from tests.access.world import build
from tests.browser.conftest import screenshot
from tests.browser.test_case_file_journey import checked, fits_a_phone, sign_in


def test_the_privacy_officer_reviews_the_reads_of_one_case(
        ctx: EngineContext, live_server: str, new_page: Any) -> None:
    world = build(ctx)
    base, other = live_server, world.cases["sliedrecht_care"]

    worker = new_page()
    sign_in(worker, base, "st-dordrecht")
    worker.goto(f"{base}/cases?q={other}")
    worker.click("a:has-text('Vraag tijdelijk toegang aan')")
    worker.wait_for_load_state("networkidle")
    checked(worker)
    worker.fill("#reason", "Huishouden verhuisde van Sliedrecht naar Dordrecht")
    worker.click("button:has-text('Toegang aanvragen')")
    worker.wait_for_load_state("networkidle")
    assert worker.url.endswith(f"/cases/{other}")
    screenshot(worker, "privacy-break-glass-case.png")

    officer = new_page()
    sign_in(officer, base, "privacy")
    assert officer.url.endswith("/privacy")
    checked(officer)
    officer.fill("#case_number", other)
    officer.click("form[role=search] button[type=submit]")
    officer.wait_for_load_state("networkidle")
    checked(officer)
    reads = officer.locator("table[aria-labelledby=reads-heading]").inner_text()
    assert "st-dordrecht" in reads and "Break-glass verleend" in reads
    assert "Karel Oosterhout" not in officer.content()
    screenshot(officer, "privacy-case-reads.png")
    fits_a_phone(officer)

    officer.click("table[aria-labelledby=people-heading] a:has-text('st-dordrecht')")
    officer.wait_for_load_state("networkidle")
    checked(officer)
    assert "Break-glass buiten eigen gemeente" in officer.locator("main").inner_text()
    screenshot(officer, "privacy-user-pattern.png")

    officer.go_back()
    officer.wait_for_load_state("networkidle")
    with officer.expect_download() as download:
        officer.click("a:has-text('Exporteer deze zoekvraag als CSV')")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith("at,username,role,organisation,what,case_number")
    assert f"st-dordrecht,social_team,dordrecht,break-glass granted,{other}" in text
