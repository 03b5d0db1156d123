"""Migrating the chain's running cases to a new version (``engine.process_migration``): every
timer that waits, also in a called process (outreach's first-contact deadline), keeps its due
time and none fires on the way. SpiffWorkflow re-predicts the reset branches and asks each
timer whether it is due: that must be the engine's clock, not the machine's (they differ in
these tests, as in a demo seeded on a simulated clock), or every deadline that the machine's
date has passed would fire at the migration and escalate, or even end the outreach."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import process_migration
from engine.access import SYSTEM
from engine.chain.demo_cases import seed_year
from engine.context import EngineContext
from engine.deployments import deploy_path
from engine.models import HumanTask, ProcessDefinition, ProcessInstance
from engine.process_catalogue import RUNNING_STATUSES
from engine.serialization import load_workflow
from tests.browser.test_process_pages import changed_chain
from tests.conftest import ROOT
from tests.factories import make_user


def waiting_timers(ctx: EngineContext, instance_id: int) -> dict[str, Any]:
    """The due value of every waiting timer of an instance (called processes included)."""
    with ctx.sessionmaker() as session:
        row = session.get(ProcessInstance, instance_id)
        assert row is not None and row.state is not None
        cached = ctx.specs.get(session, row.definition_id)
        workflow = load_workflow(row.state, cached.spec, cached.subprocess_specs)
    return {t.task_spec.bpmn_id: t.internal_data.get("event_value")
            for t in workflow.get_tasks(state=TaskState.WAITING)
            if isinstance(getattr(t.task_spec, "event_definition", None), TimerEventDefinition)}


def _open_tasks(ctx: EngineContext, ids: list[int]) -> set[tuple[int, str]]:
    with ctx.sessionmaker() as session:
        return set(session.execute(select(HumanTask.instance_id, HumanTask.bpmn_id).where(
            HumanTask.instance_id.in_(ids), HumanTask.state.in_(("open", "claimed")))).all())


def test_migrated_chain_cases_keep_every_waiting_timer(ctx: EngineContext,
                                                       tmp_path: Path) -> None:
    owner = make_user(ctx, "po", "process_owner", "regio")
    with ctx.sessionmaker.begin() as session:
        deploy_path(ctx, session, SYSTEM, ROOT / "processes")
    seed_year(ctx, seed=11, signals=14, days=12, until=date(2026, 4, 22))
    with ctx.sessionmaker.begin() as session:
        deploy_path(ctx, session, SYSTEM, changed_chain(tmp_path / "processes"),
                    change_note="outreach: a task added, a script changed")
    with ctx.sessionmaker() as session:
        running = list(session.scalars(select(ProcessInstance.id).join(ProcessDefinition).where(
            ProcessDefinition.process_id == "arrears_case",
            ProcessInstance.status.in_(RUNNING_STATUSES)).order_by(ProcessInstance.id)))
    before = {i: waiting_timers(ctx, i) for i in running}
    tasks_before = _open_tasks(ctx, running)
    # outreach's deadlines wait in the called process, after the (manual) clock's now
    assert any("first_contact_overdue" in t for t in before.values())
    assert all(v > ctx.clock.now().isoformat() for t in before.values() for v in t.values())

    job = process_migration.submit(ctx, owner, "arrears_case", 1, 2, running)
    process_migration.run(ctx, job)

    with ctx.sessionmaker() as session:
        done = process_migration.status(ctx, session, owner, job)
    assert (done.migrated, done.refused) == (len(running), 0)
    assert {i: waiting_timers(ctx, i) for i in running} == before
    assert _open_tasks(ctx, running) == tasks_before  # no escalation, no outreach ended
