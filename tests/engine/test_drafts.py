"""Drafts (``engine.drafts``): start from the live version, save with the revision you started
from (a stale one is a conflict, nothing overwritten), download and upload as a zip bundle,
publish through the deploy checks (each problem named), read-only afterwards."""

from __future__ import annotations

import dataclasses
import io
import zipfile

import pytest
from sqlalchemy import func, select

from engine import chain, drafts
from engine.bundles import BundleFile
from engine.context import EngineContext
from engine.deployments import deploy_path, read_folder
from engine.errors import Conflict, InvalidInput, NotAllowed
from engine.models import Deployment, Draft
from tests.conftest import ROOT
from tests.factories import make_user

OUTREACH = "outreach/outreach.bpmn"
FORM = ('<spiffworkflow:property name="formJsonSchemaFilename" '
        'value="forms/record_first_contact_attempt.json" />')


@pytest.fixture
def po(ctx: EngineContext):  # type: ignore[no-untyped-def]
    owner = make_user(ctx, "po", "process_owner", "regio")
    with ctx.sessionmaker.begin() as session:
        deploy_path(ctx, session, owner, ROOT / "processes")
    return owner


def _new(ctx: EngineContext, po, title: str = "Termijn") -> drafts.DraftView:  # type: ignore[no-untyped-def]
    with ctx.sessionmaker.begin() as session:
        return drafts.create(ctx, session, po, title)


def test_a_draft_starts_from_the_live_version(ctx: EngineContext, po) -> None:  # type: ignore[no-untyped-def]
    draft = _new(ctx, po)
    assert draft.base_version == 1 and draft.revision == 1 and draft.is_open
    assert draft.files == sorted(f.name for f in read_folder(ROOT / "processes"))
    with ctx.sessionmaker.begin() as session:
        assert drafts.read_file(session, po, draft.id, OUTREACH) == \
            (ROOT / "processes" / OUTREACH).read_bytes()


def test_save_then_a_stale_save_is_a_conflict(ctx: EngineContext, po) -> None:  # type: ignore[no-untyped-def]
    draft = _new(ctx, po)
    other = make_user(ctx, "po2", "process_owner", "regio")
    original = (ROOT / "processes" / OUTREACH).read_bytes()
    mine = original.replace(b"Outreach: contact leggen", b"Outreach: eerste contact")
    with ctx.sessionmaker.begin() as session:
        assert drafts.save_file(ctx, session, po, draft.id, OUTREACH, mine, 1) == 2
    theirs = original.replace(b"Outreach: contact leggen", b"Outreach: iets anders")
    with ctx.sessionmaker.begin() as session, pytest.raises(Conflict) as stale:
        drafts.save_file(ctx, session, other, draft.id, OUTREACH, theirs, 1)
    assert "intussen gewijzigd door po (revisie 2)" in stale.value.message
    assert "niet opgeslagen" in stale.value.message
    with ctx.sessionmaker.begin() as session:
        assert drafts.read_file(session, po, draft.id, OUTREACH) == mine
        assert drafts.get(session, po, draft.id).revision == 2
        assert drafts.save_file(ctx, session, other, draft.id, OUTREACH, theirs, 2) == 3


def test_a_save_is_refused_with_the_field_named(ctx: EngineContext, po) -> None:  # type: ignore[no-untyped-def]
    draft = _new(ctx, po)
    for name, content in (("../evil.bpmn", b"<x/>"), ("notes.txt", b"hi"),
                          (OUTREACH, b"<not xml"),
                          (OUTREACH, b'<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>')):
        with ctx.sessionmaker.begin() as session, pytest.raises(InvalidInput) as refused:
            drafts.save_file(ctx, session, po, draft.id, name, content, 1)
        assert "file" in refused.value.errors


def test_download_and_upload_round_trip(ctx: EngineContext, po) -> None:  # type: ignore[no-untyped-def]
    draft = _new(ctx, po)
    with ctx.sessionmaker.begin() as session:
        archive = drafts.bundle(session, po, draft.id)
    names = zipfile.ZipFile(io.BytesIO(archive)).namelist()
    assert names == draft.files
    with ctx.sessionmaker.begin() as session:
        files = drafts.read_bundle(ctx, archive)
        copy = drafts.create(ctx, session, po, "Kopie", files)
        assert copy.files == draft.files
        assert drafts.bundle(session, po, copy.id) == archive
    # uploading into an existing draft replaces its files and bumps the revision
    small = io.BytesIO()
    with zipfile.ZipFile(small, "w") as out:
        out.writestr(OUTREACH, (ROOT / "processes" / OUTREACH).read_bytes())
    with ctx.sessionmaker.begin() as session:
        assert drafts.upload(ctx, session, po, copy.id, small.getvalue(), 1) == 2
        assert drafts.get(session, po, copy.id).files == [OUTREACH]
    with ctx.sessionmaker.begin() as session, pytest.raises(Conflict):
        drafts.upload(ctx, session, po, copy.id, small.getvalue(), 1)


def test_a_bad_bundle_is_refused(ctx: EngineContext, po) -> None:  # type: ignore[no-untyped-def]
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as out:
        out.writestr("../../etc/passwd.bpmn", b"<x/>")
    for content in (b"not a zip", evil.getvalue()):
        with pytest.raises(InvalidInput) as refused:
            drafts.read_bundle(ctx, content)
        assert "bundle" in refused.value.errors


def test_publish_names_each_problem_then_deploys(ctx: EngineContext, po) -> None:  # type: ignore[no-untyped-def]
    draft = _new(ctx, po)
    original = (ROOT / "processes" / OUTREACH).read_bytes()
    assert FORM.encode() in original
    broken = original.replace(FORM.encode(), b"", 1)
    with ctx.sessionmaker.begin() as session:
        drafts.save_file(ctx, session, po, draft.id, OUTREACH, broken, 1)
    with ctx.sessionmaker.begin() as session:
        report = drafts.run_gate(ctx, session, po, draft.id, 2, chain.install)
    assert [(p["file"], p["element"]) for p in report.problems] == [
        (OUTREACH, "record_first_contact_attempt")]
    with ctx.sessionmaker.begin() as session, pytest.raises(Conflict, match="poort"):
        drafts.publish(ctx, session, po, draft.id, 2, "x")
    with ctx.sessionmaker.begin() as session:
        assert session.scalar(select(func.count()).select_from(Deployment)) == 1
        assert drafts.get(session, po, draft.id).is_open
        fixed = original.replace(b"Outreach: contact leggen", b"Outreach: eerste contact")
        drafts.save_file(ctx, session, po, draft.id, OUTREACH, fixed, 2)
    with ctx.sessionmaker.begin() as session:  # the gate itself: tests/engine/test_publish_gate
        draft_row = session.get(Draft, draft.id)
        assert draft_row is not None
        draft_row.gate_revision, draft_row.gate_passed = 3, True
    ctx.settings = dataclasses.replace(ctx.settings, publish_approval=False)
    with ctx.sessionmaker.begin() as session:
        deployed = drafts.publish(ctx, session, po, draft.id, 3, "Naam")
    assert deployed.version == 2 and deployed.new
    with ctx.sessionmaker.begin() as session:
        view = drafts.get(session, po, draft.id)
        assert (view.state, view.published_version) == ("published", 2)
    with ctx.sessionmaker.begin() as session, pytest.raises(Conflict):
        drafts.save_file(ctx, session, po, draft.id, OUTREACH, original, view.revision)


def test_only_process_owners_touch_drafts(ctx: EngineContext, po) -> None:  # type: ignore[no-untyped-def]
    draft = _new(ctx, po)
    manager = make_user(ctx, "mgr", "manager", "regio")
    with ctx.sessionmaker.begin() as session:
        for call in (lambda: drafts.create(ctx, session, manager, "x"),
                     lambda: drafts.list_drafts(session, manager),
                     lambda: drafts.save_file(ctx, session, manager, draft.id, OUTREACH,
                                              b"<x/>", 1),
                     lambda: drafts.publish(ctx, session, manager, draft.id, 1),
                     lambda: drafts.bundle(session, manager, draft.id)):
            with pytest.raises(NotAllowed):
                call()


def test_a_form_the_inbox_cannot_draw_is_refused(ctx: EngineContext, po) -> None:  # type: ignore[no-untyped-def]
    draft = _new(ctx, po)
    name = "outreach/forms/record_contact_attempt.json"
    broken = b'{"type": "object", "properties": {"day": {"type": "datum"}}}'
    with ctx.sessionmaker.begin() as session, pytest.raises(InvalidInput) as refused:
        drafts.save_file(ctx, session, po, draft.id, name, broken, 1)
    assert name in refused.value.errors["file"]
    assert "properties/day/type" in refused.value.errors["file"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr(OUTREACH, (ROOT / "processes" / OUTREACH).read_bytes())
        out.writestr(name, broken)
    with pytest.raises(InvalidInput) as upload:
        drafts.read_bundle(ctx, archive.getvalue())
    assert "properties/day/type" in upload.value.errors["bundle"]
    with ctx.sessionmaker.begin() as session:  # nothing was saved
        assert drafts.get(session, po, draft.id).revision == 1
def test_files_added_on_their_own_are_all_or_nothing(ctx: EngineContext, po) -> None:  # type: ignore[no-untyped-def]
    draft = _new(ctx, po)
    good = BundleFile("extra/notes.json", b"{}")
    bad = BundleFile("extra/evil.bpmn", b"<?xml version='1.0'?><oops>")
    with ctx.sessionmaker.begin() as session, pytest.raises(InvalidInput) as refused:
        drafts.add_files(ctx, session, po, draft.id, [good, bad], 1)
    assert refused.value.errors["file"].startswith("extra/evil.bpmn:1")
    with ctx.sessionmaker.begin() as session:
        assert drafts.get(session, po, draft.id).revision == 1
        assert drafts.add_files(ctx, session, po, draft.id, [good], 1) == 2
        assert drafts.read_file(session, po, draft.id, "extra/notes.json") == b"{}"
    with ctx.sessionmaker.begin() as session, pytest.raises(Conflict):
        drafts.add_files(ctx, session, po, draft.id, [good], 1)
    caseworker = make_user(ctx, "sw", "social_team", "dordrecht")
    with ctx.sessionmaker.begin() as session, pytest.raises(NotAllowed):
        drafts.add_files(ctx, session, caseworker, draft.id, [good], 2)
