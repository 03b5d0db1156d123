"""The workflow cache reuses a restored workflow only when the stored state is what it saved."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import event, select, update

from engine import instances, runtime
from engine.access import SYSTEM
from engine.context import EngineContext
from engine.models import HumanTask, ProcessInstance
from engine.workflow_cache import WorkflowCache, estimated_bytes
from tests.casework import complete_claimed
from tests.factories import deploy, make_user


@pytest.fixture
def cached_ctx(ctx: EngineContext) -> EngineContext:
    return replace(ctx, workflows=WorkflowCache(8))


def _start(ctx: EngineContext) -> tuple[int, str]:
    with ctx.sessionmaker.begin() as session:
        view = instances.start_instance(ctx, session, SYSTEM, "review",
                                        {"municipality": "dordrecht"})
    with ctx.sessionmaker() as session:
        task_id = session.scalar(select(HumanTask.id).where(HumanTask.instance_id == view.id))
    assert task_id is not None
    return view.id, task_id


def _loaded(ctx: EngineContext, instance_id: int) -> Any:
    with ctx.sessionmaker() as session:
        row = session.get(ProcessInstance, instance_id)
        assert row is not None
        workflow, _ = runtime.load(ctx, session, row)
    return workflow


def test_a_saved_workflow_is_reused_for_the_next_step(cached_ctx: EngineContext) -> None:
    deploy(cached_ctx, "review")
    instance_id, _ = _start(cached_ctx)
    with cached_ctx.sessionmaker() as session:
        row = session.get(ProcessInstance, instance_id)
        assert row is not None and row.state is not None
        state = row.state
    saved = cached_ctx.workflows.take(instance_id, state)
    assert saved is not None
    cached_ctx.workflows.put(instance_id, state, saved)
    assert _loaded(cached_ctx, instance_id) is saved
    # Taken out while in use: a second load restores its own copy.
    assert _loaded(cached_ctx, instance_id) is not saved


def test_rolled_back_step_is_never_reused(cached_ctx: EngineContext) -> None:
    deploy(cached_ctx, "review")
    anna = make_user(cached_ctx)
    instance_id, task_id = _start(cached_ctx)
    session = cached_ctx.sessionmaker()

    @event.listens_for(session, "before_commit")
    def crash(_session: Any) -> None:
        raise RuntimeError("crash before commit")

    with pytest.raises(RuntimeError), session.begin():
        complete_claimed(cached_ctx, session, anna, task_id,
                            {"decision": "proceed", "amount": 70})
    session.close()
    # The cache holds the rolled-back state; the database does not, so it is not used and
    # the task is still open in the workflow that is loaded.
    workflow = _loaded(cached_ctx, instance_id)
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    assert [t.task_spec.bpmn_id for t in ready] == ["assess"]
    with cached_ctx.sessionmaker.begin() as session:
        done = complete_claimed(cached_ctx, session, anna, task_id,
                                   {"decision": "proceed", "amount": 70})
    assert done.next_task_id is not None


def test_state_changed_by_another_process_is_not_served_from_cache(
        cached_ctx: EngineContext) -> None:
    deploy(cached_ctx, "review")
    instance_id, _ = _start(cached_ctx)
    with cached_ctx.sessionmaker.begin() as session:
        row = session.get(ProcessInstance, instance_id)
        assert row is not None and row.state is not None
        saved = cached_ctx.workflows.take(instance_id, row.state)
        assert saved is not None
        cached_ctx.workflows.put(instance_id, row.state, saved)
        changed = re.sub(r'"municipality":\s*"dordrecht"', '"municipality": "zwijndrecht"',
                         row.state)
        assert changed != row.state
        session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id)
                        .values(state=changed))
    workflow = _loaded(cached_ctx, instance_id)
    assert workflow is not saved
    assert any(t.data.get("municipality") == "zwijndrecht" for t in workflow.tasks.values())


def test_the_cache_evicts_the_least_recently_used_past_its_bytes() -> None:
    state = "x" * 1000  # reckoned as 1000 * MEMORY_PER_STATE_CHAR bytes
    weight = estimated_bytes(state)
    cache = WorkflowCache(100, max_bytes=3 * weight)
    for instance_id in (1, 2, 3):
        cache.put(instance_id, state, object())
    assert len(cache) == 3 and cache.bytes == 3 * weight
    assert cache.take(1, state) is not None  # 1 is in use, then put back: now the newest
    cache.put(1, state, object())
    cache.put(4, state, object())  # over the bound: 2, the least recently used, goes
    assert cache.take(2, state) is None
    assert len(cache) == 3 and cache.bytes == 3 * weight
    cache.put(5, "y" * 2500, object())  # 2.5 entries' worth: three must go
    assert len(cache) == 1 and cache.bytes == estimated_bytes("y" * 2500)
    cache.put(6, "z" * 4000, object())  # larger than the whole bound: not kept at all
    assert cache.take(6, "z" * 4000) is None and cache.bytes == estimated_bytes("y" * 2500)


def test_a_count_bound_alone_still_holds() -> None:
    cache = WorkflowCache(2)
    for instance_id in (1, 2, 3):
        cache.put(instance_id, "s" * 10_000, object())
    assert len(cache) == 2 and cache.take(1, "s" * 10_000) is None
