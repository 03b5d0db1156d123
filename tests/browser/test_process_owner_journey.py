"""Issue 11's journey in Chromium, as two process owners over the running demo cases.

Anna opens ``outreach``, makes a draft, and in the modeler relabels the first-contact timer
and adds a user task: the lint marker shows that it is in no role lane until she drags it into
the team lead's lane. The first-contact term itself lives in the triage decision table
(``arrears_case/triage_signal.dmn``, the rules moved to DMN): in the decision-table editor she
shortens the warm-handover term from 3 to 2 working days. The gate fails the scenario that
expected the old term; she corrects that scenario in the browser (a typo first: the error
names file and step), the gate passes, Bram approves, Anna publishes, looks at the diff of both
processes, dry-runs the migration of the running demo cases and migrates them. Then: a new
warm handover gets the new term, and a migrated case's waiting first-contact timer keeps its
due time.

Only the new task's shape is created through the modeler's API (dragging from the palette is
fiddly to drive); its name and form are typed into the properties panel and it is moved into
its lane with the mouse. Everything else is clicked and typed as a user would. Screenshots go
to test-artifacts/journey/.
"""

from __future__ import annotations

import re
from datetime import UTC, date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from engine.access import SYSTEM
from engine.chain.demo_cases import seed_year
from engine.context import EngineContext
from engine.deployments import deploy_path
from engine.models import HumanTask, ProcessDefinition, ProcessInstance
from engine.process_catalogue import RUNNING_STATUSES
from tests.browser.conftest import ROOT, axe_violations, screenshot
from tests.browser.test_chain import sign_in
from tests.browser.test_csp import WATCH
from tests.browser.test_editor import drop_user_task_outside_lanes
from tests.browser.test_editor__forms_dmn import type_into_dmn_cell
from tests.casework import corporation, report
from tests.engine.test_migration_of_chain_cases import waiting_timers
from tests.factories import make_user

TRIAGE = "arrears_case/triage_signal.dmn"
#: The warm-handover rule's term in the decision-table editor (dmn-js).
TERM_CELL = '[data-element-id="rule_warm_handover_contact_working_days"]'
OLD_LABEL = "5 werkdagen (crisis 1, warme overdracht of dreiging 3)"
NEW_LABEL = "5 werkdagen (crisis 1, warme overdracht 2, dreiging 3)"
SLOW = 180_000  # ms: the gate runs every scenario in the request (about 10 s here)


def _lint(page: Any, element_id: str) -> list[str]:
    return page.evaluate("""(id) => (window.ketenflowModeler.get('linting')._issues[id] || [])
        .map(i => i.message)""", element_id)


def _element_box(page: Any, element_id: str) -> dict[str, float]:
    box = page.locator(f".djs-element[data-element-id='{element_id}'] .djs-hit").first \
        .bounding_box()
    assert box is not None, element_id
    return box


def _field(page: Any, field_id: str, group: str) -> Any:
    """A properties-panel field, its group opened by a click on the header when closed."""
    field = page.locator(f"#bio-properties-panel-{field_id}")
    field.wait_for(state="attached")
    if not field.is_visible():
        page.click(f"[data-group-id=group-{group}] .bio-properties-panel-group-header")
    field.wait_for(state="visible")
    return field


def _show(page: Any, element_id: str) -> None:
    """Select an element and centre the canvas on it at full size (for the screenshot)."""
    page.evaluate("""(id) => {
        const m = window.ketenflowModeler, canvas = m.get('canvas');
        const element = m.get('elementRegistry').get(id);
        const outer = canvas.viewbox().outer;
        canvas.viewbox({x: element.x + element.width / 2 - outer.width * 0.4,
                        y: element.y + element.height / 2 - outer.height / 2,
                        width: outer.width, height: outer.height});
        m.get('selection').select(element);
    }""", element_id)


def _gate(page: Any) -> None:
    page.get_by_role("button", name="Controle starten (bundel en alle scenario's)").click()
    page.wait_for_selector("p[role=status]", timeout=SLOW)
    page.wait_for_load_state("networkidle", timeout=SLOW)


def test_a_process_owner_changes_the_first_contact_term_and_migrates_the_running_cases(
        ctx: EngineContext, live_server, new_page) -> None:  # type: ignore[no-untyped-def]
    make_user(ctx, "po-anna", "process_owner", "regio")
    make_user(ctx, "po-bram", "process_owner", "regio")
    with ctx.sessionmaker.begin() as session:
        deploy_path(ctx, session, SYSTEM, ROOT / "processes", change_note="Startversie")
    seed_year(ctx, seed=11, signals=14, days=12, until=date(2026, 4, 22))
    with ctx.sessionmaker() as session:
        running = session.scalars(select(ProcessInstance.id).join(ProcessDefinition).where(
            ProcessDefinition.process_id == "arrears_case",
            ProcessInstance.status.in_(RUNNING_STATUSES)).order_by(ProcessInstance.id)).all()
    assert len(running) >= 3
    timers = {i: waiting_timers(ctx, i) for i in running}
    watched = next(i for i, t in timers.items() if "first_contact_overdue" in t)
    watched_due = timers[watched]["first_contact_overdue"]

    anna = new_page()
    anna.add_init_script(WATCH.removeprefix("() => {").removesuffix("}"))
    sign_in(anna, live_server, "po-anna")

    # she opens outreach: the first-contact timer names the terms
    anna.goto(f"{live_server}/processes/outreach")
    anna.wait_for_selector(".diagram[data-rendered=true]")
    assert anna.get_by_text(OLD_LABEL).count() >= 1

    # a draft of the live version
    anna.goto(f"{live_server}/editor")
    anna.fill("#draft-title", "Warme overdracht: eerste contact binnen 2 werkdagen")
    anna.get_by_role("button", name="Concept maken").click()
    anna.wait_for_url(re.compile(r"/editor/drafts/\d+$"))
    draft_url = anna.url
    anna.get_by_role("link", name="Bewerken outreach/outreach.bpmn").click()
    anna.wait_for_selector("#editor[data-ready=true]", timeout=20000)
    assert anna.get_attribute("#editor-status", "data-kind") == "ready"

    # the timer's label names the new term (typed into the properties panel)
    anna.evaluate("""() => { const m = window.ketenflowModeler;
        m.get('selection').select(m.get('elementRegistry').get('first_contact_overdue')); }""")
    name = _field(anna, "name", "general")
    assert name.input_value() == OLD_LABEL
    name.fill(NEW_LABEL)
    anna.wait_for_selector("#editor-status[data-kind=saved]")

    # a new user task, its shape dropped in the pool but in no lane: the lint marker shows
    drop_user_task_outside_lanes(anna, "call_household_back")
    anna.wait_for_selector("[data-container-id=call_household_back] .bjsl-overlay",
                           timeout=10000)
    assert "Gebruikerstaak staat niet in een laan met een rol" in _lint(anna,
                                                                        "call_household_back")
    _field(anna, "name", "general").fill("Teamleider belt het huishouden terug")
    _field(anna, "ketenflow-form", "ketenflow").fill("forms/escalate_first_contact_overdue.json")
    anna.wait_for_function("""() => !(window.ketenflowModeler.get('linting')._issues
        .call_household_back || []).some(i => i.message.includes('formulier'))""")
    assert _lint(anna, "call_household_back") == [
        "Gebruikerstaak staat niet in een laan met een rol"]
    anna.wait_for_selector("#editor-status[data-kind=saved]")
    _show(anna, "call_household_back")
    anna.hover("[data-container-id=call_household_back] .bjsl-overlay")  # its message
    screenshot(anna, "journey/1-editor-task-outside-a-lane.png")
    anna.evaluate("() => window.ketenflowModeler.get('canvas').zoom('fit-viewport')")

    # she drags it into the team lead's lane (the mouse, as a user): the marker goes
    task = _element_box(anna, "call_household_back")
    left = _element_box(anna, "end_first_contact_escalated")  # the free stretch between
    right = _element_box(anna, "escalate_next_attempt_overdue")  # two escalations
    start = (task["x"] + task["width"] / 2, task["y"] + task["height"] / 2)
    target = ((left["x"] + left["width"] + right["x"]) / 2, right["y"] + right["height"] / 2)
    anna.mouse.move(*start)
    anna.mouse.down()
    for step in range(1, 11):
        anna.mouse.move(start[0] + (target[0] - start[0]) * step / 10,
                        start[1] + (target[1] - start[1]) * step / 10)
    anna.mouse.up()
    anna.wait_for_function("""() => !(window.ketenflowModeler.get('linting')._issues
        .call_household_back || []).length""", timeout=10000)
    lane_of = anna.evaluate("""() => window.ketenflowModeler.get('elementRegistry')
        .get('lane_social_team_lead').businessObject.flowNodeRef.map(n => n.id)""")
    assert "call_household_back" in lane_of
    assert anna.query_selector("[data-container-id=call_household_back] .bjsl-overlay") is None
    anna.wait_for_selector("#editor-status[data-kind=saved]")
    anna.evaluate("""() => { window.ketenflowFit(); window.ketenflowModeler.get('selection')
        .select(window.ketenflowModeler.get('elementRegistry').get('call_household_back')); }""")
    screenshot(anna, "journey/2-editor-task-in-the-lead-lane.png")
    assert anna.evaluate("window.__csp") == []

    # the term itself: the warm-handover rule of the triage table
    anna.goto(draft_url)
    anna.get_by_role("link", name=f"Bewerken {TRIAGE}").click()
    anna.wait_for_selector("#dmn-editor[data-ready=true]", timeout=20000)
    assert type_into_dmn_cell(anna, TERM_CELL, "2") == "3"
    assert anna.evaluate("window.__csp") == []
    anna.goto(draft_url)

    # the gate: the scenario that expected the old term fails
    anna.get_by_role("link", name="Naar de poort").click()
    _gate(anna)
    assert "Niet geslaagd" in anna.inner_text("p[role=status]")
    failed = {row.locator("code").first.inner_text(): row.locator("td").nth(2).inner_text()
              for row in anna.locator("tbody tr").all()
              if "gefaald" in row.locator("td").nth(1).inner_text()}
    assert "05_budget_advice" in failed, failed
    # only the scenarios that expected the old term fail (a failed scenario's case is ended
    # before the next one runs, so its timers do not fail the others)
    expected_old = {name: failure for name, failure in failed.items()
                    if "(expect_due): termijn van record_first_contact_attempt" in failure}
    assert expected_old == failed, failed
    assert failed["05_budget_advice"].startswith(
        'stap 2 (expect_due): termijn van record_first_contact_attempt: verwacht '
        '"2026-04-29T17:00", gekregen "2026-04-28T17:00"')
    screenshot(anna, "journey/3-gate-failed.png")

    # she corrects each failing scenario in the browser (a typo first: refused, named)
    gate_url = anna.url
    for number, (scenario, failure) in enumerate(sorted(expected_old.items())):
        old, new = re.search(r'verwacht "([^"]+)", gekregen "([^"]+)"', failure).groups()
        anna.goto(gate_url)
        anna.get_by_role("link", name=f"Scenario bewerken {scenario}").click()
        box = anna.locator("#file-content")
        text = box.input_value()
        assert f'"record_first_contact_attempt": "{old}"' in text
        if number == 0:
            box.fill(text.replace('{"expect_due":', '{"expect_du":', 1))
            anna.get_by_role("button", name="Opslaan in het concept").click()
            error = anna.locator("#file-content-error").inner_text()
            assert error.startswith(f"'scenarios/{scenario}.json': stap ") and \
                "onbekend: expect_du" in error, error
            assert anna.get_attribute("#file-content", "aria-invalid") == "true"
            screenshot(anna, "journey/4-scenario-refused.png")
            assert axe_violations(anna) == []
            text = anna.locator("#file-content").input_value().replace(
                '{"expect_du":', '{"expect_due":', 1)
        anna.locator("#file-content").fill(text.replace(
            f'"record_first_contact_attempt": "{old}"',
            f'"record_first_contact_attempt": "{new}"'))
        anna.get_by_role("button", name="Opslaan in het concept").click()
        anna.wait_for_url(draft_url)

    # the gate again: all pass; the author may not approve her own draft
    anna.goto(gate_url)
    _gate(anna)
    assert "Geslaagd" in anna.inner_text("p[role=status]")
    assert anna.get_by_text("gefaald").count() == 0
    assert anna.get_by_text("Een andere proceseigenaar moet dit concept goedkeuren.").count() \
        == 1
    screenshot(anna, "journey/5-gate-passed.png")
    assert axe_violations(anna) == []

    # Bram approves
    bram = new_page()
    sign_in(bram, live_server, "po-bram")
    bram.goto(f"{live_server}/editor")
    bram.get_by_role("link", name="Warme overdracht: eerste contact binnen 2 werkdagen").click()
    bram.get_by_role("link", name="Naar de poort").click()
    bram.get_by_role("button", name="Concept goedkeuren").click()
    bram.wait_for_load_state("networkidle")
    assert bram.get_by_text("Goedgekeurd door po-bram.").count() == 1

    # Anna publishes
    anna.goto(draft_url)
    anna.fill("#change-note", "Warme overdracht: eerste contact binnen 2 werkdagen; "
                              "teamleider belt terug")
    anna.get_by_role("button", name="Concept publiceren").click()
    anna.wait_for_load_state("networkidle")
    assert anna.get_by_text("Gepubliceerd als versie 2.").count() >= 1

    # the diff of the two versions, from the process page
    anna.goto(f"{live_server}/processes/outreach")
    anna.get_by_role("link", name="Versies vergelijken").click()
    anna.wait_for_selector(".diagram-pair > div:nth-child(2) .diagram[data-rendered=true]")
    anna.wait_for_selector(".diagram-pair > div:nth-child(1) .diagram[data-rendered=true]")
    new_side = anna.locator(".diagram-pair > div:nth-child(2) .diagram")
    assert new_side.locator(".diff-added[data-element-id='call_household_back']").count() == 1
    assert new_side.locator(".diff-changed[data-element-id='first_contact_overdue']"
                            ).count() == 1
    assert anna.get_by_text(NEW_LABEL).count() >= 1
    # only what she changed: the modeler's way of writing the rest is no change
    changed = sorted(anna.locator(".diagram-pair > div:nth-child(2) .diagram [class*=diff-]")
                     .evaluate_all("els => els.map(e => e.dataset.elementId)"))
    assert changed == ["call_household_back", "first_contact_overdue"], changed
    screenshot(anna, "journey/6-diff-outreach.png")
    anna.goto(f"{live_server}/processes/arrears_case")
    anna.get_by_role("link", name="Versies vergelijken").click()
    anna.wait_for_selector(".diagram-pair > div:nth-child(2) .diagram[data-rendered=true]")
    rules = anna.locator("#rules-title").locator("xpath=..")
    assert "rule_warm_handover" in rules.inner_text()
    assert "Eerste contactpoging binnen (werkdagen): 3 → 2" in rules.inner_text()
    screenshot(anna, "journey/7-diff-arrears-case.png")

    # the running demo cases: dry run, then migrate the movable ones
    anna.get_by_role("link", name="Terug naar het proces").click()
    anna.get_by_role("link", name="Lopende zaken migreren").click()
    anna.wait_for_selector("#plan-title")
    assert "versie 1 naar versie 2" in anna.inner_text("#plan-title")
    rows = anna.locator("form tbody tr")
    assert rows.count() == len(running)
    movable = anna.locator("input[name=instance]").count()
    assert movable == len(running), anna.inner_text("form tbody")
    screenshot(anna, "journey/8-migration-dry-run.png")
    anna.get_by_role("button", name="Gekozen zaken migreren").click()
    anna.wait_for_url(re.compile(r"/processes/arrears_case/migrate/[0-9a-f]{32}$"))
    for _ in range(60):
        if "Klaar." in anna.inner_text("p[role=status]"):
            break
        anna.wait_for_timeout(1000)
        anna.reload()
    status = anna.inner_text("p[role=status]")
    assert "Klaar." in status and f"{movable} gemigreerd, 0 niet" in status, status
    screenshot(anna, "journey/9-migration-done.png")
    assert anna.evaluate("window.__csp") == []

    with ctx.sessionmaker() as session:
        versions = dict(session.execute(select(ProcessInstance.id, ProcessDefinition.id)
                                        .join(ProcessDefinition)
                                        .where(ProcessInstance.id.in_(running))).all())
        live = session.scalar(select(ProcessDefinition.id).where(
            ProcessDefinition.process_id == "arrears_case").order_by(
            ProcessDefinition.id.desc()).limit(1))
    assert set(versions.values()) == {live}
    # a migrated case keeps the due time of its running timer
    after = waiting_timers(ctx, watched)
    assert after.get("first_contact_overdue") == watched_due, (timers, after, ctx.clock.now())
    # a new warm handover gets the new term: Thursday 23 April + 2 working days (Koningsdag
    # on Monday 27 April is no working day) = Tuesday 28 April, end of the day
    corp = corporation(ctx)
    case = report(ctx, corp, external_id="WB-2026-009001", warm_handover=True)
    with ctx.sessionmaker() as session:
        row = session.scalars(select(ProcessInstance).where(
            ProcessInstance.business_key == case.case_number)).one()
        assert row.definition_id == live
        due = session.scalar(select(HumanTask.due_at).where(
            HumanTask.instance_id == row.id,
            HumanTask.bpmn_id == "record_first_contact_attempt"))
    assert due is not None
    local = due.replace(tzinfo=due.tzinfo or UTC).astimezone(ZoneInfo("Europe/Amsterdam"))
    assert local.strftime("%Y-%m-%dT%H:%M") == "2026-04-28T17:00"
