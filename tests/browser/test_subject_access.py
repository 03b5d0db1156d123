"""The administrator answers a tenant's subject-access request in the browser: finds them by
postcode and house number, sees their data, tasks and every read; axe-core finds nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.context import EngineContext
from engine.models import Case
from tests.access.world import SECRET_NOTE, TENANTS, build
from tests.browser.conftest import screenshot
from tests.browser.test_case_file_journey import checked, sign_in


def test_admin_opens_the_subject_access_page(ctx: EngineContext, live_server: str,
                                             new_page: Any) -> None:
    world = build(ctx)
    number = world.cases["dordrecht_sdd"]
    with ctx.sessionmaker() as session:
        house = session.scalar(select(Case.house_number).where(Case.case_number == number))
    page = new_page()
    sign_in(page, live_server, "admin")
    page.click("a:has-text('Inzageverzoeken')")
    page.wait_for_load_state("networkidle")
    checked(page)
    page.fill("#postcode", "3312 kl")
    page.fill("#house_number", str(house))
    page.click("button:has-text('Zoeken')")
    page.wait_for_load_state("networkidle")
    text = page.inner_text("main")
    assert TENANTS["dordrecht_sdd"][0] in text and SECRET_NOTE in text
    assert "Wie heeft deze gegevens ingezien" in text and "inzageverzoek (AVG art. 15)" in text
    checked(page)
    screenshot(page, "subject-access-admin.png")
