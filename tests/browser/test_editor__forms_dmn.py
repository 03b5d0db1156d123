"""The decision-table and form editors in Chromium, as a process owner: a cell of the arrears
triage table is changed by typing in it and saved into the draft as you go (and the saved
file still deploys); a form's schema typed in the editor is drawn in the preview by the
inbox's renderer, a broken schema names its path and is not saved, a fixed one is. No CSP
violation on either page; axe finds nothing (the DMN editor's table is part of the check; only
the BPMN canvas is an SVG drawing surface axe cannot judge, and there is none here)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine import drafts
from engine.bundles import BundleFile, validate_bundle
from engine.context import EngineContext
from engine.deployments import deploy_path
from tests.browser.conftest import screenshot
from tests.browser.test_chain import sign_in
from tests.browser.test_csp import WATCH
from tests.browser.test_editor import _axe, make_owner_actor
from tests.conftest import ROOT
from tests.factories import make_user

DMN = "arrears_case/triage_signal.dmn"
FORM = "outreach/forms/record_contact_attempt.json"
CELL = '[data-element-id="rule_threat_contact_working_days"]'


@pytest.fixture
def draft(ctx: EngineContext) -> drafts.DraftView:
    owner = make_user(ctx, "po", "process_owner", "regio")
    with ctx.sessionmaker.begin() as session:
        deploy_path(ctx, session, owner, ROOT / "processes")
        return drafts.create(ctx, session, owner, "Beslistabel en formulier")


def _watched(new_page: Any, live_server: str) -> Any:
    page = new_page()
    page.add_init_script(WATCH.removeprefix("() => {").removesuffix("}"))
    sign_in(page, live_server, "po")
    return page


def _saved(ctx: EngineContext, draft_id: int, name: str) -> bytes:
    with ctx.sessionmaker.begin() as session:
        return drafts.read_file(session, make_owner_actor(ctx), draft_id, name)


def type_into_dmn_cell(page: Any, cell: str, value: str) -> str:
    """Replace a decision-table cell's text as a user types it, leave the cell (which saves
    the table) and wait for the save; returns the text the cell had."""
    editable = page.locator(f"{cell} .content-editable")
    before = str(editable.inner_text()).strip()
    editable.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    page.locator(".dmn-decision-table-container .decision-table-name").click()
    page.wait_for_selector("#editor-status[data-kind=saved]", timeout=10000)
    return before


def test_a_decision_table_cell_is_edited_and_saved(ctx, live_server, new_page, draft):
    page = _watched(new_page, live_server)
    page.goto(f"{live_server}/editor/drafts/{draft.id}/edit/{DMN}")
    page.wait_for_selector("#dmn-editor[data-ready=true]", timeout=20000)
    assert page.get_attribute("#editor-status", "data-kind") == "ready", \
        page.inner_text("#editor-status")
    assert page.inner_text("#dmn-tabs") == "Triage van het signaal"
    assert "Hitbeleid" in page.inner_text(".hit-policy")  # dmn-js's own texts in Dutch
    assert type_into_dmn_cell(page, CELL, "2") == "3"
    assert page.evaluate("window.__csp") == []
    saved = _saved(ctx, draft.id, DMN)
    assert b'<outputEntry id="rule_threat_contact_working_days">' in saved
    assert b"<text>2</text>" in saved.split(b'"rule_threat_contact_working_days"')[1][:60]
    assert page.get_attribute("#dmn-editor", "data-revision") == "2"
    # the saved table is still one the engine deploys, with every other file of the draft
    with ctx.sessionmaker.begin() as session:
        files = [BundleFile(n, drafts.read_file(session, make_owner_actor(ctx), draft.id, n))
                 for n in drafts.get(session, make_owner_actor(ctx), draft.id).files]
    assert validate_bundle(files, 10_000_000).processes
    page.locator(CELL).scroll_into_view_if_needed()
    path = screenshot(page, "editor-dmn-triage.png")
    assert path.exists()
    assert _axe(page) == []
    # the licence's watermark keeps its inline styles (allowed by hash, nothing else)
    page.click(".bjs-powered-by")
    page.wait_for_selector(".bjs-powered-by-lightbox")
    assert page.evaluate("window.__csp") == []
    page.goto(f"{live_server}/editor/drafts/{draft.id}/edit/{DMN}?lang=en")
    page.wait_for_selector("#dmn-editor[data-ready=true]", timeout=20000)
    assert "Hit policy" in page.inner_text(".hit-policy")
    assert page.inner_text("#editor-status") == "Ready to edit."


def test_a_form_schema_is_previewed_and_saved(ctx, live_server, new_page, draft):
    page = _watched(new_page, live_server)
    page.goto(f"{live_server}/editor/drafts/{draft.id}/edit/{FORM}")
    page.wait_for_selector("#form-editor[data-ready=true]")
    schema = json.loads((ROOT / "processes" / FORM).read_bytes())
    first = next(iter(schema["properties"]))
    assert page.is_visible(f"#form-preview #field-{first}")
    facts = page.inner_text("#form-preview dl.facts")
    assert all(fact["title"] in facts for fact in schema["x-show"])
    assert _axe(page) == []

    # a broken schema: the preview names the path, nothing is saved
    broken = dict(schema, properties={**schema["properties"],
                                      "visit_day": {"type": "datum", "title": "Bezoekdag"}})
    page.fill("#form-source-text", json.dumps(broken, ensure_ascii=False, indent=2))
    page.wait_for_selector("#editor-status[data-kind=invalid]")
    problems = page.inner_text("#form-preview .problems")
    assert "properties/visit_day/type" in problems
    screenshot(page, "editor-form-problem.png")
    assert _saved(ctx, draft.id, FORM) == (ROOT / "processes" / FORM).read_bytes()

    # fixed: the preview draws the new field as the inbox would, and the form is saved
    fixed = dict(schema, properties={**schema["properties"], "visit_day": {
        "type": "string", "format": "date", "title": "Bezoekdag"}})
    fixed["required"] = [*schema.get("required", []), "visit_day"]
    page.fill("#form-source-text", json.dumps(fixed, ensure_ascii=False, indent=2))
    page.wait_for_selector("#form-preview #field-visit_day input[type=date]")
    page.wait_for_selector("#editor-status[data-kind=saved]")
    assert "Bezoekdag (verplicht)" in page.inner_text("#field-visit_day")
    assert json.loads(_saved(ctx, draft.id, FORM)) == fixed
    assert page.evaluate("window.__csp") == []
    path = screenshot(page, "editor-form-preview.png")
    assert path.exists()
    assert _axe(page) == []

    # a second owner saves in between: the next save is refused with who did it, not lost
    second = make_user(ctx, "po2", "process_owner", "regio")
    with ctx.sessionmaker.begin() as session:
        theirs = json.dumps(dict(fixed, title="Van de ander")).encode()
        current = drafts.get(session, second, draft.id).revision
        assert current == 2  # the broken schema was never saved, the fixed one once
        drafts.save_file(ctx, session, second, draft.id, FORM, theirs, current)
    puts: list[str] = []
    page.on("request", lambda r: puts.append(r.url) if r.method == "PUT" else None)
    page.fill("#form-source-text", json.dumps(dict(fixed, title="Van mij"), indent=2))
    page.wait_for_selector("#editor-status[data-kind=error]")
    assert "intussen gewijzigd door po2" in page.inner_text("#editor-status")
    assert _saved(ctx, draft.id, FORM) == theirs
    assert len(puts) == 1
    # after the refusal nothing more is sent: the next edit is previewed, the status says
    # the refusal again, and the other owner's save stays
    previewed = page.get_attribute("#form-editor", "data-previewed")
    page.fill("#form-source-text", json.dumps(dict(fixed, title="Toch van mij"), indent=2))
    page.wait_for_function(f"""() => document.getElementById('form-editor')
        .dataset.previewed !== '{previewed}'""")
    page.wait_for_selector("#editor-status[data-kind=error]")
    assert "intussen gewijzigd door po2" in page.inner_text("#editor-status")
    assert len(puts) == 1 and _saved(ctx, draft.id, FORM) == theirs


def test_a_save_the_network_lost_says_so_and_the_next_edit_saves(ctx, live_server, new_page,
                                                                   draft):
    """The first PUT is cut off (as a dropped connection would): the status says the save
    failed, and the next edit is saved, with the revision the page still had."""
    page = _watched(new_page, live_server)
    cut: list[str] = []

    def cut_first_put(route: Any) -> None:
        if route.request.method == "PUT" and not cut:
            cut.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/editor/drafts/*/files/**", cut_first_put)
    page.goto(f"{live_server}/editor/drafts/{draft.id}/edit/{DMN}")
    page.wait_for_selector("#dmn-editor[data-ready=true]", timeout=20000)
    editable = page.locator(f"{CELL} .content-editable")
    editable.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    page.locator(".dmn-decision-table-container .decision-table-name").click()
    page.wait_for_selector("#editor-status[data-kind=error]", timeout=10000)
    assert cut and page.inner_text("#editor-status").startswith("Opslaan mislukt")
    assert b"<text>3</text>" in _saved(ctx, draft.id, DMN).split(
        b'"rule_threat_contact_working_days"')[1][:60]  # nothing reached the server
    assert type_into_dmn_cell(page, CELL, "4") == "2"
    assert b"<text>4</text>" in _saved(ctx, draft.id, DMN).split(
        b'"rule_threat_contact_working_days"')[1][:60]
    assert page.get_attribute("#dmn-editor", "data-revision") == "2"


def test_both_editors_fit_a_phone(ctx, live_server, browser, draft):
    """At 390 px the page never scrolls sideways: the decision table scrolls inside its
    frame (it keeps its columns, not the stacked rows of the page's other tables), the form's
    preview goes under its schema."""
    context = browser.new_context(locale="nl-NL", viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        sign_in(page, live_server, "po")
        page.goto(f"{live_server}/editor/drafts/{draft.id}/edit/{DMN}")
        page.wait_for_selector("#dmn-editor[data-ready=true]", timeout=20000)
        sideways = ("() => document.documentElement.scrollWidth"
                    " - document.documentElement.clientWidth")
        assert page.evaluate(sideways) <= 0
        assert page.evaluate(f"""() => getComputedStyle(
            document.querySelector('{CELL}')).display""") == "table-cell"
        assert page.evaluate("""() => [document.getElementById('dmn-editor'),
            ...document.querySelectorAll('#dmn-editor *')].some(e =>
            ['auto', 'scroll'].includes(getComputedStyle(e).overflowX)
            && e.scrollWidth > e.clientWidth)""")  # the table scrolls within its frame
        screenshot(page, "editor-dmn-phone.png")
        page.goto(f"{live_server}/editor/drafts/{draft.id}/edit/{FORM}")
        page.wait_for_selector("#form-editor[data-ready=true]")
        assert page.evaluate(sideways) <= 0
        source = page.locator("#form-source-text").bounding_box()
        preview = page.locator("#form-preview").bounding_box()
        assert preview["y"] > source["y"] + source["height"]
    finally:
        context.close()
