"""Following process instances in the cockpit: one instance's path, and the heatmap of a process.

Managers and process owners follow instances by case number: which step, since when, whether
late or failed — never the household's data. So an instance's events are shown as kind,
element, time and the actor's role only (an event's detail may quote task data, a reason or an
error message that holds personal data); the error's message and the failing task's data are
for who may see instance data (the administrator, who fixes and retries).

The heatmap counts per element of a process: instances waiting there now (their
``current_elements``), elements passed in a period (the step events, one per task), and for
user tasks the time spent and the deadlines breached (the ``human_task`` rows: created,
completed, due). Timers and message events record no entry moment, so they show counts only.
Counts under ``SUPPRESS_BELOW`` are suppressed for who may not see instance data.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import runtime
from engine.access import READ_FIGURES, Actor, may, may_see_instance_data
from engine.context import EngineContext
from engine.errors import InvalidInput, NotAllowed, NotFound
from engine.instances import (
    InstanceFilter,
    _record_data_shown,
    _scoped,
    filter_conditions,
    instance_view,
)
from engine.models import (
    Deployment,
    DeploymentFile,
    Event,
    HumanTask,
    ProcessDefinition,
    ProcessInstance,
    User,
)
from engine.views import InstanceView

SUPPRESS_BELOW = 5
#: The events that say an element was passed (one per task; a user task has two of them).
PASSED_KINDS = ("element_completed", "task_completed", "timer_fired", "message_caught",
                "gateway_decision")
#: Instances that still sit somewhere in their diagram.
OPEN_STATUSES = ("running", "waiting", "suspended", "error")
MAX_EVENTS = 500
MAX_PERIOD_DAYS = 3660


@dataclass(frozen=True)
class EventLine:
    """One event as a follower of the case sees it: no detail, no person, only a role."""

    at: datetime
    kind: str
    element_id: str | None
    actor_role: str | None


@dataclass(frozen=True)
class InstanceDetail:
    instance: InstanceView
    events: list[EventLine]
    #: elements the instance passed, waits at now, and failed at (for the diagram's colours)
    passed: list[str]
    current: list[str]
    failed: str | None
    #: (process id, name) of the diagrams with something to show, the instance's own first
    diagrams: list[tuple[str, str]]
    #: open tasks: (element, due, overdue)
    open_tasks: list[tuple[str, datetime | None, bool]]
    #: the failing task's data, for who may fix it (None for everyone else)
    error_data: dict[str, Any] | None = None


def instance_detail(ctx: EngineContext, session: Session, actor: Actor,
                    instance_id: int) -> InstanceDetail:
    """One instance for the cockpit; showing its data (administrators only) is logged."""
    row = _scoped(ctx, session, actor, instance_id, "instance read")
    view = instance_view(session, row, actor)
    events = session.execute(
        select(Event.at, Event.kind, Event.element_id, Event.actor)
        .where(Event.instance_id == row.id).order_by(Event.id).limit(MAX_EVENTS)).all()
    roles = _roles(session, {e.actor for e in events if e.actor})
    lines = [EventLine(e.at, e.kind, e.element_id, roles.get(e.actor or "", e.actor and
                                                             _SYSTEM_ACTORS.get(e.actor)))
             for e in events]
    passed = sorted({e.element_id for e in events
                     if e.element_id and e.kind in PASSED_KINDS})
    now = ctx.clock.now()
    tasks = session.execute(select(HumanTask.bpmn_id, HumanTask.due_at).where(
        HumanTask.instance_id == row.id, HumanTask.state.in_(runtime.OPEN_STATES))).all()
    open_tasks = [(t.bpmn_id, t.due_at, t.due_at is not None and t.due_at < now) for t in tasks]
    touched = set(passed) | set(row.current_elements or []) | (
        {row.error_element} if row.error_element else set())
    error_data = (runtime.failing_task_data(ctx, session, row)
                  if may_see_instance_data(actor) else None)
    if may_see_instance_data(actor):
        _record_data_shown(ctx, session, actor, [row], "instance read")
    return InstanceDetail(view, lines, passed, list(row.current_elements or []),
                          row.error_element if row.status == "error" else None,
                          _diagrams(ctx, session, row, touched), open_tasks, error_data)


_SYSTEM_ACTORS = {"timer": "timer", "system": "system"}


def _roles(session: Session, usernames: set[str]) -> dict[str, str]:
    if not usernames:
        return {}
    return dict(session.execute(select(User.username, User.role).where(
        User.username.in_(usernames))).tuples().all())


def _diagrams(ctx: EngineContext, session: Session, row: ProcessInstance,
              touched: set[str]) -> list[tuple[str, str]]:
    """The instance's own diagram, then those of its deployment that hold a touched element."""
    own = session.get(ProcessDefinition, row.definition_id)
    if own is None:
        return []
    siblings = session.scalars(select(ProcessDefinition).where(
        ProcessDefinition.deployment_id == own.deployment_id)
        .order_by(ProcessDefinition.process_id)).all()
    found = [(own.process_id, own.name)]
    for sibling in siblings:
        if sibling.id != own.id and touched & set(_elements(ctx, session, sibling)):
            found.append((sibling.process_id, sibling.name))
    return found


def _elements(ctx: EngineContext, session: Session,
              definition: ProcessDefinition) -> dict[str, tuple[str, str]]:
    """Element id -> (name, kind) of one process (not of what it calls)."""
    cached = ctx.specs.get(session, definition.id)
    found: dict[str, tuple[str, str]] = {}
    for spec in cached.spec.task_specs.values():
        bpmn_id = getattr(spec, "bpmn_id", None)
        if bpmn_id:
            found[bpmn_id] = (getattr(spec, "bpmn_name", None) or bpmn_id,
                              spec.__class__.__name__)
    return found


def definition_for(session: Session, process_id: str,
                   version: int | None = None) -> ProcessDefinition:
    """The process in deployment ``version``, or its newest version."""
    query = (select(ProcessDefinition).join(Deployment)
             .where(ProcessDefinition.process_id == process_id))
    if version is not None:
        query = query.where(Deployment.version == version)
    found = session.scalars(query.order_by(Deployment.version.desc()).limit(1)).first()
    if found is None:
        raise NotFound(f"process {process_id} is not deployed"
                       + (f" in version {version}" if version is not None else ""))
    return found


def diagram_source(session: Session, actor: Actor, process_id: str,
                   version: int | None = None) -> bytes:
    """The BPMN file that holds ``process_id`` (the viewer draws it)."""
    if not may(actor, READ_FIGURES):
        raise NotAllowed("Alleen wie de cijfers leest, ziet de diagrammen in de cockpit.")
    definition = definition_for(session, process_id, version)
    content = session.scalar(select(DeploymentFile.content).where(
        DeploymentFile.deployment_id == definition.deployment_id,
        DeploymentFile.name == definition.file_name))
    if content is None:
        raise NotFound(f"the diagram of {process_id} is missing")
    return bytes(content)


# --- the heatmap -----------------------------------------------------------------------------

@dataclass(frozen=True)
class HeatRow:
    """One element's figures; a count is None when suppressed (shown as "<5")."""

    element_id: str
    name: str
    kind: str
    waiting: int | None
    passed: int | None
    median_seconds: float | None
    p90_seconds: float | None
    breached: int | None
    #: the unsuppressed size class 0–4 for the diagram's colour (no count, just a shade)
    heat: int = 0


@dataclass(frozen=True)
class Heatmap:
    process_id: str
    version: int
    period_from: date
    period_to: date
    municipality: str | None
    rows: list[HeatRow] = field(default_factory=list)
    suppressed: bool = False


def heatmap(ctx: EngineContext, session: Session, actor: Actor, process_id: str,
            period_from: date | None = None, period_to: date | None = None,
            municipality: str | None = None, version: int | None = None) -> Heatmap:
    """Per element of ``process_id``: waiting now, passed in the period, time spent (median,
    90th percentile) and deadlines breached, for instances of the given municipality and
    deployment version (a called process counts within the cases that call it)."""
    if not may(actor, READ_FIGURES):
        raise NotAllowed("Alleen wie de cijfers leest, ziet de heatmap.")
    today = ctx.clock.now().date()
    period_to = period_to or today
    period_from = period_from or period_to - timedelta(days=30)
    if period_from > period_to:
        raise InvalidInput({"period_to": "ligt voor de begindatum"})
    if (period_to - period_from).days > MAX_PERIOD_DAYS:
        raise InvalidInput({"period_from": "de periode is te lang (hoogstens tien jaar)"})
    definition = definition_for(session, process_id, version)
    deployment_version = session.scalar(select(Deployment.version).where(
        Deployment.id == definition.deployment_id)) or 0
    elements = _elements(ctx, session, definition)
    ids = list(elements)
    scope = filter_conditions(ctx, InstanceFilter(
        version=version, municipality=municipality or None))
    start = datetime.combine(period_from, time(0, 0), tzinfo=UTC)
    end = datetime.combine(period_to, time(0, 0), tzinfo=UTC) + timedelta(days=1)
    now = ctx.clock.now()

    waiting: dict[str, int] = {}
    for (current,) in session.execute(select(ProcessInstance.current_elements).where(
            ProcessInstance.status.in_(OPEN_STATUSES), *scope)):
        for element in current or []:
            if element in elements:
                waiting[element] = waiting.get(element, 0) + 1
    passed = dict(session.execute(
        select(Event.element_id, func.count(func.distinct(Event.task_id)))
        .join(ProcessInstance, ProcessInstance.id == Event.instance_id)
        .where(Event.element_id.in_(ids), Event.kind.in_(PASSED_KINDS),
               Event.task_id.is_not(None), Event.at >= start, Event.at < end, *scope)
        .group_by(Event.element_id)).tuples().all())
    durations: dict[str, list[float]] = {}
    breached: dict[str, int] = {}
    task_rows = session.execute(
        select(HumanTask.bpmn_id, HumanTask.state, HumanTask.created_at,
               HumanTask.completed_at, HumanTask.due_at)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(HumanTask.process_id == process_id, *scope,
               ((HumanTask.state == "completed") & (HumanTask.completed_at >= start)
                & (HumanTask.completed_at < end))
               | (HumanTask.state.in_(runtime.OPEN_STATES) & (HumanTask.due_at < now))))
    for bpmn_id, state, created, completed, due in task_rows:
        if state == "completed" and completed is not None:
            durations.setdefault(bpmn_id, []).append((completed - created).total_seconds())
            late = due is not None and completed > due
        else:
            late = True
        if late:
            breached[bpmn_id] = breached.get(bpmn_id, 0) + 1

    suppress = not may_see_instance_data(actor)
    top = max([*waiting.values(), 1])
    rows = []
    for element_id, (name, kind) in elements.items():
        if kind in _HIDDEN_KINDS:
            continue
        spent = sorted(durations.get(element_id, []))
        small = suppress and 0 < len(spent) < SUPPRESS_BELOW
        rows.append(HeatRow(
            element_id, name, kind,
            _shown(waiting.get(element_id, 0), suppress),
            _shown(passed.get(element_id, 0), suppress),
            None if small or not spent else statistics.median(spent),
            None if small or not spent else _percentile(spent, 0.9),
            _shown(breached.get(element_id, 0), suppress),
            heat=_heat(waiting.get(element_id, 0), top)))
    rows.sort(key=lambda r: (-(r.heat), r.element_id))
    return Heatmap(process_id, deployment_version, period_from, period_to, municipality, rows,
                   suppress)


#: Spec classes that are no element of the drawing (the library's own start and end).
_HIDDEN_KINDS = frozenset({"BpmnStartTask", "SimpleBpmnTask", "_EndJoin", "BoundaryEventSplit",
                           "BoundaryEventJoin"})


def _shown(count: int, suppress: bool) -> int | None:
    """The count, or None when it must be suppressed (1 to 4 for who sees no data)."""
    return None if suppress and 0 < count < SUPPRESS_BELOW else count


def _percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted ``values``."""
    rank = max(1, -(-len(values) * share // 1))
    return values[int(rank) - 1]


def _heat(count: int, top: int) -> int:
    """A shade 0–4: nobody, then four bands relative to the busiest element."""
    if count <= 0:
        return 0
    return min(4, 1 + int(3 * count / top))


@dataclass(frozen=True)
class FilterChoices:
    processes: list[tuple[str, str]]
    versions: list[int]


def filter_choices(session: Session) -> FilterChoices:
    """The processes (id, name of the newest version) and deployment versions to filter on."""
    names: dict[str, str] = {}
    for process_id, name in session.execute(
            select(ProcessDefinition.process_id, ProcessDefinition.name)
            .join(Deployment).order_by(Deployment.version)).tuples():
        names[process_id] = name
    versions = list(session.scalars(select(Deployment.version).order_by(
        Deployment.version.desc())))
    return FilterChoices(sorted(names.items()), versions)
