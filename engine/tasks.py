"""Human tasks: the inbox and team queue, and claim, release and complete."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from uuid import UUID

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from engine import lifecycle, runtime
from engine.access import Actor, bound_task_scope, scope_parameters, task_visible
from engine.context import EngineContext
from engine.db import write_versioned
from engine.errors import InvalidInput, NotFound
from engine.forms import validate
from engine.models import HumanTask, ProcessInstance
from engine.views import CompletionResult, TaskDetail, TaskView


def task_view(task: Any) -> TaskView:
    """The view of a HumanTask, or of a row of its columns (lists read columns only)."""
    return TaskView(
        id=task.id, name=task.name, bpmn_id=task.bpmn_id, role=task.role,
        process_id=task.process_id, case_number=task.case_number, instance_id=task.instance_id,
        state=task.state, assignee_id=task.assignee_id, municipality=task.municipality,
        corporation=task.corporation, due_at=task.due_at, created_at=task.created_at,
        completed_at=task.completed_at)


@lru_cache(maxsize=32)
def _task_with_instance(role: str) -> Select[tuple[HumanTask, ProcessInstance]]:
    """The task and its instance, if an actor of ``role`` may see it; built once per role."""
    return (select(HumanTask, ProcessInstance)
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(HumanTask.id == bindparam("task_id"), bound_task_scope(role)))


@lru_cache(maxsize=32)
def _task(role: str) -> Select[tuple[HumanTask]]:
    return select(HumanTask).where(HumanTask.id == bindparam("task_id"),
                                   bound_task_scope(role))


def scoped_task(session: Session, actor: Actor, task_id: str) -> HumanTask:
    """The task, if the actor may see it.

    :raise NotFound: no such task in the actor's scope.
    """
    task = session.scalars(_task(actor.role),
                           {"task_id": task_id, **scope_parameters(actor)}).first()
    if task is None:
        raise NotFound("task not found")
    return task


def get_task(ctx: EngineContext, session: Session, actor: Actor, task_id: str,
             prefill: bool = True) -> TaskDetail:
    """The task with its form schema and, with ``prefill``, the data to prefill it with (that
    restores the workflow: a caller that only needs the schema passes ``prefill=False``)."""
    found = session.execute(_task_with_instance(actor.role),
                            {"task_id": task_id, **scope_parameters(actor)}).first()
    if found is None:
        raise NotFound("task not found")
    task, instance = found[0], found[1]
    schema: dict[str, Any] | None = None
    data: dict[str, Any] = {}
    if task.form_file:
        cached = ctx.specs.get(session, instance.definition_id)
        schema, _validator = ctx.specs.form(session, cached.deployment_id, task.form_file)
        if prefill and task.state in runtime.OPEN_STATES and instance.state is not None:
            workflow, _ = runtime.load(ctx, session, instance, read_only=True)
            live = workflow.get_task_from_id(UUID(task.id))
            if live is not None:
                fields = (schema.get("properties") or {}).keys()
                data = runtime.json_safe({k: live.data[k] for k in fields if k in live.data})
    return TaskDetail(task_view(task), schema, data, task.instructions)


def claim_task(session: Session, actor: Actor, task_id: str) -> TaskView:
    task = scoped_task(session, actor, task_id)
    lifecycle.claim(task, actor)
    write_versioned(session, task)
    return task_view(task)


def release_task(session: Session, actor: Actor, task_id: str) -> TaskView:
    task = scoped_task(session, actor, task_id)
    lifecycle.release(task, actor)
    write_versioned(session, task)
    return task_view(task)




def complete_task(ctx: EngineContext, session: Session, actor: Actor, task_id: str,
                  data: Any) -> CompletionResult:
    """Validate the form, complete the task and run the case on, in one step.

    :raise NotFound: not a task this actor may see.
    :raise InvalidInput: the form data is invalid (every field named).
    :raise Conflict: already completed, claimed by someone else, or a concurrent change.
    """
    found = session.execute(_task_with_instance(actor.role),
                            {"task_id": task_id, **scope_parameters(actor)}).first()
    if found is None:
        raise NotFound("task not found")
    task, instance = found[0], found[1]
    cached = ctx.specs.get(session, instance.definition_id)
    if task.form_file:
        _schema, validator = ctx.specs.form(session, cached.deployment_id, task.form_file)
        validate(validator, data)
    elif not isinstance(data, dict):
        raise InvalidInput({"data": "moet een object zijn"})
    now = ctx.clock.now()
    lifecycle.complete(task, actor)
    task.completed_at = now
    write_versioned(session, task)
    workflow, cached = runtime.load(ctx, session, instance)
    log = runtime.StepLog(actor.username)
    runtime.step(ctx, session, instance, workflow, cached,
                 lambda wf: runtime.complete_task(wf, task_id, dict(data), log, now), log)
    next_id = next((t["id"] for t in log.new_tasks
                     if task_visible(actor, t["role"], t["municipality"], t["corporation"])),
                    None)
    return CompletionResult(task_id, instance.id, instance.status, next_id)
