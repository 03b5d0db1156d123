"""The malicious-diagram corpus (``tests/malicious_corpus.py``) through the process owner's
pages in Chromium: each file uploaded into a draft as a single diagram (with the form it needs
beside it) is refused, naming the element, never with a 500.

A file that is not safe XML at all (malformed, a DOCTYPE, too big) is refused by the upload
itself, naming the file and the line (there is no element to name: it is never read as BPMN);
every other one is stored in the draft, as any diagram is, and the publish gate refuses it,
naming the file and the element. The API's side is ``tests/api/test_malicious_corpus.py``.
"""

from __future__ import annotations

import re
from typing import Any

from engine import drafts
from engine.context import EngineContext
from engine.deployments import deploy_path
from tests.browser.conftest import screenshot
from tests.browser.test_chain import sign_in
from tests.conftest import ROOT
from tests.factories import make_user
from tests.malicious_corpus import corpus


def _upload(page: Any, draft_id: int, files: list[tuple[str, bytes]]) -> Any:
    page.set_input_files("#upload-files", [
        {"name": name, "buffer": content,
         "mimeType": "application/json" if name.endswith(".json") else "application/xml"}
        for name, content in files])
    with page.expect_response(
            lambda r: r.url.endswith(f"/editor/drafts/{draft_id}/files")
            and r.request.method == "POST") as answer:
        page.click("button:has-text('Bestand toevoegen')")
    page.wait_for_load_state("load")
    return answer.value


def test_every_corpus_diagram_is_refused_in_the_browser_naming_the_element(
        ctx: EngineContext, live_server: str, new_page: Any) -> None:
    owner = make_user(ctx, "po", "process_owner", "regio")
    with ctx.sessionmaker.begin() as session:
        deploy_path(ctx, session, owner, ROOT / "processes")
    page = new_page()
    served: list[tuple[int, str]] = []
    page.on("response", lambda r: served.append((r.status, r.url)))
    sign_in(page, live_server, "po")
    seen = {"upload": 0, "gate": 0}
    for diagram in corpus(ctx.settings.max_file_bytes):
        with ctx.sessionmaker.begin() as session:  # each in a draft of its own
            draft = drafts.create(ctx, session, owner, f"Aanval {diagram.name}")
        page.goto(f"{live_server}/editor/drafts/{draft.id}")
        answer = _upload(page, draft.id, [(diagram.file, diagram.content),
                                          *diagram.companions])
        if diagram.element is None:
            assert answer.status == 422, (diagram.name, answer.status)
            refusal = page.inner_text("main p.flash-error[role=alert]")
            if diagram.name == "oversized":
                assert f"'{diagram.file}' is groter dan de grens" in refusal, refusal
            else:  # file and line, as the XML parser found it
                assert re.search(rf"{re.escape(diagram.file)}:\d+: ", refusal), \
                    (diagram.name, refusal)
            assert diagram.file not in page.inner_text("ul.draft-files")  # not stored
            if diagram.name == "xml_external_entity":
                screenshot(page, "draft-malicious-upload-refused.png")
            assert "Traceback" not in page.content()
            seen["upload"] += 1
            continue
        assert answer.status == 303, (diagram.name, answer.status)
        assert diagram.file in page.inner_text("ul.draft-files")
        page.goto(f"{live_server}/editor/drafts/{draft.id}/gate")
        page.click("button:has-text('Controle starten')")
        page.wait_for_selector("ul.problems", timeout=120_000)
        status = page.inner_text("main p[role=status]")
        assert "Niet geslaagd" in status, (diagram.name, status)
        problems = page.inner_text("ul.problems")
        assert f"[{diagram.element}]" in problems and diagram.file in problems, \
            (diagram.name, problems)
        assert "Traceback" not in page.content()
        if diagram.name == "script_subclasses":
            screenshot(page, "gate-malicious-diagram-refused.png")
        seen["gate"] += 1
    assert seen == {"upload": 4, "gate": len(corpus(1)) - 4}
    assert [(status, url) for status, url in served if status >= 500] == []
    with ctx.sessionmaker() as session:  # nothing went live
        assert [d.published_version for d in drafts.list_drafts(session, owner)
                if d.published_version] == []
