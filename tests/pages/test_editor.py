"""The editor's routes over HTTP: saving as you go with the revision (a stale one is 409 with a
Dutch message, nothing overwritten), download and upload of the bundle, publishing refused
with each problem named (never a 500), and refusal: every role but process_owner gets 403 on
every route, a machine token changes nothing."""

from __future__ import annotations

import dataclasses
import html
import io
import zipfile

import pytest
from flask import Flask

from engine import drafts
from engine.context import EngineContext
from engine.deployments import deploy_path
from engine.models import Draft
from tests.access.world import USERS
from tests.conftest import ROOT
from tests.factories import make_user
from tests.webclient import bearer, login

OUTREACH = "outreach/outreach.bpmn"
DMN = TRIAGE = "arrears_case/triage_signal.dmn"
FORM = "outreach/forms/record_contact_attempt.json"
SCENARIO = "scenarios/05_budget_advice.json"


@pytest.fixture
def draft_id(ctx: EngineContext) -> int:
    owner = make_user(ctx, "po", "process_owner", "regio")
    with ctx.sessionmaker.begin() as session:
        deploy_path(ctx, session, owner, ROOT / "processes")
        return drafts.create(ctx, session, owner, "Termijn").id


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_save_conflict_download_upload_publish(ctx: EngineContext, app: Flask,
                                                draft_id: int) -> None:
    owner, other = login(app, "po"), None
    make_user(ctx, "po2", "process_owner", "regio")
    other = login(app, "po2")
    url = f"/editor/drafts/{draft_id}/files/{OUTREACH}"
    original = owner.get(url).data
    assert original == (ROOT / "processes" / OUTREACH).read_bytes()
    page = owner.get(f"/editor/drafts/{draft_id}/edit/{OUTREACH}").get_data(as_text=True)
    assert 'data-revision="1"' in page and "vendor/editor/main.js" in page
    mine = original.replace(b"Outreach: contact leggen", b"Outreach: eerste contact")
    saved = owner.put(url, data=mine, headers={"If-Match": "1"})
    assert saved.status_code == 200 and saved.json == {"revision": 2}
    stale = other.put(url, data=original, headers={"If-Match": "1"})
    assert stale.status_code == 409
    assert "intussen gewijzigd door po" in stale.json["error"]
    assert owner.get(url).data == mine
    assert other.put(url, data=b"<not xml", headers={"If-Match": "2"}).status_code == 422
    assert other.put(url, data=mine, headers={}).status_code == 422  # no revision named

    bundle = owner.get(f"/editor/drafts/{draft_id}/bundle.zip")
    assert bundle.status_code == 200 and bundle.mimetype == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(bundle.data)).read(OUTREACH) == mine
    created = owner.post("/editor/drafts", data={
        "title": "Uit zip", "bundle": (io.BytesIO(bundle.data), "concept.zip")},
        content_type="multipart/form-data")
    assert created.status_code == 303
    copy = created.headers["Location"].rsplit("/", 1)[-1]
    assert owner.get(f"/editor/drafts/{copy}/files/{OUTREACH}").data == mine

    archive = zipfile.ZipFile(io.BytesIO(bundle.data))
    every = {name: archive.read(name) for name in archive.namelist()}
    broken = mine.replace(b'name="formJsonSchemaFilename"', b'name="somethingElse"', 1)
    upload = owner.post(f"/editor/drafts/{draft_id}/bundle", data={
        "revision": "2", "bundle": (io.BytesIO(_zip({**every, OUTREACH: broken})), "b.zip")},
        content_type="multipart/form-data")
    assert upload.status_code == 303
    stale_upload = owner.post(f"/editor/drafts/{draft_id}/bundle", data={
        "revision": "2", "bundle": (io.BytesIO(_zip({OUTREACH: mine})), "b.zip")},
        content_type="multipart/form-data")
    assert stale_upload.status_code == 409
    assert "intussen gewijzigd" in stale_upload.get_data(as_text=True)
    refused = owner.post(f"/editor/drafts/{draft_id}/publish",
                         data={"revision": "3", "change_note": "x"})
    assert refused.status_code == 409 and "poort" in refused.get_data(as_text=True)
    assert owner.post(f"/editor/drafts/{draft_id}/gate", data={"revision": "3"}
                      ).status_code == 303
    text = owner.get(f"/editor/drafts/{draft_id}/gate").get_data(as_text=True)
    assert "record_first_contact_attempt" in text and OUTREACH in text
    assert "formJsonSchemaFilename" in text and "Niet geslaagd" in text
    assert owner.put(url, data=mine, headers={"If-Match": "3"}).status_code == 200
    with ctx.sessionmaker.begin() as session:  # the gate's runs: tests/engine/test_publish_gate
        row = session.get(Draft, draft_id)
        assert row is not None
        row.gate_revision, row.gate_passed = 4, True
    ctx.settings = dataclasses.replace(ctx.settings, publish_approval=False)
    published = owner.post(f"/editor/drafts/{draft_id}/publish",
                           data={"revision": "4", "change_note": "Naam"})
    assert published.status_code == 303
    assert "Gepubliceerd als versie 2." in owner.get(f"/editor/drafts/{draft_id}").get_data(
        as_text=True)
    assert owner.put(url, data=mine, headers={"If-Match": "5"}).status_code == 409


def test_one_file_uploaded_into_a_draft(ctx: EngineContext, app: Flask,
                                        draft_id: int) -> None:
    """A diagram on its own: added or replacing its namesake in the folder given, in one
    revision; a file that is no safe diagram is refused naming the file, nothing stored."""
    owner = login(app, "po")
    base = f"/editor/drafts/{draft_id}"
    original = owner.get(f"{base}/files/{OUTREACH}").data
    changed = original.replace(b"Outreach: contact leggen", b"Outreach: eerste contact")
    added = owner.post(f"{base}/files", data={
        "revision": "1", "folder": "outreach",
        "files": [(io.BytesIO(changed), "outreach.bpmn"), (io.BytesIO(b"{}"), "extra.json")]},
        content_type="multipart/form-data")
    assert added.status_code == 303
    assert owner.get(f"{base}/files/{OUTREACH}").data == changed
    assert owner.get(f"{base}/files/outreach/extra.json").data == b"{}"
    page = owner.get(base).get_data(as_text=True)
    assert "2 bestand(en) toegevoegd aan het concept: outreach/outreach.bpmn, " \
           "outreach/extra.json." in page
    with ctx.sessionmaker() as session:
        row = session.get(Draft, draft_id)
        assert row is not None and row.revision == 2
    doctype = b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x "x">]>\n<definitions/>'
    refused = owner.post(f"{base}/files", data={
        "revision": "2", "files": (io.BytesIO(doctype), "evil.bpmn")},
        content_type="multipart/form-data")
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "evil.bpmn:1: DOCTYPE/DTD is not allowed" in text and "Traceback" not in text
    assert owner.get(f"{base}/files/evil.bpmn").status_code == 404
    # a small limit keeps the test's own upload in memory (a big one spools to a file)
    limit = ctx.settings.max_file_bytes
    ctx.settings = dataclasses.replace(ctx.settings, max_file_bytes=4000)
    big = owner.post(f"{base}/files", data={
        "revision": "2", "files": (io.BytesIO(b"x" * (ctx.settings.max_file_bytes + 5)),
                                   "big.bpmn")}, content_type="multipart/form-data")
    assert big.status_code == 422
    assert f"'big.bpmn' is groter dan de grens van {ctx.settings.max_file_bytes} bytes" in \
        html.unescape(big.get_data(as_text=True))
    ctx.settings = dataclasses.replace(ctx.settings, max_file_bytes=limit)
    none = owner.post(f"{base}/files", data={"revision": "2"},
                      content_type="multipart/form-data")
    assert none.status_code == 422 and "kies een of meer" in none.get_data(as_text=True)
    stale = owner.post(f"{base}/files", data={
        "revision": "1", "files": (io.BytesIO(original), "outreach.bpmn"),
        "folder": "outreach"}, content_type="multipart/form-data")
    assert stale.status_code == 409 and "intussen gewijzigd" in stale.get_data(as_text=True)
    assert owner.get(f"{base}/files/{OUTREACH}").data == changed


def _routes(draft_id: int) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    url = f"/editor/drafts/{draft_id}"
    upload = {"data": {"revision": "1", "bundle": (io.BytesIO(_zip({"a.bpmn": b"<x/>"})),
                                                   "a.zip")},
              "content_type": "multipart/form-data"}
    return [("get", "/editor", {}), ("post", "/editor/drafts", {"data": {"title": "x"}}),
            ("get", url, {}), ("get", f"{url}/edit/{OUTREACH}", {}),
            ("get", f"{url}/files/{OUTREACH}", {}),
            ("put", f"{url}/files/{OUTREACH}", {"data": b"<x/>", "headers": {"If-Match": "1"}}),
            ("get", f"{url}/bundle.zip", {}), ("post", f"{url}/bundle", upload),
            ("post", f"{url}/files", {"data": {"revision": "1", "files": (
                io.BytesIO(b"<x/>"), "a.bpmn")}, "content_type": "multipart/form-data"}),
            ("post", f"{url}/publish", {"data": {"revision": "1", "change_note": "x"}}),
            ("get", f"{url}/gate", {}), ("post", f"{url}/gate", {"data": {"revision": "1"}}),
            ("post", f"{url}/approve", {"data": {"revision": "1"}}),
            ("post", f"{url}/scenario", {"data": {"revision": "1", "name": "x",
                                                  "content": "{}"}}),
            ("get", f"{url}/edit/{DMN}", {}), ("get", f"{url}/edit/{FORM}", {}),
            ("put", f"{url}/files/{DMN}", {"data": b"<x/>", "headers": {"If-Match": "1"}}),
            ("put", f"{url}/files/{FORM}", {"data": b"{}", "headers": {"If-Match": "1"}}),
            ("post", f"{url}/preview/{FORM}", {"data": b"{}"}),
            ("get", f"{url}/text/{SCENARIO}", {}),
            ("post", f"{url}/text/{SCENARIO}", {"data": {"revision": "1", "content": "{}"}})]


def test_only_process_owners_reach_the_editor(ctx: EngineContext, app: Flask,
                                             draft_id: int) -> None:
    for username, (role, org) in USERS.items():
        if role == "process_owner":
            continue
        make_user(ctx, username, role, org)
        client = login(app, username)
        for method, path, kwargs in _routes(draft_id):
            answer = getattr(client, method)(path, **kwargs)
            assert answer.status_code == 403, (username, method, path, answer.status_code)
    token = bearer(ctx, org="woonbron")
    anonymous = app.test_client()
    for method, path, kwargs in _routes(draft_id):
        headers = {**kwargs.pop("headers", {}), **token}
        answer = getattr(anonymous, method)(path, headers=headers, **kwargs)
        assert answer.status_code in (302, 303, 401, 403), (method, path, answer.status_code)
        assert answer.status_code != 200
    with ctx.sessionmaker.begin() as session:
        owner = make_user(ctx, "po-check", "process_owner", "regio")
        view = drafts.get(session, owner, draft_id)
        assert (view.revision, view.state) == (1, "open")
        assert [d.id for d in drafts.list_drafts(session, owner)] == [draft_id]
        assert drafts.read_file(session, owner, draft_id, OUTREACH) == \
            (ROOT / "processes" / OUTREACH).read_bytes()


def test_a_scenario_or_decision_table_is_edited_as_text(ctx: EngineContext, app: Flask,
                                                       draft_id: int) -> None:
    """The text page shows the draft's file; a save is checked like any other (the error
    names the file and the step at fault, the typed text is kept), and a stale revision is a
    409 that overwrites nothing."""
    owner = login(app, "po")
    page = owner.get(f"/editor/drafts/{draft_id}/text/{SCENARIO}")
    assert page.status_code == 200
    original = (ROOT / "processes" / SCENARIO).read_text()
    assert original.replace('"', "&#34;")[:60] in page.get_data(as_text=True)
    broken = original.replace('{"expect_due":', '{"expect_du":', 1)
    refused = owner.post(f"/editor/drafts/{draft_id}/text/{SCENARIO}",
                         data={"revision": "1", "content": broken})
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert (f"&#39;{SCENARIO}&#39;: stap 2: precies één actie per stap (gevonden: geen; "
            "onbekend: expect_du)") in text
    assert 'aria-invalid="true"' in text and "expect_du" in text
    changed = original.replace("2026-04-29T17:00", "2026-04-28T17:00")
    saved = owner.post(f"/editor/drafts/{draft_id}/text/{SCENARIO}",
                       data={"revision": "1", "content": changed})
    assert saved.status_code == 303
    assert owner.get(f"/editor/drafts/{draft_id}/files/{SCENARIO}").data == changed.encode()
    stale = owner.post(f"/editor/drafts/{draft_id}/text/{SCENARIO}",
                       data={"revision": "1", "content": original})
    assert stale.status_code == 409 and "intussen gewijzigd" in stale.get_data(as_text=True)
    dmn = owner.post(f"/editor/drafts/{draft_id}/text/{TRIAGE}",
                     data={"revision": "2", "content": "<definitions"})
    assert dmn.status_code == 422 and TRIAGE in dmn.get_data(as_text=True)
    assert owner.get(f"/editor/drafts/{draft_id}/text/{OUTREACH}").status_code == 404
    assert owner.get(f"/editor/drafts/{draft_id}/text/scenarios/nope.json").status_code == 404
    assert owner.get(f"/editor/drafts/{draft_id}/files/{SCENARIO}").data == changed.encode()
