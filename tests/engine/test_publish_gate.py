"""The publish gate (``engine.gate`` through ``engine.drafts``): a draft is published only when
its bundle checks and every one of its scenarios pass in an isolated database, and a second
process owner approved that revision; every publish is an event with author, approver and
change note."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from engine import chain, drafts
from engine.bundles import BundleFile
from engine.context import EngineContext
from engine.deployments import deploy_path, read_folder
from engine.errors import Conflict, InvalidInput, NotAllowed
from engine.models import Deployment, Event, ProcessInstance
from tests.conftest import ROOT
from tests.factories import make_user

ARREARS = "arrears_case/arrears_case.bpmn"
TERM = b"first_contact_due = deadline_after_working_days(received_on, contact_working_days)"
LONGER = b"first_contact_due = deadline_after_working_days(received_on, contact_working_days + 1)"
PAID = "scenarios/01_paid_before_contact.json"
KEPT = (PAID, "scenarios/12_duplicate_signal.json")


@pytest.fixture
def owners(ctx: EngineContext):  # type: ignore[no-untyped-def]
    author = make_user(ctx, "po-anna", "process_owner", "regio")
    second = make_user(ctx, "po-bram", "process_owner", "regio")
    with ctx.sessionmaker.begin() as session:
        deploy_path(ctx, session, author, ROOT / "processes")
    return author, second


def _draft(ctx: EngineContext, author) -> drafts.DraftView:  # type: ignore[no-untyped-def]
    """A draft of the live bundle with two of its scenarios (a quick gate)."""
    files = [f for f in read_folder(ROOT / "processes")
             if not f.name.startswith("scenarios/") or f.name in KEPT]
    with ctx.sessionmaker.begin() as session:
        return drafts.create(ctx, session, author, "Termijn eerste contact", files)


def _save(ctx: EngineContext, who, draft_id: int, name: str, content: bytes,  # type: ignore[no-untyped-def]
          revision: int) -> int:
    with ctx.sessionmaker.begin() as session:
        return drafts.save_file(ctx, session, who, draft_id, name, content, revision)


def _gate(ctx: EngineContext, who, draft_id: int, revision: int):  # type: ignore[no-untyped-def]
    with ctx.sessionmaker.begin() as session:
        return drafts.run_gate(ctx, session, who, draft_id, revision, chain.install)


def test_a_change_that_breaks_a_scenario_is_refused_until_the_scenario_says_so(
        ctx: EngineContext, owners) -> None:  # type: ignore[no-untyped-def]
    author, second = owners
    draft = _draft(ctx, author)
    original = (ROOT / "processes" / ARREARS).read_bytes()
    assert TERM in original
    revision = _save(ctx, author, draft.id, ARREARS, original.replace(TERM, LONGER), 1)
    report = _gate(ctx, author, draft.id, revision)
    assert not report.passed and report.problems == []
    verdicts = {s["name"]: s for s in report.scenarios}
    assert verdicts["12_duplicate_signal"]["passed"]
    failed = verdicts["01_paid_before_contact"]
    assert not failed["passed"]
    assert failed["failure"] == ("stap 3 (expect_due): termijn van record_first_contact_attempt: "
                                 'verwacht "2026-05-01T17:00", gekregen "2026-05-04T17:00"')
    assert "nodes" in report.coverage
    with ctx.sessionmaker.begin() as session, pytest.raises(Conflict, match="poort"):
        drafts.approve(ctx, session, second, draft.id, revision)
    with ctx.sessionmaker.begin() as session, pytest.raises(Conflict, match="poort"):
        drafts.publish(ctx, session, author, draft.id, revision, "Langere termijn")
    # the owner updates the scenario to the new term: the gate passes
    scenario = (ROOT / "processes" / PAID).read_bytes().replace(
        b'"2026-05-01T17:00"', b'"2026-05-04T17:00"')
    revision = _save(ctx, author, draft.id, PAID, scenario, revision)
    assert _gate(ctx, author, draft.id, revision).passed
    # no publish without a second owner; the author may not approve
    with ctx.sessionmaker.begin() as session, pytest.raises(Conflict, match="goedkeuren"):
        drafts.publish(ctx, session, author, draft.id, revision, "Langere termijn")
    with ctx.sessionmaker.begin() as session, pytest.raises(NotAllowed, match="zelf"):
        drafts.approve(ctx, session, author, draft.id, revision)
    with ctx.sessionmaker.begin() as session:
        drafts.approve(ctx, session, second, draft.id, revision)
    with ctx.sessionmaker.begin() as session, pytest.raises(InvalidInput) as refused:
        drafts.publish(ctx, session, author, draft.id, revision, "  ")
    assert "change_note" in refused.value.errors
    with ctx.sessionmaker.begin() as session:
        deployed = drafts.publish(ctx, session, author, draft.id, revision, "Langere termijn")
    with ctx.sessionmaker() as session:
        row = session.scalars(select(Deployment).where(
            Deployment.version == deployed.version)).one()
        assert row.change_note == "Langere termijn"
        event = session.scalars(select(Event).where(Event.kind == "process_published")).one()
        assert event.detail is not None
        assert (event.detail["author"], event.detail["approver"], event.detail["change_note"],
                event.detail["version"]) == ("po-anna", "po-bram", "Langere termijn", 2)
        # the gate ran elsewhere: no case was ever started in the live database
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0


def test_a_save_after_the_gate_or_the_approval_needs_them_again(
        ctx: EngineContext, owners) -> None:  # type: ignore[no-untyped-def]
    author, second = owners
    draft = _draft(ctx, author)
    assert _gate(ctx, author, draft.id, 1).passed
    with ctx.sessionmaker.begin() as session:
        drafts.approve(ctx, session, second, draft.id, 1)
    renamed = (ROOT / "processes" / ARREARS).read_bytes().replace(b'name="', b'name=" ', 1)
    revision = _save(ctx, author, draft.id, ARREARS, renamed, 1)
    with ctx.sessionmaker.begin() as session, pytest.raises(Conflict, match="poort"):
        drafts.publish(ctx, session, author, draft.id, revision, "x")
    # the second owner who changed it may no longer approve it either
    revision = _save(ctx, second, draft.id, ARREARS, renamed + b"\n", revision)
    assert _gate(ctx, second, draft.id, revision).passed
    with ctx.sessionmaker.begin() as session, pytest.raises(NotAllowed):
        drafts.approve(ctx, session, second, draft.id, revision)


def test_a_one_person_team_switches_approval_off(ctx: EngineContext, owners) -> None:  # type: ignore[no-untyped-def]
    author, _second = owners
    ctx.settings = dataclasses.replace(ctx.settings, publish_approval=False)
    draft = _draft(ctx, author)
    revision = _save(ctx, author, draft.id, PAID, (ROOT / "processes" / PAID).read_bytes()
                     .replace(b'"title": "', b'"title": "Scenario 1: '), 1)
    assert _gate(ctx, author, draft.id, revision).passed
    with ctx.sessionmaker.begin() as session:
        deployed = drafts.publish(ctx, session, author, draft.id, revision, "Alleen")
    assert deployed.new
    with ctx.sessionmaker() as session:
        event = session.scalars(select(Event).where(Event.kind == "process_published")).one()
        assert event.detail is not None and event.detail["approver"] is None


def test_the_gate_names_bundle_problems_on_their_element_and_line(
        ctx: EngineContext, owners) -> None:  # type: ignore[no-untyped-def]
    author, _second = owners
    draft = _draft(ctx, author)
    form = (b'<spiffworkflow:property name="formJsonSchemaFilename" '
            b'value="forms/record_first_contact_attempt.json" />')
    outreach = (ROOT / "processes" / "outreach/outreach.bpmn").read_bytes()
    revision = _save(ctx, author, draft.id, "outreach/outreach.bpmn",
                     outreach.replace(form, b"", 1), 1)
    report = _gate(ctx, author, draft.id, revision)
    assert not report.passed and report.scenarios == []
    assert [(p["file"], p["element"]) for p in report.problems] == [
        ("outreach/outreach.bpmn", "record_first_contact_attempt")]
    assert report.problems[0]["line"]


def test_a_scenario_file_is_checked_when_saved_and_deployed(ctx: EngineContext, owners) -> None:  # type: ignore[no-untyped-def]
    author, _second = owners
    draft = _draft(ctx, author)
    with ctx.sessionmaker.begin() as session, pytest.raises(InvalidInput) as refused:
        drafts.save_file(ctx, session, author, draft.id, "scenarios/new.json",
                         b'{"title": "x", "steps": [{"signal": {}, "clock": "2026-04-24"}]}', 1)
    assert "stap 1" in refused.value.errors["file"]
    from engine.bundles import validate_bundle
    from engine.errors import BundleInvalid
    files = [*read_folder(ROOT / "processes"),
             BundleFile("scenarios/bad.json", b'{"title": "x", "steps": [{"wait": 1}]}')]
    with pytest.raises(BundleInvalid) as invalid:
        validate_bundle(files, ctx.settings.max_file_bytes)
    assert [p.file for p in invalid.value.problems] == ["scenarios/bad.json"]
