"""The process owners' workspace in the engine: the catalogue, the diff of two versions and the
migration of running instances (dry run, reasons, job, timers keeping their due time).

The versions are real deployments: the test bundle ``review`` and changed copies of it (a
timer expression changed and a script task added; a user task's element replaced)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import deployments, instances, process_catalogue, process_diff, process_migration
from engine.access import SYSTEM, Actor
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.errors import NotAllowed
from engine.models import Event, HumanTask, ProcessInstance
from engine.worker import fire_due_timers
from tests.casework import complete_claimed
from tests.factories import BPMN, deploy, make_user

NOTE_TASK = ('<bpmn:sequenceFlow id="f_assess" sourceRef="assess" targetRef="note" />'
             '<bpmn:scriptTask id="note" name="Noteren"><bpmn:incoming>f_assess</bpmn:incoming>'
             '<bpmn:outgoing>f_note</bpmn:outgoing><bpmn:script>noted = True</bpmn:script>'
             '</bpmn:scriptTask>'
             '<bpmn:sequenceFlow id="f_note" sourceRef="note" targetRef="route" />')


def changed_copy(tmp_path: Path, name: str, *edits: tuple[str, str],
                 form_edit: tuple[str, str, str] | None = None) -> Path:
    """A copy of tests/bpmn/review with text replaced in its BPMN (and optionally a form)."""
    target = tmp_path / name
    shutil.copytree(BPMN / "review", target)
    bpmn = target / "review.bpmn"
    text = bpmn.read_text()
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    bpmn.write_text(text)
    if form_edit is not None:
        form = target / "forms" / form_edit[0]
        form.write_text(form.read_text().replace(form_edit[1], form_edit[2]))
    return target


def v2_edits() -> tuple[tuple[str, str], ...]:
    return (('"P5D"', '"P10D"'),
            ('<bpmn:sequenceFlow id="f_assess" sourceRef="assess" targetRef="route" />',
             NOTE_TASK))


def _start(ctx: EngineContext) -> int:
    with ctx.sessionmaker.begin() as session:
        return instances.start_instance(ctx, session, SYSTEM, "review",
                                        {"municipality": "dordrecht"}).id


def _complete(ctx: EngineContext, actor: Actor, instance_id: int, bpmn_id: str,
              data: dict[str, object]) -> None:
    with ctx.sessionmaker.begin() as session:
        task_id = session.scalars(select(HumanTask.id).where(
            HumanTask.instance_id == instance_id, HumanTask.bpmn_id == bpmn_id,
            HumanTask.state == "open")).one()
        complete_claimed(ctx, session, actor, task_id, data)


@pytest.fixture
def owner(ctx: EngineContext) -> Actor:
    return make_user(ctx, "po", "process_owner", "regio")


# --- catalogue --------------------------------------------------------------------------------

def test_catalogue_lists_versions_hashes_and_running_cases_per_version(ctx, tmp_path):
    deploy(ctx, "review")
    first = _start(ctx)
    with ctx.sessionmaker.begin() as session:
        deployments.deploy_path(ctx, session, SYSTEM, changed_copy(tmp_path, "v2", *v2_edits()),
                                change_note="Termijn naar 10 dagen")
    _start(ctx)
    _start(ctx)
    with ctx.sessionmaker() as session:
        listed = {p.process_id: p for p in process_catalogue.list_processes(session)}
        page = process_catalogue.process_page(session, "review")
        old = process_catalogue.process_page(session, "review", 1)
    assert listed["review"].live_version == 2
    assert listed["review"].versions == 2 and listed["review"].running == 3
    assert [(v.version, v.running, v.changed) for v in page.versions] == \
        [(2, 2, True), (1, 1, False)]
    assert page.versions[0].change_note == "Termijn naar 10 dagen"
    assert page.versions[0].content_hash != page.versions[1].content_hash
    assert len(page.versions[0].content_hash) == 64
    assert page.version.version == 2 and old.version.version == 1
    assess = next(f for f in page.forms if f.file_name == "forms/assess.json")
    assert assess.task_ids == ["assess"]
    assert [(f.name, f.required, f.choices) for f in assess.fields] == [
        ("decision", True, ["proceed", "reject", "unsure"]), ("amount", True, [])]
    assert first  # case numbers and counts only: the views carry no instance data at all


def test_an_unchanged_process_keeps_its_hash_across_deployments(ctx, tmp_path):
    deploy(ctx, "review")
    copy = changed_copy(tmp_path, "same")
    (copy / "forms" / "extra.json").write_text('{"type": "object"}')  # bundle differs
    with ctx.sessionmaker.begin() as session:
        deployments.deploy_path(ctx, session, SYSTEM, copy)
        rows = process_catalogue.versions(session, "review")
    assert [r.version for r in rows] == [2, 1]
    assert rows[0].content_hash == rows[1].content_hash and not rows[0].changed


def test_decision_tables_of_a_chain_process_are_read_from_its_dmn(ctx):
    with ctx.sessionmaker.begin() as session:
        deployments.deploy_path(ctx, session, SYSTEM, ctx.settings.processes_dir)
        page = process_catalogue.process_page(session, "assessment_plan")
    assert [t.decision_id for t in page.decision_tables]
    table = page.decision_tables[0]
    assert table.file_name.endswith("route_household.dmn")
    assert table.rules and all(len(r.inputs) == len(table.inputs) for r in table.rules)


# --- diff -------------------------------------------------------------------------------------

def test_diff_of_two_versions_names_the_changed_timer_and_the_added_task(ctx, tmp_path):
    deploy(ctx, "review")
    with ctx.sessionmaker.begin() as session:
        deployments.deploy_path(ctx, session, SYSTEM, changed_copy(
            tmp_path, "v2", *v2_edits(),
            form_edit=("assess.json", '"unsure"]', '"unsure", "later"]')))
        old = process_catalogue.process_files(
            session, process_catalogue.definition_at(session, "review", 1))
        new = process_catalogue.process_files(
            session, process_catalogue.definition_at(session, "review", 2))
    diff = process_diff.diff_process(old, new, "review")
    assert diff.markers() == {"assess_overdue": "changed", "f_assess": "changed",
                              "f_note": "added", "note": "added"}
    [(element, timer)] = diff.changes_of("timer")
    assert element.element_id == "assess_overdue"
    assert (timer.old, timer.new) == ('"P5D"', '"P10D"')
    [(added, script)] = diff.changes_of("script")
    assert added.status == "added" and script.new == "noted = True"
    [field] = diff.fields
    assert (field.form, field.field, field.status) == ("forms/assess.json", "decision",
                                                      "changed")
    assert "later" in (field.new or "") and "later" not in (field.old or "")
    assert process_diff.diff_process(old, old, "review").empty


def test_diff_of_dmn_rules(tmp_path):
    source = Path(__file__).resolve().parents[2] / "processes" / "assessment_plan"
    dmn = (source / "route_household.dmn").read_bytes()
    table = process_catalogue.decision_tables("route_household.dmn", dmn)[0]
    rule = table.rules[0]
    cell = next(c for c in rule.outputs if c)
    changed = dmn.replace(f"<text>{cell}</text>".encode(), b"<text>\"elsewhere\"</text>", 1)
    assert changed != dmn
    files = process_catalogue.ProcessFiles("x.bpmn", b"", {"route_household.dmn": dmn}, {})
    after = process_catalogue.ProcessFiles("x.bpmn", b"", {"route_household.dmn": changed}, {})
    rules = process_diff.diff_rules(files, after)
    assert [(r.decision_id, r.status) for r in rules] == [(table.decision_id, "changed")]
    assert '"elsewhere"' in (rules[0].new or [])


# --- migration --------------------------------------------------------------------------------

def test_dry_run_says_which_instances_can_move_and_why_not(ctx, tmp_path, owner):
    deploy(ctx, "review")
    worker = make_user(ctx, "st", "social_team", "dordrecht")
    waiting_in_assess = _start(ctx)
    in_advise = _start(ctx)
    _complete(ctx, worker, in_advise, "assess", {"decision": "proceed", "amount": 10})
    # version 2: advise replaced by a new element; version 3 also changes assess's form
    v2 = changed_copy(tmp_path, "v2", *v2_edits(), *_replace_advise())
    v3 = changed_copy(tmp_path, "v3", *v2_edits(), *_replace_advise(),
                      form_edit=("assess.json", '"unsure"]', '"unsure", "later"]'))
    for bundle in (v2, v3):
        with ctx.sessionmaker.begin() as session:
            deployments.deploy_path(ctx, session, SYSTEM, bundle)
    with ctx.sessionmaker() as session:
        to_2 = process_migration.dry_run(ctx, session, owner, "review", 1, 2)
        to_3 = process_migration.dry_run(ctx, session, owner, "review", 1, 3)
    moves = {c.instance_id: (c.can_move, c.reasons) for c in to_2.candidates}
    assert moves[waiting_in_assess] == (True, [])
    assert moves[in_advise][0] is False
    assert moves[in_advise][1] == [
        "wacht in ‘Adviseren’ (advise), dat in versie 2 niet meer bestaat"]
    assert to_2.movable == 1
    reasons = {c.instance_id: c.reasons for c in to_3.candidates}
    assert reasons[waiting_in_assess] == [
        "wacht in ‘Beoordelen’ (assess), waarvan het formulier in versie 3 is gewijzigd"]


def _replace_advise() -> tuple[tuple[str, str], ...]:
    return (('<bpmn:userTask id="advise" name="Adviseren">',
             '<bpmn:userTask id="advise_v2" name="Adviseren (nieuw)">'),
            ('targetRef="advise"', 'targetRef="advise_v2"'),
            ('sourceRef="advise"', 'sourceRef="advise_v2"'),
            ('<bpmn:flowNodeRef>advise</bpmn:flowNodeRef>',
             '<bpmn:flowNodeRef>advise_v2</bpmn:flowNodeRef>'))


def test_migration_keeps_a_running_timers_due_time(ctx, tmp_path, owner,
                                                   clock: ManualClock):
    deploy(ctx, "review")
    started_at = clock.now()
    instance_id = _start(ctx)
    untouched = _start(ctx)
    with ctx.sessionmaker.begin() as session:
        deployments.deploy_path(ctx, session, SYSTEM, changed_copy(tmp_path, "v2", *v2_edits()))
    clock.advance(timedelta(days=2))
    job_id = process_migration.submit(ctx, owner, "review", 1, 2, [instance_id])
    process_migration.run(ctx, job_id)
    with ctx.sessionmaker() as session:
        job = process_migration.status(ctx, session, owner, job_id)
        row = session.get(ProcessInstance, instance_id)
        other = session.get(ProcessInstance, untouched)
        events = session.scalars(select(Event).where(
            Event.instance_id == instance_id, Event.kind == "instance_migrated")).all()
        tasks = session.scalars(select(HumanTask).where(
            HumanTask.instance_id == instance_id)).all()
    assert (job.status, job.processed, job.migrated, job.refused) == ("done", 1, 1, 0)
    assert [i.status for i in job.items] == ["migrated"]
    assert row is not None and other is not None
    assert row.next_timer_due == started_at + timedelta(days=5)  # not migration + 10 days
    assert other.next_timer_due == started_at + timedelta(days=5)
    assert len(events) == 1 and events[0].detail == {
        "from_version": 1, "to_version": 2, "job": job_id, "kept_timers": ["assess_overdue"]}
    assert [(t.bpmn_id, t.state) for t in tasks] == [("assess", "open")]  # the same task row
    with ctx.sessionmaker() as session:
        v2_definition = process_catalogue.definition_at(session, "review", 2)
    assert row.definition_id == v2_definition.id
    # new cases get the new term; the migrated case's timer fires at its old due time
    fresh = _start(ctx)
    with ctx.sessionmaker() as session:
        fresh_row = session.get(ProcessInstance, fresh)
        assert fresh_row is not None
        assert fresh_row.next_timer_due == clock.now() + timedelta(days=10)
    clock.advance(timedelta(days=3, seconds=1))
    assert fire_due_timers(ctx) == 2  # the migrated and the untouched case
    with ctx.sessionmaker() as session:
        escalations = session.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.bpmn_id == "escalate"))
    assert escalations == 1


def test_a_refused_instance_is_reported_and_the_job_goes_on(ctx, tmp_path, owner):
    deploy(ctx, "review")
    worker = make_user(ctx, "st", "social_team", "dordrecht")
    movable, stuck = _start(ctx), _start(ctx)
    _complete(ctx, worker, stuck, "assess", {"decision": "proceed", "amount": 10})
    with ctx.sessionmaker.begin() as session:
        deployments.deploy_path(ctx, session, SYSTEM,
                                changed_copy(tmp_path, "v2", *v2_edits(), *_replace_advise()))
    job_id = process_migration.submit(ctx, owner, "review", 1, 2, [stuck, movable])
    process_migration.run(ctx, job_id)
    with ctx.sessionmaker() as session:
        job = process_migration.status(ctx, session, owner, job_id)
        stuck_row = session.get(ProcessInstance, stuck)
        assert stuck_row is not None
        assert process_catalogue.deployment_version(
            session, process_catalogue.definition_at(session, "review", 1)) == 1
        assert stuck_row.definition_id == process_catalogue.definition_at(
            session, "review", 1).id
    assert (job.migrated, job.refused) == (1, 1)
    outcome = {i.instance_id: (i.status, i.reason) for i in job.items}
    assert outcome[movable] == ("migrated", None)
    assert outcome[stuck][0] == "refused" and "advise" in (outcome[stuck][1] or "")


def test_only_process_owners_migrate(ctx, tmp_path):
    deploy(ctx, "review")
    instance_id = _start(ctx)
    with ctx.sessionmaker.begin() as session:
        deployments.deploy_path(ctx, session, SYSTEM, changed_copy(tmp_path, "v2", *v2_edits()))
    for role, org in (("manager", "regio"), ("admin", "regio"), ("social_team", "dordrecht")):
        actor = make_user(ctx, f"u-{role}", role, org)
        with pytest.raises(NotAllowed):
            process_migration.submit(ctx, actor, "review", 1, 2, [instance_id])
        with ctx.sessionmaker() as session, pytest.raises(NotAllowed):
            process_migration.dry_run(ctx, session, actor, "review", 1, 2)
