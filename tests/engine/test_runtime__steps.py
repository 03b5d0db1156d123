"""One step = one transaction: concurrency, rollback, errors and retry, serializer guard."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from sqlalchemy import event, func, select, update

from engine import instances
from engine.access import SYSTEM, Actor
from engine.context import EngineContext
from engine.errors import Conflict, InstanceStateInvalid
from engine.models import Event, HumanTask, ProcessInstance
from tests.casework import complete_claimed
from tests.factories import deploy, make_user


def _start_review(ctx: EngineContext, data: dict[str, Any] | None = None) -> int:
    with ctx.sessionmaker.begin() as session:
        view = instances.start_instance(ctx, session, SYSTEM, "review",
                                        {"municipality": "dordrecht", **(data or {})})
    return view.id


def _open_task(ctx: EngineContext, instance_id: int, bpmn_id: str = "assess") -> str:
    with ctx.sessionmaker() as session:
        task_id = session.scalar(select(HumanTask.id).where(
            HumanTask.instance_id == instance_id, HumanTask.bpmn_id == bpmn_id,
            HumanTask.state.in_(("open", "claimed"))))
    assert task_id is not None
    return task_id


@pytest.fixture
def anna(ctx: EngineContext) -> Actor:
    deploy(ctx, "review")
    return make_user(ctx, "anna", "social_team", "dordrecht")


def test_two_concurrent_completions_one_wins(ctx: EngineContext, anna: Actor) -> None:
    bram = make_user(ctx, "bram", "social_team", "dordrecht")
    instance_id = _start_review(ctx)
    task_id = _open_task(ctx, instance_id)
    both_loaded = threading.Barrier(2, timeout=10)
    results: dict[str, Any] = {}

    def complete(actor: Actor) -> None:
        session = ctx.sessionmaker()
        loaded = {"done": False}
        try:
            with session.begin():
                # Both read the instance and the task before either writes.
                session.get(ProcessInstance, instance_id)
                session.get(HumanTask, task_id)
                if not loaded["done"]:
                    loaded["done"] = True
                    both_loaded.wait()
                result = complete_claimed(ctx, session, actor, task_id,
                                             {"decision": "proceed", "amount": 70})
            results[actor.username] = result
        except Conflict as conflict:
            results[actor.username] = conflict
        finally:
            session.close()

    threads = [threading.Thread(target=complete, args=(a,)) for a in (anna, bram)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    outcomes = sorted(type(r).__name__ for r in results.values())
    assert outcomes == ["CompletionResult", "Conflict"]
    with ctx.sessionmaker() as session:
        completions = session.scalar(select(func.count()).select_from(Event).where(
            Event.instance_id == instance_id, Event.kind == "task_completed"))
        advise = session.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.bpmn_id == "advise"))
    assert completions == 1
    assert advise == 1


def test_failure_before_commit_leaves_instance_as_before(ctx: EngineContext,
                                                         anna: Actor) -> None:
    instance_id = _start_review(ctx)
    task_id = _open_task(ctx, instance_id)
    with ctx.sessionmaker() as session:
        before = session.get(ProcessInstance, instance_id)
        assert before is not None
        snapshot = (before.state, before.version, before.status, before.open_task_ids)
        events_before = session.scalar(select(func.count()).select_from(Event))

    session = ctx.sessionmaker()

    @event.listens_for(session, "before_commit")
    def crash(_session: Any) -> None:
        raise RuntimeError("power failure between the engine step and the commit")

    with pytest.raises(RuntimeError), session.begin():
        complete_claimed(ctx, session, anna, task_id, {"decision": "proceed", "amount": 70})
    session.close()

    with ctx.sessionmaker() as session:
        after = session.get(ProcessInstance, instance_id)
        assert after is not None
        assert (after.state, after.version, after.status, after.open_task_ids) == snapshot
        assert session.scalar(select(func.count()).select_from(Event)) == events_before
        task = session.get(HumanTask, task_id)
        assert task is not None and task.state == "open"
    # ... and the step can still be done afterwards.
    with ctx.sessionmaker.begin() as session:
        done = complete_claimed(ctx, session, anna, task_id,
                                   {"decision": "proceed", "amount": 70})
    assert done.next_task_id is not None


def test_gateway_without_matching_branch_goes_to_error_and_retry_completes(
        ctx: EngineContext, anna: Actor) -> None:
    instance_id = _start_review(ctx)
    task_id = _open_task(ctx, instance_id)
    with ctx.sessionmaker.begin() as session:
        complete_claimed(ctx, session, anna, task_id, {"decision": "unsure", "amount": 5})
    with ctx.sessionmaker() as session:
        view = instances.get_instance(ctx, session, SYSTEM, instance_id)
    assert view.status == "error"
    assert view.error is not None and view.error.element == "route"
    assert "No conditions satisfied" in (view.error.message or "")

    with ctx.sessionmaker.begin() as session:
        retried = instances.retry_instance(ctx, session, SYSTEM, instance_id,
                                           {"decision": "reject"})
    assert retried.status == "completed"
    assert retried.error is None




def test_serializer_version_outside_allow_list_is_refused(ctx: EngineContext,
                                                          anna: Actor) -> None:
    instance_id = _start_review(ctx)
    task_id = _open_task(ctx, instance_id)
    with ctx.sessionmaker.begin() as session:
        row = session.get(ProcessInstance, instance_id)
        assert row is not None and row.state is not None
        tampered = re.sub(r'"serializer_version":\s*"1\.5"', '"serializer_version": "9.9"',
                          row.state)
        assert tampered != row.state
        session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id)
                        .values(state=tampered, serializer_version="9.9"))
    with pytest.raises(InstanceStateInvalid, match="9.9"), ctx.sessionmaker.begin() as session:
        complete_claimed(ctx, session, anna, task_id, {"decision": "proceed", "amount": 70})
