"""The process owners' editor in Chromium: every diagram of ``processes/`` loaded into the
bpmn-js Modeler and saved back through the draft's autosave is the same in everything the
engine reads, and that bundle, published through the gate, runs every scenario with the same
results as the repository's folder; the lint marker shows on a user task outside a lane; no
CSP violation; axe finds nothing on the page (the diagram canvas itself excepted: an SVG
drawing surface axe cannot judge, the same elements are reachable through the properties panel
and the draft's files)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import select

from engine import chain, drafts, users
from engine.bundles import BundleFile, validate_bundle
from engine.context import EngineContext
from engine.deployments import deploy_path, read_folder
from engine.gate import GateReport, run_gate
from engine.models import Deployment, DeploymentFile
from engine.serialization import dump_spec
from tests.browser.conftest import ARTIFACTS, AXE, screenshot
from tests.browser.test_chain import sign_in
from tests.browser.test_csp import WATCH
from tests.conftest import ROOT
from tests.factories import make_user

BPMN_FILES = sorted(f.name for f in read_folder(ROOT / "processes") if f.name.endswith(".bpmn"))
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


@pytest.fixture
def draft(ctx: EngineContext) -> drafts.DraftView:
    owner = make_user(ctx, "po", "process_owner", "regio")
    with ctx.sessionmaker.begin() as session:
        deploy_path(ctx, session, owner, ROOT / "processes")
        return drafts.create(ctx, session, owner, "Rondreis")


def _open(page: Any, base: str, draft_id: int, name: str) -> None:
    page.goto(f"{base}/editor/drafts/{draft_id}/edit/{name}")
    page.wait_for_selector("#editor[data-ready=true]", timeout=20000)


def _specs(files: list[BundleFile]) -> dict[str, Any]:
    """What the engine stores per process: the parsed spec, as the deploy serialises it."""
    validated = validate_bundle(files, 10_000_000)
    return {p.process_id: (json.loads(dump_spec(p.spec, p.subprocess_specs)), p.forms)
            for p in validated.processes}


def _extensions(content: bytes) -> list[tuple[str, str, str]]:
    """Every spiffworkflow element and the BPMN texts the engine evaluates, by owner id."""
    root = etree.fromstring(content)
    found = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        namespace, _, local = element.tag[1:].partition("}")
        texts = ("script", "conditionExpression", "timeDate", "timeDuration", "timeCycle",
                 "formalExpression", "correlationPropertyRef")
        if namespace == SPIFF or (namespace == BPMN and local in texts):
            owner = element.getparent()
            while owner is not None and owner.get("id") is None:
                owner = owner.getparent()
            attrs = ",".join(f"{k}={v}" for k, v in sorted(element.attrib.items()))
            found.append((owner.get("id") if owner is not None else "", f"{local}[{attrs}]",
                          (element.text or "").strip()))
    return sorted(found)


def drop_user_task_outside_lanes(page: Any, task_id: str) -> None:
    """A new user task dropped in the outreach pool but in none of its lanes, through the
    modeler's API (dragging from the palette is fiddly to drive); it ends up selected."""
    page.evaluate("""(taskId) => {
        const m = window.ketenflowModeler;
        const registry = m.get('elementRegistry'), modeling = m.get('modeling');
        const lane = registry.get('lane_social_team');
        const pool = registry.get('participant_outreach');
        const businessObject = m.get('bpmnFactory').create('bpmn:UserTask', {id: taskId});
        const shape = m.get('elementFactory').createShape({type: 'bpmn:UserTask',
                                                           businessObject});
        modeling.createShape(shape, {x: lane.x + lane.width - 120, y: lane.y + lane.height - 60},
                             pool);
        const laneBo = lane.businessObject;
        modeling.updateModdleProperties(lane, laneBo, {
            flowNodeRef: laneBo.flowNodeRef.filter(n => n.id !== taskId)});
        m.get('selection').select(shape);
    }""", task_id)


def test_every_diagram_round_trips_through_the_modeler(ctx, live_server, new_page, draft):
    page = new_page()
    page.add_init_script(WATCH.removeprefix("() => {").removesuffix("}"))
    sign_in(page, live_server, "po")
    files = {f.name: f for f in read_folder(ROOT / "processes")}
    for name in BPMN_FILES:
        _open(page, live_server, draft.id, name)
        # no import warnings: bpmn-js understood every element and extension
        assert page.get_attribute("#editor-status", "data-kind") == "ready", \
            page.inner_text("#editor-status")
        # the user's save path: the autosave PUT with the revision the page started from
        page.evaluate("() => window.ketenflowSaveNow()")
        page.wait_for_selector("#editor-status[data-kind=saved]")
        assert page.evaluate("window.__csp") == []
    with ctx.sessionmaker.begin() as session:
        owner = drafts.get(session, make_owner_actor(ctx), draft.id)
        assert owner.revision == 1 + len(BPMN_FILES)
        saved = {name: drafts.read_file(session, make_owner_actor(ctx), draft.id, name)
                 for name in owner.files}
    for name in BPMN_FILES:
        assert saved[name] != files[name].content  # it really went through the modeler
        assert _extensions(saved[name]) == _extensions(files[name].content), name
    exported = [BundleFile(n, c) for n, c in saved.items()]
    assert _specs(exported) == _specs(list(files.values()))
    # published through the editor (gate, second owner, publish), the bundle runs every
    # scenario with the same results as the repository's processes/ folder
    second = make_user(ctx, "po2", "process_owner", "regio")
    with ctx.sessionmaker.begin() as session:
        report = drafts.run_gate(ctx, session, make_owner_actor(ctx), draft.id,
                                 owner.revision, chain.install)
    with ctx.sessionmaker.begin() as session:
        drafts.approve(ctx, session, second, draft.id, owner.revision)
        deployed = drafts.publish(ctx, session, make_owner_actor(ctx), draft.id,
                                  owner.revision, "Door de modeler bewaard")
    with ctx.sessionmaker() as session:
        published = {f.name: f.content for f in session.scalars(
            select(DeploymentFile).join(Deployment).where(
                Deployment.version == deployed.version))}
    assert published == saved
    repository = run_gate(ctx, list(files.values()), chain.install)
    assert repository.passed and repository.scenarios
    assert _verdicts(report) == _verdicts(repository)
    assert report.coverage == repository.coverage
    assert report.missing == repository.missing


def _verdicts(report: GateReport) -> list[tuple[str, bool, str | None, int]]:
    return [(s["name"], s["passed"], s["failure"], s["steps"]) for s in report.scenarios]


def make_owner_actor(ctx: EngineContext) -> Any:
    with ctx.sessionmaker.begin() as session:
        found = users.user_named(session, "po")
        assert found is not None
        return users.actor_for(found)


def test_lint_marker_on_a_user_task_outside_a_lane(ctx, live_server, new_page, draft):
    page = new_page()
    page.add_init_script(WATCH.removeprefix("() => {").removesuffix("}"))
    sign_in(page, live_server, "po")
    _open(page, live_server, draft.id, "outreach/outreach.bpmn")
    page.wait_for_selector(".bjsl-button")
    assert page.query_selector("[data-container-id=new_user_task] .bjsl-overlay") is None
    # bpmn-js's own texts in Dutch, as the page (palette, properties panel, lint button)
    assert page.get_attribute(".djs-palette [data-action=\"create.task\"]", "aria-label") == \
        "Taak maken"
    assert "Geen problemen" in page.inner_text(".bjsl-button")
    drop_user_task_outside_lanes(page, "new_user_task")
    page.evaluate("""() => window.ketenflowModeler.get('modeling').updateLabel(
        window.ketenflowModeler.get('elementRegistry').get('new_user_task'), 'Nieuwe taak')""")
    marker = page.wait_for_selector(
        "[data-container-id=new_user_task] .bjsl-overlay", timeout=10000)
    assert marker is not None
    issues = page.evaluate("""() => (window.ketenflowModeler.get('linting')._issues
        .new_user_task || []).map(i => i.message)""")
    assert "Gebruikerstaak staat niet in een laan met een rol" in issues
    assert "Gebruikerstaak zonder formulier (formJsonSchemaFilename)" in issues
    # fix the form through the properties panel: that issue goes, the lane issue stays
    page.evaluate("""() => window.ketenflowModeler.get('selection').select(
        window.ketenflowModeler.get('elementRegistry').get('new_user_task'))""")
    form = page.wait_for_selector("#bio-properties-panel-ketenflow-form")
    assert page.inner_text("[data-group-id=group-general] .bio-properties-panel-group-header"
                           ).strip().startswith("Algemeen")
    form.fill("forms/record_contact_attempt.json")
    page.wait_for_function("""() => !(window.ketenflowModeler.get('linting')._issues
        .new_user_task || []).some(i => i.message.includes('formulier'))""")
    page.wait_for_selector("#editor-status[data-kind=saved]")
    page.evaluate("""() => { const m = window.ketenflowModeler;
        m.get('canvas').zoom(1.3); m.get('canvas').scrollToElement('new_user_task');
        m.get('selection').select(null); }""")
    page.wait_for_selector("[data-container-id=new_user_task] .bjsl-overlay")
    path = screenshot(page, "editor-lint-user-task-outside-lane.png")
    assert path.exists() and path.parent == ARTIFACTS
    issues = page.evaluate("""() => (window.ketenflowModeler.get('linting')._issues
        .new_user_task || []).map(i => i.message)""")
    assert issues == ["Gebruikerstaak staat niet in een laan met een rol"]
    page.wait_for_selector("#editor-status[data-kind=saved]")
    assert page.evaluate("window.__csp") == []
    with ctx.sessionmaker.begin() as session:
        saved = drafts.read_file(session, make_owner_actor(ctx), draft.id,
                                 "outreach/outreach.bpmn")
    assert b'value="forms/record_contact_attempt.json"' in saved
    assert b'id="new_user_task"' in saved


def test_axe_on_the_editor_page_canvas_excepted(ctx, live_server, new_page, draft):
    page = new_page()
    sign_in(page, live_server, "po")
    for path in ("/editor", f"/editor/drafts/{draft.id}"):
        page.goto(f"{live_server}{path}")
        assert _axe(page) == [], path
    _open(page, live_server, draft.id, "outreach/outreach.bpmn")
    page.evaluate("""() => window.ketenflowModeler.get('selection').select(
        window.ketenflowModeler.get('elementRegistry').get('record_first_contact_attempt'))""")
    page.wait_for_selector("#bio-properties-panel-ketenflow-form")
    screenshot(page, "editor-outreach.png")
    assert _axe(page, exclude=[".editor-canvas"]) == []


def _axe(page: Any, exclude: list[str] | None = None) -> list[dict[str, Any]]:
    page.add_script_tag(url=f"{page.url.split('/editor')[0]}/static/vendor/{AXE.name}")
    context = {"exclude": [[s] for s in exclude or []], "include": [["html"]]}
    result = page.evaluate("""async (context) =>
        await axe.run(context, {resultTypes: ['violations']})""", context)
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]
