"""A process owner in Chromium: the process page draws the diagram of the live version beside
its versions, decision tables and forms; the compare page draws both versions with the added
and changed elements coloured. No policy violations, no serious axe findings (the diagram
canvas itself is excluded: it is an SVG drawing with role=img and a label, and everything it
shows is also listed in words on the page). Screenshots go to test-artifacts/processes/."""

from __future__ import annotations

import shutil
from pathlib import Path

from engine import deployments
from engine.access import SYSTEM
from engine.context import EngineContext
from tests.browser.conftest import ROOT, screenshot
from tests.browser.test_chain import sign_in
from tests.browser.test_csp import WATCH
from tests.factories import make_user

AXE_WITHOUT_CANVAS = """async () => await axe.run({exclude: [['.diagram']]},
    {resultTypes: ['violations']})"""


def changed_chain(target: Path) -> Path:
    """processes/ with outreach changed: a line added to a script, a user task added (with its
    shape, so the diagram draws it)."""
    shutil.copytree(ROOT / "processes", target)
    bpmn = target / "outreach" / "outreach.bpmn"
    text = bpmn.read_text()
    edits = [
        ("attempt_count = 0\n", "attempt_count = 0\nfirst_contact_reminder = True\n"),
        ("<bpmn:flowNodeRef>escalate_first_contact_overdue</bpmn:flowNodeRef>",
         "<bpmn:flowNodeRef>escalate_first_contact_overdue</bpmn:flowNodeRef>"
         "<bpmn:flowNodeRef>review_outreach_note</bpmn:flowNodeRef>"),
        ('<bpmn:userTask id="escalate_first_contact_overdue"',
         '<bpmn:userTask id="review_outreach_note" name="Notitie nakijken">'
         "<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property "
         'name="formJsonSchemaFilename" value="forms/escalate_first_contact_overdue.json" />'
         "</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>\n"
         '    <bpmn:userTask id="escalate_first_contact_overdue"'),
        ('<bpmndi:BPMNShape id="escalate_first_contact_overdue_di"',
         '<bpmndi:BPMNShape id="review_outreach_note_di" bpmnElement="review_outreach_note">'
         '<dc:Bounds x="1000" y="760" width="100" height="80" /></bpmndi:BPMNShape>\n'
         '      <bpmndi:BPMNShape id="escalate_first_contact_overdue_di"'),
    ]
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    bpmn.write_text(text)
    return target


def _axe(page) -> list[dict[str, object]]:
    page.add_script_tag(url=page.url.split("/processes")[0] + "/static/vendor/axe.min.js")
    result = page.evaluate(AXE_WITHOUT_CANVAS)
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_a_process_owner_views_a_process_and_compares_two_versions(ctx: EngineContext,
                                                                   live_server, new_page,
                                                                   tmp_path):
    with ctx.sessionmaker.begin() as session:
        deployments.deploy_path(ctx, session, SYSTEM, ROOT / "processes")
    with ctx.sessionmaker.begin() as session:
        deployments.deploy_path(ctx, session, SYSTEM, changed_chain(tmp_path / "processes"),
                                change_note="Herinnering eerste contact, notitie nakijken")
    make_user(ctx, "po", "process_owner", "regio")
    page = new_page()
    page.add_init_script(WATCH.removeprefix("() => {").removesuffix("}"))
    sign_in(page, live_server, "po")

    page.goto(f"{live_server}/processes")
    assert page.locator("a[href='/processes/outreach']").count() == 1
    assert _axe(page) == []

    page.goto(f"{live_server}/processes/outreach")
    page.wait_for_selector(".diagram[data-rendered=true]")
    assert page.locator(".diagram .djs-element[data-element-id='record_first_contact_attempt']"
                        ).count() == 1
    assert page.get_by_text("Herinnering eerste contact, notitie nakijken").count() == 1
    screenshot(page, "processes/outreach.png")
    assert _axe(page) == []

    page.goto(f"{live_server}/processes/outreach/compare?a=1&b=2")
    page.wait_for_selector(".diagram-pair > div:nth-child(2) .diagram[data-rendered=true]")
    page.wait_for_selector(".diagram-pair > div:nth-child(1) .diagram[data-rendered=true]")
    new_side = page.locator(".diagram-pair > div:nth-child(2) .diagram")
    assert new_side.locator(".diff-added[data-element-id='review_outreach_note']").count() == 1
    assert new_side.locator(".diff-changed[data-element-id='init_outreach']").count() == 1
    old_side = page.locator(".diagram-pair > div:nth-child(1) .diagram")
    assert old_side.locator(".diff-changed[data-element-id='init_outreach']").count() == 1
    assert old_side.locator("[data-element-id='review_outreach_note']").count() == 0
    assert page.get_by_text("first_contact_reminder = True", exact=False).count() >= 1
    screenshot(page, "processes/outreach-compare.png")
    assert _axe(page) == []
    assert page.evaluate("window.__csp") == []
