"""Starting, reading and retrying process instances."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import ColumnElement, String, and_, cast, exists, func, or_, select
from sqlalchemy.orm import Session, defer

from engine import cursors, runtime
from engine.access import (
    Actor,
    may_retry_instances,
    may_see_instance_data,
    may_start_instances,
    record_access,
    record_refusal,
    tracking_scope,
)
from engine.context import EngineContext
from engine.deployments import latest_definition
from engine.engine_steps import run_engine_steps
from engine.errors import Conflict, InvalidInput, NotAllowed, NotFound
from engine.forms import validate
from engine.models import Deployment, HumanTask, ProcessDefinition, ProcessInstance
from engine.models.instance import STATUSES as _STATUSES
from engine.specs import CachedSpec
from engine.views import InstanceError, InstanceView, Page

MAX_PAGE = 200
#: An instance's statuses (the pages and the API list them).
STATUSES: tuple[str, ...] = _STATUSES
#: What an element id (the "current step" filter) may look like: BPMN ids, nothing to escape.
_ELEMENT_ID = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")


@dataclass(frozen=True)
class InstanceFilter:
    """What the instance list narrows to (every field optional; all given ones apply).

    ``step``: an element the instance waits at now; ``overdue``: an open task past its due
    date; ``in_error``: status ``error``; ``started_from``/``started_to``: the day it started
    (both inclusive, in UTC).
    """

    process_id: str | None = None
    version: int | None = None
    status: str | None = None
    business_key: str | None = None
    municipality: str | None = None
    corporation: str | None = None
    step: str | None = None
    overdue: bool = False
    in_error: bool = False
    started_from: date | None = None
    started_to: date | None = None

    def check(self) -> None:
        """Refuse what cannot be a filter, naming the field (Dutch, as the pages show it)."""
        errors = {}
        if self.status and self.status not in STATUSES:
            errors["status"] = f"onbekende status; kies uit {', '.join(STATUSES)}"
        if self.step and (len(self.step) > 200 or not set(self.step) <= _ELEMENT_ID):
            errors["step"] = "geen geldige stap (BPMN-id: letters, cijfers, _ - .)"
        if self.version is not None and not 0 < self.version < 2**31:
            errors["version"] = "geen geldige versie"
        if self.started_from and self.started_to and self.started_from > self.started_to:
            errors["started_to"] = "ligt voor de begindatum"
        if errors:
            raise InvalidInput(errors)


def filter_conditions(ctx: EngineContext, filters: InstanceFilter,
                      with_status: bool = True) -> list[ColumnElement[bool]]:
    """The SQL conditions of ``filters`` (``with_status`` False: all but the status, for the
    totals per status)."""
    filters.check()
    where: list[ColumnElement[bool]] = []
    if filters.process_id:
        where.append(ProcessInstance.process_id == filters.process_id)
    if filters.version is not None:
        where.append(ProcessInstance.definition_id.in_(
            select(ProcessDefinition.id).join(Deployment)
            .where(Deployment.version == filters.version)))
    if with_status and filters.status:
        where.append(ProcessInstance.status == filters.status)
    if filters.in_error:
        where.append(ProcessInstance.status == "error")
    if filters.business_key:
        where.append(ProcessInstance.business_key == filters.business_key)
    if filters.municipality:
        where.append(ProcessInstance.municipality == filters.municipality)
    if filters.corporation:
        where.append(ProcessInstance.corporation == filters.corporation)
    if filters.step:
        # the JSON list as text holds the id in quotes (both databases); ids need no escaping
        # (a failed instance stands at the element that failed)
        where.append(or_(
            cast(ProcessInstance.current_elements, String).like(f'%"{filters.step}"%'),
            and_(ProcessInstance.status == "error",
                 ProcessInstance.error_element == filters.step)))
    if filters.overdue:
        where.append(exists(select(HumanTask.id).where(
            HumanTask.instance_id == ProcessInstance.id,
            HumanTask.state.in_(runtime.OPEN_STATES), HumanTask.due_at < ctx.clock.now())))
    if filters.started_from:
        where.append(ProcessInstance.created_at >= _day_start(filters.started_from))
    if filters.started_to:
        where.append(ProcessInstance.created_at <
                     _day_start(filters.started_to) + timedelta(days=1))
    return where


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def status_totals(ctx: EngineContext, session: Session, actor: Actor,
                  filters: InstanceFilter) -> dict[str, int]:
    """How many instances the actor may follow match ``filters``, per status (the status
    filter itself left out, so each total says what choosing that status would list)."""
    query = (select(ProcessInstance.status, func.count()).where(
        tracking_scope(actor), *filter_conditions(ctx, filters, with_status=False))
        .group_by(ProcessInstance.status))
    found = {status: 0 for status in STATUSES}
    found.update({status: count for status, count in session.execute(query).tuples()})
    return found


def start_instance(ctx: EngineContext, session: Session, actor: Actor, process_id: str,
                   data: dict[str, Any] | None = None,
                   business_key: str | None = None) -> InstanceView:
    """Start the newest version of a process that has a none start event.

    :raise NotAllowed: the actor may not start processes.
    :raise NotFound: no such process is deployed.
    :raise InvalidInput: the process cannot be started without a message.
    """
    if not may_start_instances(actor):
        raise NotAllowed("only process owners and administrators start processes directly")
    definition = ctx.definitions.get(process_id, lambda: latest_definition(session, process_id))
    if not definition.has_none_start:
        raise InvalidInput({"process_id": "this process starts with a message, not directly"})
    row, cached = start_definition(ctx, session, definition, actor, data=data or {},
                                   business_key=business_key)
    return instance_view(session, row, actor, {definition.id: cached.deployment_version})


def start_definition(ctx: EngineContext, session: Session, definition: ProcessDefinition,
                     actor: Actor, data: dict[str, Any] | None = None,
                     business_key: str | None = None, then: runtime.Change | None = None,
                     log: runtime.StepLog | None = None,
                     ) -> tuple[ProcessInstance, CachedSpec]:
    """Create an instance and run its first step: seed ``data``, then ``then`` (e.g. deliver
    the start message), all in one insert."""
    row = runtime.create_instance(ctx, definition, actor.username, business_key)
    workflow, cached = runtime.new_workflow(ctx, session, definition)
    log = log or runtime.StepLog(actor.username)
    log.add(ctx.clock.now(), "instance_started", None, None, process_id=definition.process_id)

    def first(wf: BpmnWorkflow) -> None:
        if data:
            for task in wf.get_tasks(state=TaskState.READY):
                task.set_data(**data)
        if then is not None:
            run_engine_steps(wf)
            then(wf)

    runtime.step(ctx, session, row, workflow, cached, first, log)
    return row, cached


def get_instance(ctx: EngineContext, session: Session, actor: Actor,
                 instance_id: int) -> InstanceView:
    """One instance; showing its data (a case's household data) is logged."""
    row = _scoped(ctx, session, actor, instance_id, "instance read")
    view = instance_view(session, row, actor)
    _record_data_shown(ctx, session, actor, [row], "instance read")
    return view


def _scoped(ctx: EngineContext, session: Session, actor: Actor, instance_id: int,
            what: str) -> ProcessInstance:
    """The instance, if the actor may see it; else the attempt is logged (with the instance's
    case, when there is one) and the answer is the same ``NotFound`` as for a missing one."""
    if not 0 < instance_id <= cursors.MAX_ID:  # no such row can exist (nor be queried)
        raise NotFound(f"instance {instance_id} not found")
    row = session.scalars(select(ProcessInstance).where(
        ProcessInstance.id == instance_id, tracking_scope(actor))).first()
    if row is None:
        case_number = session.scalar(select(ProcessInstance.business_key).where(
            ProcessInstance.id == instance_id))
        record_refusal(ctx, actor, what, str(instance_id), case_number)
        raise NotFound(f"instance {instance_id} not found")
    return row


def _record_data_shown(ctx: EngineContext, session: Session, actor: Actor,
                       rows: list[ProcessInstance], what: str) -> None:
    """Log the cases whose instance data the actor was shown (only those who see data)."""
    if may_see_instance_data(actor):
        numbers = sorted({r.business_key for r in rows if r.business_key})
        record_access(session, actor, ctx.clock.now(), numbers, what)


def list_instances(ctx: EngineContext, session: Session, actor: Actor,
                   process_id: str | None = None,
                   status: str | None = None, business_key: str | None = None,
                   cursor: str | None = None, limit: int = 50,
                   filters: InstanceFilter | None = None) -> Page[InstanceView]:
    """Newest first, keyset-paged on the id so page cost does not grow with the table.

    ``filters`` narrows further (``process_id``, ``status`` and ``business_key`` are its
    fields too, kept as arguments for the callers that have them)."""
    filters = filters or InstanceFilter()
    filters = replace(filters, process_id=process_id or filters.process_id,
                      status=status or filters.status,
                      business_key=business_key or filters.business_key)
    limit = max(1, min(limit, MAX_PAGE))
    # The engine state (kilobytes per row) is never shown in a list.
    query = select(ProcessInstance).options(defer(ProcessInstance.state)).where(
        tracking_scope(actor), *filter_conditions(ctx, filters))
    if not may_see_instance_data(actor):
        query = query.options(defer(ProcessInstance.data))
    if cursor:
        query = query.where(ProcessInstance.id < cursors.cursor_id(cursor))
    rows = session.scalars(query.order_by(ProcessInstance.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    versions = _deployment_versions(session, {r.definition_id for r in rows})
    items = [instance_view(session, r, actor, versions) for r in rows]
    _record_data_shown(ctx, session, actor, list(rows), "instance list")
    return Page(items, str(rows[-1].id) if more and rows else None)


def _deployment_versions(session: Session, definition_ids: set[int]) -> dict[int, int]:
    if not definition_ids:
        return {}
    pairs = session.execute(select(ProcessDefinition.id, Deployment.version)
                            .join(Deployment)
                            .where(ProcessDefinition.id.in_(definition_ids))).all()
    return {definition_id: version for definition_id, version in pairs}


def instance_view(session: Session, row: ProcessInstance, actor: Actor,
                  versions: dict[int, int] | None = None) -> InstanceView:
    if versions is None:
        versions = _deployment_versions(session, {row.definition_id})
    error = (InstanceError(row.error_element, row.error_message, row.error_line)
             if row.status == "error" else None)
    return InstanceView(
        id=row.id, process_id=row.process_id,
        deployment_version=versions.get(row.definition_id), business_key=row.business_key,
        status=row.status, current_elements=list(row.current_elements or []),
        next_timer_due=row.next_timer_due, created_at=row.created_at,
        updated_at=row.updated_at, completed_at=row.completed_at, error=error,
        data=row.data if may_see_instance_data(actor) else None)


def retry_instance(ctx: EngineContext, session: Session, actor: Actor, instance_id: int,
                   data: dict[str, Any] | None = None) -> InstanceView:
    """Re-run the failed element of an instance in ``error``, after merging fixed data.

    :raise Conflict: the instance is not in ``error``.
    """
    if not may_retry_instances(actor):
        raise NotAllowed("only administrators retry failed instances")
    row = _scoped(ctx, session, actor, instance_id, "instance retry")
    if row.status != "error":
        raise Conflict(f"instance {instance_id} is {row.status}, not in error")
    validate(None, data or {}, protected=runtime.SCOPE_VARIABLES)  # never who sees the case
    workflow, cached = runtime.load(ctx, session, row)
    log = runtime.StepLog(actor.username)
    log.add(ctx.clock.now(), "instance_retried", row.error_element, None,
            fixed=sorted((data or {}).keys()))

    def rerun(wf: BpmnWorkflow) -> None:
        for task in wf.get_tasks(state=TaskState.ERROR):
            if data:
                task.set_data(**data)
            task.run()

    runtime.step(ctx, session, row, workflow, cached, rerun, log)
    return instance_view(session, row, actor)
