"""One engine step: load -> change -> engine steps -> save, inside the caller's transaction.

This is the only code that holds a live ``BpmnWorkflow``. After every step it writes, in the
same transaction: the workflow state (without spec), the instance status, the ``human_task``
projection, ``next_timer_due``, the waiting message names, the correlation columns and the
events of what happened. The version column makes a second writer of the same instance fail
with ``Conflict`` instead of silently winning. Failures inside the diagram (a script, a gateway
with no matching branch) put the instance in ``error`` with element, message and line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from time import perf_counter
from typing import Any, cast
from uuid import UUID
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.spiff.specs.event_definitions import (
    MessageEventDefinition as SpiffMessageEventDefinition,
)
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Table, and_, delete, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from engine import clock as clock_module
from engine import metrics
from engine.bundles import DUE_PROPERTY
from engine.context import EngineContext
from engine.engine_steps import run_engine_steps
from engine.errors import Conflict, EngineError
from engine.models import (
    Event,
    HumanTask,
    InstanceCorrelation,
    Message,
    ProcessDefinition,
    ProcessInstance,
)
from engine.serialization import CURRENT_VERSION, LIBRARY_VERSION, dump_workflow, load_workflow
from engine.specs import CachedSpec
from engine.step_rows import write_with_children

LOCAL_TZ = ZoneInfo("Europe/Amsterdam")
OPEN_STATES = ("open", "claimed")
_HUMAN_TASKS = cast(Table, HumanTask.__table__)
_EVENTS = cast(Table, Event.__table__)
#: The variables that decide who may see an instance, its tasks and its case (its queue, and
#: the correlation that routes a case's messages): the process sets them, never form data.
SCOPE_VARIABLES = frozenset({"municipality", "corporation", "case_number"})
Change = Callable[[BpmnWorkflow], None]


@dataclass
class StepLog:
    """What happened during a step, written as events when the step is saved."""

    actor: str | None
    events: list[dict[str, Any]] = field(default_factory=list)
    thrown: list[BpmnEvent] = field(default_factory=list)
    #: human tasks this step completed itself (their rows are already updated)
    completed_tasks: set[str] = field(default_factory=set)
    #: human tasks this step made ready (rows as inserted)
    new_tasks: list[dict[str, Any]] = field(default_factory=list)
    #: kept messages this step delivered (their instance may not have an id yet)
    kept_delivered: list[Message] = field(default_factory=list)
    #: loaded rows the caller changed for this step (the task it completes): saved with the
    #: instance, each guarded by its version
    changed_rows: list[Any] = field(default_factory=list)

    def add(self, at: datetime, kind: str, element_id: str | None = None,
            task_id: str | None = None, **detail: Any) -> None:
        self.events.append({"at": at, "kind": kind, "element_id": element_id,
                            "task_id": task_id, "actor": self.actor, "detail": detail or None})


# --- the SpiffWorkflow clock ----------------------------------------------------------------

def _install_clock() -> None:
    """Point SpiffWorkflow's timer module at our clock (it calls ``datetime.now`` itself)."""
    import SpiffWorkflow.bpmn.specs.event_definitions.timer as timer_module

    class ClockDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> ClockDatetime:
            moment = clock_module.current().now()
            moment = moment.astimezone(tz) if tz is not None else moment.replace(tzinfo=None)
            return cls(moment.year, moment.month, moment.day, moment.hour, moment.minute,
                       moment.second, moment.microsecond, moment.tzinfo)

    timer_module.datetime = ClockDatetime


_install_clock()


# --- loading and creating -------------------------------------------------------------------

def new_workflow(ctx: EngineContext, session: Session, definition: ProcessDefinition,
                 ) -> tuple[BpmnWorkflow, CachedSpec]:
    cached = ctx.specs.get(session, definition.id)
    workflow = BpmnWorkflow(cached.spec, cached.subprocess_specs,
                            script_engine=ctx.script_engine)
    return workflow, cached


def load(ctx: EngineContext, session: Session, row: ProcessInstance, read_only: bool = False,
         ) -> tuple[BpmnWorkflow, CachedSpec]:
    """Restore the workflow of ``row``, with the restricted script engine set on it.

    A step takes the workflow out of the cache (it puts it back when saved); a ``read_only``
    caller, which must not change it, leaves it there for the next step.
    """
    if row.state is None:
        raise Conflict(f"instance {row.id} is {row.status} and has no engine state")
    cached = ctx.specs.get(session, row.definition_id)
    workflow = ctx.workflows.take(row.id, row.state)
    if workflow is None:
        workflow = load_workflow(row.state, cached.spec, cached.subprocess_specs)
    workflow.script_engine = ctx.script_engine
    if read_only:
        ctx.workflows.put(row.id, row.state, workflow)
    return workflow, cached


def create_instance(ctx: EngineContext, definition: ProcessDefinition, actor: str | None,
                    business_key: str | None = None) -> ProcessInstance:
    now = ctx.clock.now()
    row = ProcessInstance(
        definition_id=definition.id, process_id=definition.process_id,
        business_key=business_key, status="running", state=None, serializer_version=None,
        library_version=LIBRARY_VERSION, waiting_messages=[], open_task_ids=[],
        correlations={}, current_elements=[], started_by=actor, created_at=now,
        updated_at=now)
    return row  # not in the session yet: the step's save inserts it (``write_with_children``)


def failing_task_data(ctx: EngineContext, session: Session,
                      row: ProcessInstance) -> dict[str, Any] | None:
    """The data of the task an instance in ``error`` failed at (what a retry re-runs with),
    as JSON; None when there is none."""
    if row.status != "error" or row.state is None:
        return None
    workflow, _cached = load(ctx, session, row, read_only=True)
    failing = workflow.get_tasks(state=TaskState.ERROR)
    return json_safe(dict(failing[0].data)) if failing else None


# --- the step --------------------------------------------------------------------------------

def step(ctx: EngineContext, session: Session, row: ProcessInstance, workflow: BpmnWorkflow,
         cached: CachedSpec, change: Change | None, log: StepLog,
         recheck_kept: bool = False) -> None:
    """Apply ``change``, run the engine, deliver kept messages, and save — all or nothing.

    Diagram failures become the instance's ``error`` state; our own ``EngineError``s and
    database errors propagate so the caller's transaction rolls back. ``recheck_kept``: look
    for kept messages even when the step waits for nothing new (a resumed instance).
    """
    started = perf_counter()
    now = ctx.clock.now()
    error: tuple[str | None, str, int | None] | None = None
    with clock_module.bind(ctx.clock):
        try:
            if change is not None:
                change(workflow)
            _run(ctx, workflow, log)
            _deliver_kept_messages(ctx, session, row, workflow, log, recheck_kept)
            _guard_depth(ctx, workflow)
        except (EngineError, SQLAlchemyError):
            raise
        except Exception as failure:  # anything the diagram's own code raised
            error = describe_failure(failure)
    save(ctx, session, row, workflow, cached, log, now, error)
    metrics.observe_step(log.actor, perf_counter() - started, error is not None)


def _run(ctx: EngineContext, workflow: BpmnWorkflow, log: StepLog) -> None:
    def did_complete(task: Task) -> None:
        _log_completed(ctx, task, log)

    run_engine_steps(workflow, did_complete)
    log.thrown.extend(workflow.get_events())


def complete_task(workflow: BpmnWorkflow, task_id: str, data: dict[str, Any],
                  log: StepLog, at: datetime) -> None:
    """Fill in and run a READY human task (used as a step's change)."""
    task = workflow.get_task_from_id(UUID(task_id))
    if task is None or task.state != TaskState.READY or not task.task_spec.manual:
        raise Conflict("this task is no longer open")
    task.set_data(**data)
    task.run()
    log.completed_tasks.add(task_id)
    log.add(at, "task_completed", task.task_spec.bpmn_id, task_id)


class LoopLimitExceeded(Exception):
    def __init__(self, depth: int, element: str | None) -> None:
        super().__init__(f"the process looped too often (task depth {depth}); stopped to keep "
                         "the library from silently dropping tasks")
        self.element = element


def _guard_depth(ctx: EngineContext, workflow: BpmnWorkflow) -> None:
    """Fail loudly where SpiffWorkflow would silently stop (tasks deeper than ~1000)."""
    limit = ctx.settings.max_task_depth
    trees = [workflow, *workflow.subprocesses.values()]
    if sum(len(w.tasks) for w in trees) < limit:
        return
    for tree in trees:
        depth: dict[Any, int] = {}
        for task_id, task in tree.tasks.items():
            chain = []
            node = task
            while node is not None and node.id not in depth:
                chain.append(node)
                node = node.parent
            base = depth[node.id] if node is not None else -1
            for item in reversed(chain):
                base += 1
                depth[item.id] = base
            if depth[task_id] >= limit:
                raise LoopLimitExceeded(depth[task_id], task.task_spec.bpmn_id)


def describe_failure(failure: Exception) -> tuple[str | None, str, int | None]:
    """The element, first line of the message and script line of a failure, fit to store."""
    task = getattr(failure, "task", None)
    task_spec = getattr(failure, "task_spec", None) or (task.task_spec if task else None)
    element = getattr(task_spec, "bpmn_id", None) or getattr(task_spec, "name", None)
    element = element or getattr(failure, "element", None)
    line = getattr(failure, "line_number", None)
    message = str(failure).splitlines()[0] if str(failure) else type(failure).__name__
    return (_storable(element) if element else None, _storable(message),
            line if isinstance(line, int) and line > 0 else None)


def _storable(text: str) -> str:
    """``text`` without what a database cannot store (NUL, lone surrogates): a failure may
    quote the bad data."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _log_completed(ctx: EngineContext, task: Task, log: StepLog) -> None:
    spec = task.task_spec
    if spec.bpmn_id is None:
        return
    now = ctx.clock.now()
    parent = task.parent
    source = parent.task_spec.bpmn_id if parent is not None else None
    event_definition = getattr(spec, "event_definition", None)
    if spec.__class__.__name__.endswith("Gateway"):
        taken = [c.task_spec.bpmn_id for c in task.children
                 if not c.has_state(TaskState.PREDICTED_MASK | TaskState.CANCELLED)]
        log.add(now, "gateway_decision", spec.bpmn_id, str(task.id), taken=taken, source=source)
    elif isinstance(event_definition, TimerEventDefinition):
        # the lag from the due moment to the firing: how far behind the timer loop runs
        due = _fired_due(task)
        lag = {"lag_seconds": round((now - due).total_seconds(), 3)} if due else {}
        log.add(now, "timer_fired", spec.bpmn_id, str(task.id), source=source, **lag)
    elif isinstance(event_definition, MessageEventDefinition) and spec.__class__.__name__ in (
            "StartEvent", "IntermediateCatchEvent", "BoundaryEvent", "ReceiveTask"):
        log.add(now, "message_caught", spec.bpmn_id, str(task.id), message=event_definition.name,
                source=source)
    else:
        log.add(now, "element_completed", spec.bpmn_id, str(task.id), source=source)


# --- messages kept for later -----------------------------------------------------------------

def waiting_message_names(workflow: BpmnWorkflow) -> list[str]:
    names: set[str] = set()
    for task in workflow.event_manager.tasks.values():
        definition = task.task_spec.event_definition
        definitions = (definition.event_definitions
                       if isinstance(definition, MultipleEventDefinition) else [definition])
        names.update(d.name for d in definitions if isinstance(d, MessageEventDefinition))
    return sorted(names)


def flat_correlations(workflow: BpmnWorkflow) -> list[tuple[str, str, str]]:
    return sorted((key, prop, str(value))
                  for key, props in (workflow.correlations or {}).items()
                  for prop, value in props.items() if value is not None)


def deliver(workflow: BpmnWorkflow, name: str, payload: dict[str, Any],
            correlation_name: str | None, correlation_value: str | None) -> bool:
    """Offer a message to the workflow; True when a waiting catch event took it."""
    correlations = {key: props for key, props in (workflow.correlations or {}).items()
                    if correlation_name is None or
                    str(props.get(correlation_name)) == correlation_value}
    if correlation_name is not None and not correlations:
        return False
    if correlation_name is not None:
        payload = {correlation_name: correlation_value, **payload}
    event = BpmnEvent(SpiffMessageEventDefinition(name), payload=payload,
                      correlations=correlations)
    if not workflow.get_tasks(catches_event=event):
        return False
    workflow.send_event(event)
    return True


def _deliver_kept_messages(ctx: EngineContext, session: Session, row: ProcessInstance,
                           workflow: BpmnWorkflow, log: StepLog, recheck: bool = False) -> None:
    """Deliver messages kept for this instance that a catch event now waits for.

    A message is kept only when nothing waited for it when it arrived (or the instance was in
    error), so only a step that starts waiting for a new message name, or follows an error,
    can make one deliverable; other steps skip the lookup.
    """
    before = set(row.waiting_messages or [])
    if not recheck and row.status != "error" and set(waiting_message_names(workflow)) <= before:
        return
    for _round in range(20):
        waiting = waiting_message_names(workflow)
        pairs = [(prop, value) for _key, prop, value in flat_correlations(workflow)]
        if not waiting or not pairs:
            return
        kept = session.scalars(
            select(Message).where(
                Message.status == "pending", Message.name.in_(waiting),
                or_(*[and_(Message.correlation_name == p, Message.correlation_value == v)
                      for p, v in pairs]))
            .order_by(Message.id).limit(1)).first()
        if kept is None:
            return
        if not deliver(workflow, kept.name, kept.payload, kept.correlation_name,
                       kept.correlation_value):
            return
        kept.status = "delivered"
        kept.delivered_at = ctx.clock.now()
        log.kept_delivered.append(kept)  # its instance id is set once the row is written
        log.add(kept.delivered_at, "message_delivered", None, None, message=kept.name,
                message_id=kept.id, kept=True)
        _run(ctx, workflow, log)


# --- saving ----------------------------------------------------------------------------------

def _fired_due(task: Task) -> datetime | None:
    """When the fired timer ``task`` was due (None when its value cannot be read)."""
    try:
        return timer_due(task)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def timer_due(task: Task) -> datetime | None:
    definition = task.task_spec.event_definition
    definitions = (definition.event_definitions
                   if isinstance(definition, MultipleEventDefinition) else [definition])
    value = task.internal_data.get("event_value")
    if value is None:
        return None
    for d in definitions:
        moment: datetime | None = None
        if isinstance(d, CycleTimerEventDefinition):
            moment = datetime.fromisoformat(value["next"]) if value.get("cycles") else None
        elif isinstance(d, DurationTimerEventDefinition):
            moment = TimerEventDefinition.get_datetime(value)
        elif isinstance(d, TimeDateEventDefinition):
            moment = TimerEventDefinition.parse_time_or_duration(value)
        if moment is not None:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def _due_at(task: Task) -> datetime | None:
    properties = (task.task_spec.extensions or {}).get("properties", {})
    variable = properties.get(DUE_PROPERTY)
    value = task.data.get(variable) if variable else None
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=LOCAL_TZ)
    try:
        if isinstance(value, date):
            day = value
        elif len(str(value)) > 10:
            parsed = datetime.fromisoformat(str(value))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=LOCAL_TZ)
        else:
            day = date.fromisoformat(str(value))
    except ValueError:
        return None
    return datetime.combine(day, time(23, 59), tzinfo=LOCAL_TZ)


def _scope(row: ProcessInstance, workflow: BpmnWorkflow,
           task: Task | None = None) -> tuple[str | None, str | None]:
    """The instance's municipality and corporation: the row's, once it has them.

    Only an instance without them yet (its first step, where the intake's start message sets
    them) takes them from the workflow data; later data, from a form or anywhere else, can
    never move a case or its new tasks to another queue.
    """
    if row.municipality and row.corporation:
        return row.municipality, row.corporation
    data = task.data if task is not None else workflow.data
    top = workflow.task_tree.data if workflow.task_tree is not None else {}
    municipality = row.municipality or data.get("municipality") or \
        workflow.data.get("municipality") or top.get("municipality")
    corporation = row.corporation or data.get("corporation") or \
        workflow.data.get("corporation") or top.get("corporation")
    return (str(municipality) if municipality else None,
            str(corporation) if corporation else None)


def json_safe(value: Any) -> Any:
    """Task data as plain JSON (dates and decimals as strings) for the final data column."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items() if not callable(v)}
    if isinstance(value, list | tuple | set):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def save(ctx: EngineContext, session: Session, row: ProcessInstance, workflow: BpmnWorkflow,
         cached: CachedSpec, log: StepLog, now: datetime,
         error: tuple[str | None, str, int | None] | None) -> None:
    """Write state, projections and events; raise ``Conflict`` if another writer won."""
    ready = [] if error else workflow.get_tasks(state=TaskState.READY, manual=True)
    completed = error is None and workflow.is_completed()
    row.updated_at = now
    if error is not None:
        row.status = "error"
        row.error_element, row.error_message, row.error_line = error
        log.add(now, "error", error[0], None, message=error[1], line=error[2])
    else:
        row.error_element = row.error_message = row.error_line = None
        if row.timer_failures or row.timer_retry_at is not None:
            row.timer_failures, row.timer_retry_at = 0, None  # the case moves again
    if completed:
        final = workflow.last_task.data if workflow.last_task is not None else workflow.data
        row.data = json_safe({**workflow.data, **final})
        row.state = None
        row.serializer_version = None
        row.status = "completed"
        row.completed_at = now
        row.next_timer_due = None
        row.waiting_messages = []
        row.current_elements = []
        log.add(now, "instance_completed", None, None)
    else:
        row.state = dump_workflow(workflow)
        row.serializer_version = CURRENT_VERSION
        waiting_tasks = list(workflow.event_manager.tasks.values())
        dues = [d for d in (timer_due(t) for t in waiting_tasks) if d is not None]
        row.next_timer_due = min(dues) if dues else None
        row.waiting_messages = waiting_message_names(workflow)
        row.current_elements = sorted({t.task_spec.bpmn_id for t in (*ready, *waiting_tasks)
                                       if t.task_spec.bpmn_id})
        if error is None:
            row.status = "running" if ready else "waiting"
    row.municipality, row.corporation = _scope(row, workflow,
                                               ready[0] if ready else workflow.last_task)
    correlation_rows = _correlation_changes(row, workflow)
    new_tasks, gone = _human_task_changes(row, workflow, cached, ready, log, now,
                                          keep=error is not None)
    new_instance = row.id is None  # nothing of it is in the tables yet
    # raises Conflict if another writer won; the new tasks and the events go with the row
    write_with_children(session, row, ((_HUMAN_TASKS, new_tasks), (_EVENTS, log.events)),
                        also=log.changed_rows)
    log.events.clear()
    log.changed_rows.clear()
    for kept in log.kept_delivered:
        kept.instance_id = row.id
    # The projections go straight to the tables: plain rows, no unit of work needed.
    connection = session.connection()
    if correlation_rows is not None:
        correlations = cast(Table, InstanceCorrelation.__table__)
        if not new_instance:
            connection.execute(delete(correlations)
                               .where(correlations.c.instance_id == row.id))
        if correlation_rows:
            connection.execute(insert(correlations),
                               [{**r, "instance_id": row.id} for r in correlation_rows])
    if gone:
        connection.execute(
            update(_HUMAN_TASKS)
            .where(_HUMAN_TASKS.c.id.in_(gone), _HUMAN_TASKS.c.state.in_(OPEN_STATES))
            .values(state="cancelled", completed_at=now, version=_HUMAN_TASKS.c.version + 1))
    for hook in ctx.hooks.after_step:
        hook(ctx, session, row, workflow, ready)
    if row.state is not None and error is None:
        ctx.workflows.put(row.id, row.state, workflow)


def _correlation_changes(row: ProcessInstance,
                         workflow: BpmnWorkflow) -> list[dict[str, str]] | None:
    """New correlation rows when the workflow's correlations changed, else None."""
    current = json_safe({key: dict(props)
                         for key, props in (workflow.correlations or {}).items()})
    if current == (row.correlations or {}):
        return None
    row.correlations = current
    if row.business_key is None:
        for props in current.values():
            if props.get("case_number"):
                row.business_key = str(props["case_number"])
    return [{"key_name": k, "name": p, "value": v} for k, p, v in flat_correlations(workflow)]


def _human_task_changes(row: ProcessInstance, workflow: BpmnWorkflow, cached: CachedSpec,
                        ready: list[Task], log: StepLog, now: datetime,
                        keep: bool) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows to insert for newly READY human tasks and ids of tasks that went away."""
    if keep:
        return [], []
    previous = set(row.open_task_ids or [])
    current = {str(t.id): t for t in ready}
    new_rows = []
    for task_id, task in current.items():
        if task_id in previous:
            continue
        spec = task.task_spec
        municipality, corporation = _scope(row, workflow, task)
        process_id = task.workflow.spec.name
        new_rows.append({
            "id": task_id, "process_id": process_id,
            "case_number": row.business_key, "bpmn_id": spec.bpmn_id,
            "name": spec.bpmn_name or spec.bpmn_id, "role": spec.lane,
            "municipality": municipality, "corporation": corporation, "state": "open",
            "form_file": cached.forms.get((process_id, spec.bpmn_id)),
            "instructions": ((spec.extensions or {}).get("instructionsForEndUser") or None),
            "due_at": _due_at(task), "created_at": now, "version": 1,
            "assignee_id": None, "completed_at": None, "completed_by": None,
        })
        log.add(now, "task_ready", spec.bpmn_id, task_id, role=spec.lane)
    gone = [task_id for task_id in previous
            if task_id not in current and task_id not in log.completed_tasks]
    log.new_tasks.extend(new_rows)
    if set(current) != previous:
        row.open_task_ids = sorted(current)
    return new_rows, gone
