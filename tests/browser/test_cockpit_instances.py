"""The cockpit's instances in Chromium (issue 12): a manager goes from the cockpit to the
instance list, the heatmap of ``outreach`` and an instance in error, drawn by bpmn-js; the
administrator fixes its data and retries. No Content-Security-Policy violation, no serious
axe-core violation (the diagram's SVG canvas is left out of the axe run: it is marked
``role="img"`` with a text alternative, and the same figures stand in the table beside it).
"""

from __future__ import annotations

from typing import Any

from engine.clock import ManualClock
from engine.context import EngineContext
from engine.models import ProcessInstance
from tests.browser.conftest import axe_violations, screenshot
from tests.browser.test_chain import sign_in
from tests.browser.test_csp import WATCH
from tests.casework import corporation, report
from tests.factories import make_user
from tests.processes.chain import Chain, deploy_chain

TENANT = "Huurder 3 (synthetisch)"


def _world(ctx: EngineContext, clock: ManualClock) -> int:
    deploy_chain(ctx)  # the real processes/: arrears_case calls outreach
    reporter = corporation(ctx)
    for number in range(6):
        report(ctx, reporter, external_id=f"WB-2026-{number:06d}",
               tenant={"name": f"Huurder {number} (synthetisch)",
                       "house_number": str(10 + number)})
    make_user(ctx, "manager", "manager", "regio")
    make_user(ctx, "admin", "admin", "regio")
    # a case whose signal carries a date no deadline can be computed from: a script fails
    return Chain(ctx, clock, "DR-2026-900001").signal(received_on="kapot")


def _axe(page: Any) -> list[dict[str, Any]]:
    """axe without the diagrams' canvases (see the module's docstring)."""
    page.evaluate("() => document.querySelectorAll('.diagram').forEach("
                  "d => d.setAttribute('data-axe-skip', ''))")
    violations = axe_violations(page)
    return [v for v in violations
            if not all(any(".diagram" in str(t) or "djs-" in str(t) for t in n)
                       for n in v["nodes"])]


def test_manager_follows_instances_and_admin_retries(ctx: EngineContext, clock: ManualClock,
                                                     live_server: str, new_page: Any) -> None:
    broken = _world(ctx, clock)
    with ctx.sessionmaker() as session:
        assert session.get(ProcessInstance, broken).status == "error"  # type: ignore
    page = new_page()
    page.add_init_script(WATCH.removeprefix("() => {").removesuffix("}"))
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server, "manager")
    page.goto(f"{live_server}/cockpit")
    page.click("nav.subnav a[href='/cockpit/instances']")
    page.wait_for_selector("table.instances")
    assert _axe(page) == []
    listing = page.content()
    assert TENANT not in listing and "3311 AB" not in listing
    assert page.locator("[data-total='error']").inner_text() == "1"

    page.click("summary:has-text('Heatmap per proces')")
    page.click("a[href='/cockpit/processes/outreach/heatmap']")
    page.wait_for_selector("#heat-diagram[data-drawn='true']")
    assert page.locator("#heat-diagram .kf-count").count() >= 1
    # six cases wait at the first contact attempt: a manager sees the count (>= 5)
    waiting = page.locator("tr:has-text('record_first_contact_attempt') td").first
    assert waiting.inner_text() == "6"
    assert page.locator(".heat-table tbody tr").count() > 3
    assert TENANT not in page.content()
    assert _axe(page) == []
    shot = screenshot(page, "cockpit-heatmap-outreach.png")
    assert shot.stat().st_size > 10_000

    page.goto(f"{live_server}/cockpit/instances?in_error=true")
    page.click(f"a[href='/cockpit/instances/{broken}']")
    page.wait_for_selector("#instance-diagram[data-drawn]:not([data-drawn='false'])")
    assert page.get_attribute("#instance-diagram", "data-drawn") == "true", \
        page.inner_text("#instance-diagram")
    assert page.locator("#instance-diagram .djs-element.kf-failed").count() == 1
    assert page.locator("#instance-diagram .djs-element.kf-passed").count() >= 1
    assert "kapot" not in page.content()  # the data stays with the administrator
    assert page.locator("form[action$='/retry']").count() == 0
    assert _axe(page) == []
    screenshot(page, "cockpit-instance-error.png")
    assert page.evaluate("window.__csp") == []

    admin = new_page()
    sign_in(admin, live_server, "admin")
    admin.goto(f"{live_server}/cockpit/instances/{broken}")
    admin.wait_for_selector("#instance-diagram[data-drawn='true']")
    assert "kapot" in admin.content()  # the failing step's data, to fix
    admin.fill("#retry-field", "received_on")
    admin.fill("#retry-value", "2026-04-23")
    admin.click("form[action$='/retry'] button[type=submit]")
    admin.wait_for_selector("text=Opnieuw uitgevoerd.")
    with ctx.sessionmaker() as session:
        assert session.get(ProcessInstance, broken).status in ("running", "waiting")  # type: ignore
    assert admin.locator(".error-summary").count() == 0
    screenshot(admin, "cockpit-instance-retried.png")
    assert errors == []
