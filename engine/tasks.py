"""Human tasks: the inbox and team queue, and claim, release and complete."""

from __future__ import annotations

from datetime import UTC, date
from functools import lru_cache
from typing import Any, NoReturn
from uuid import UUID

from jsonschema import Draft202012Validator
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from engine import forms, lifecycle, metrics, runtime
from engine.access import (
    Actor,
    bound_task_scope,
    claimable,
    record_access,
    record_refusal,
    scope_parameters,
    task_visible,
)
from engine.context import EngineContext
from engine.db import write_versioned
from engine.errors import Conflict, NotFound
from engine.forms import form_fields, validate
from engine.models import Case, HumanTask, ProcessInstance
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


def scoped_task(ctx: EngineContext, session: Session, actor: Actor, task_id: str,
                what: str) -> HumanTask:
    """The task, if the actor may see it.

    :raise NotFound: no such task in the actor's scope (the attempt is logged as ``what``).
    """
    task = session.scalars(_task(actor.role),
                           {"task_id": task_id, **scope_parameters(actor)}).first()
    if task is None:
        _refuse(ctx, session, actor, task_id, what)
    return task


def scoped_task_with_instance(ctx: EngineContext, session: Session, actor: Actor,
                              task_id: str, what: str) -> tuple[HumanTask, ProcessInstance]:
    """The task and its instance, if the actor may see the task.

    :raise NotFound: no such task in the actor's scope (the attempt is logged as ``what``).
    """
    found = session.execute(_task_with_instance(actor.role),
                            {"task_id": task_id, **scope_parameters(actor)}).first()
    if found is None:
        _refuse(ctx, session, actor, task_id, what)
    return found[0], found[1]


def _refuse(ctx: EngineContext, session: Session, actor: Actor, task_id: str,
            what: str) -> NoReturn:
    """Log the refused attempt (with the task's case, when there is such a task) and raise."""
    case_number = session.scalar(select(HumanTask.case_number).where(HumanTask.id == task_id))
    record_refusal(ctx, actor, what, task_id, case_number)
    raise NotFound("task not found")


def get_task(ctx: EngineContext, session: Session, actor: Actor, task_id: str,
             prefill: bool = True) -> TaskDetail:
    """The task with its form schema and, with ``prefill``, what the form starts from and the
    facts it shows (that restores the workflow: a caller that only needs the schema passes
    ``prefill=False``).

    A form starts only from what its fields name in ``x-prefill-from`` (an advised service, a
    date the process computed), never from a value the task data happens to hold under the
    field's name: that would be an earlier loop's answer (the previous contact attempt),
    offered again to be recorded twice.

    A case's task with its prefill is the household's data: reading it is logged.
    """
    task, instance = scoped_task_with_instance(ctx, session, actor, task_id, "task read")
    schema, _validator = _form(ctx, session, task, instance)
    data: dict[str, Any] = {}
    facts: list[dict[str, Any]] = []
    if schema is not None:
        if prefill and task.state in runtime.OPEN_STATES and instance.state is not None:
            workflow, _ = runtime.load(ctx, session, instance, read_only=True)
            live = workflow.get_task_from_id(UUID(task.id))
            if live is not None:
                data = runtime.json_safe(forms.prefill(schema, live.data))
                facts = runtime.json_safe(forms.shown_facts(schema, live.data))
    if prefill and task.case_number:
        record_access(session, actor, ctx.clock.now(), [task.case_number], "task read")
    return TaskDetail(task_view(task), schema, data, task.instructions, facts)


def _form(ctx: EngineContext, session: Session, task: HumanTask, instance: ProcessInstance
          ) -> tuple[dict[str, Any] | None, Draft202012Validator | None]:
    """The task's form schema and validator (cached per deployment); none without a form."""
    if not task.form_file:
        return None, None
    deployment_id = ctx.specs.get(session, instance.definition_id).deployment_id
    return ctx.specs.form(session, deployment_id, task.form_file)


def date_anchors(ctx: EngineContext, session: Session, case_number: str | None
                 ) -> dict[str, date]:
    """The dates a form's date bounds refer to: today (local) and the day the case's signal
    came in."""
    anchors = {"today": ctx.clock.now().astimezone(runtime.LOCAL_TZ).date()}
    if case_number:
        created = session.scalar(select(Case.created_at).where(
            Case.case_number == case_number))
        if created is not None:
            aware = created if created.tzinfo else created.replace(tzinfo=UTC)
            anchors["signal"] = aware.astimezone(runtime.LOCAL_TZ).date()
    return anchors


def claim_task(ctx: EngineContext, session: Session, actor: Actor, task_id: str) -> TaskView:
    task = scoped_task(ctx, session, actor, task_id, "task claim")
    lifecycle.claim(task, actor)
    write_versioned(session, task)
    return task_view(task)


def claim_on_opening(ctx: EngineContext, session: Session, actor: Actor,
                     task_id: str) -> bool:
    """Opening a task to work it claims it, when nobody holds it and the actor's role may
    take it: the form one fills in is then the one only they can complete. True if claimed.

    :raise NotFound: not a task this actor may see.
    """
    task = scoped_task(ctx, session, actor, task_id, "task read")
    if task.state != "open" or actor.is_machine or not claimable(actor, task):
        return False
    lifecycle.claim(task, actor)
    write_versioned(session, task)
    return True


def release_task(ctx: EngineContext, session: Session, actor: Actor,
                 task_id: str) -> TaskView:
    task = scoped_task(ctx, session, actor, task_id, "task release")
    lifecycle.release(task, actor)
    write_versioned(session, task)
    return task_view(task)


def complete_task(ctx: EngineContext, session: Session, actor: Actor, task_id: str,
                  data: Any, *, take_open: bool = False) -> CompletionResult:
    """Validate the form, complete the task and run the case on, in one step.

    With ``take_open`` an open task the actor's role may take is claimed in the same step
    (one request and one transaction instead of a claim and a completion); a task someone
    else holds is still refused.

    The data may hold only the fields the task's form lists (none without a form), whatever
    the form file allows, and never a variable that decides the case's scope.

    :raise NotFound: not a task this actor may see.
    :raise InvalidInput: the form data is invalid, or holds a field the form does not list
        (every field named).
    :raise Conflict: already completed, not claimed by this actor (open without
        ``take_open``, put back, or claimed by someone else), or a concurrent change.
    """
    task, instance = scoped_task_with_instance(ctx, session, actor, task_id, "task complete")
    if instance.status == "suspended":
        raise Conflict("Deze casus is gepauzeerd door applicatiebeheer; de taak kan pas "
                       "worden afgerond als de casus is hervat.")
    schema, validator = _form(ctx, session, task, instance)
    # The claim first: who does not hold it learns that, not what the form would have said.
    lifecycle.check_complete(task, actor, take_open=take_open)
    # Only the form's own fields, never the variables that decide who sees the case.
    validate(validator, data, fields=form_fields(schema), protected=runtime.SCOPE_VARIABLES,
             anchors=date_anchors(ctx, session, task.case_number))
    now = ctx.clock.now()
    lifecycle.complete(task, actor, take_open=take_open)
    task.completed_at = now
    workflow, cached = runtime.load(ctx, session, instance)
    log = runtime.StepLog(actor.username)
    log.changed_rows.append(task)  # written with the instance
    runtime.step(ctx, session, instance, workflow, cached,
                 lambda wf: runtime.complete_task(wf, task_id, dict(data), log, now), log)
    for hook in ctx.hooks.after_completion:
        hook(ctx, session, actor, task, instance, data, workflow, cached.deployment_id)
    metrics.count_completion(task.role)
    next_id = next((t["id"] for t in log.new_tasks
                     if task_visible(actor, t["role"], t["municipality"], t["corporation"])),
                    None)
    return CompletionResult(task_id, instance.id, instance.status, next_id)
