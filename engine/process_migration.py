"""Moving running instances of a process to another version (N -> N+1), case by case.

SpiffWorkflow aligns an instance's task tree with the new spec (``diff_workflow``) and swaps the
specs (``migrate_workflow``). What it does not do, we do here:

- decide per instance whether it can move, and say why not: the element it waits in was
  removed, or changed in a way that matters to the waiting (its type, its role, its form, its
  message), a completed step whose element is gone (the stored state would no longer load), a
  called process missing from the new version; and prove the rest by migrating a copy and
  restoring it onto the new spec;
- keep the due time of a timer that exists in both versions: ``migrate_workflow`` resets READY
  and WAITING branches, which starts every waiting timer anew from the moment of migration;
  the stored due value (``internal_data["event_value"]``, see ``engine.timers``) is put back;
- run the migration as a job: stored first, then one instance per transaction with its own
  event, so any web worker can show the progress and a failing case never stops the others.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any, cast

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import WorkflowDiff, diff_workflow, migrate_workflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from engine import clock as clock_module
from engine import runtime
from engine.access import EDIT_PROCESSES, Actor, may
from engine.bundles import FORM_PROPERTY
from engine.context import EngineContext
from engine.errors import Conflict, EngineError, InvalidInput, NotAllowed, NotFound
from engine.models import (
    Deployment,
    DeploymentFile,
    HumanTask,
    MigrationJob,
    MigrationJobItem,
    ProcessDefinition,
    ProcessInstance,
)
from engine.process_catalogue import RUNNING_STATUSES, definition_at
from engine.serialization import dump_workflow, load_workflow, spec_registry
from engine.specs import CachedSpec

log = logging.getLogger(__name__)

#: Spec attributes whose change does not matter to an instance waiting in that element: the
#: wiring (checked where it matters, on the elements themselves) and labels.
_HARMLESS = frozenset({"inputs", "outputs", "bpmn_name", "description", "documentation",
                       "lookahead", "extensions", "event_definition"})
_ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
#: A job whose heartbeat is older than this has lost its runner.
STALE_AFTER = timedelta(seconds=60)
MAX_INSTANCES = 5000

_running: dict[str, threading.Thread] = {}


@dataclass(frozen=True)
class Candidate:
    """One running instance of the source version and whether it can move."""

    instance_id: int
    case_number: str | None
    status: str
    current_elements: list[str]
    can_move: bool
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Plan:
    process_id: str
    source_version: int
    target_version: int
    candidates: list[Candidate]

    @property
    def movable(self) -> int:
        return sum(1 for c in self.candidates if c.can_move)


@dataclass(frozen=True)
class JobItem:
    instance_id: int
    case_number: str | None
    status: str | None
    reason: str | None


@dataclass(frozen=True)
class JobStatus:
    """What the progress page polls: ``queued``, ``running``, ``done`` or ``interrupted``."""

    id: str
    process_id: str
    source_version: int
    target_version: int
    status: str
    total: int
    processed: int
    migrated: int
    refused: int
    items: list[JobItem]


def _require(actor: Actor) -> None:
    if actor.is_machine or not may(actor, EDIT_PROCESSES):
        raise NotAllowed("alleen procesbeheerders migreren lopende zaken")


# --- deciding -----------------------------------------------------------------------------------

@dataclass
class _Target:
    cached: CachedSpec
    version: int
    #: (process id, user task id) -> sha256 of the form file, in source and target
    source_forms: dict[tuple[str, str], str]
    target_forms: dict[tuple[str, str], str]


def _form_hashes(session: Session, cached: CachedSpec) -> dict[tuple[str, str], str]:
    shas = dict(session.execute(select(DeploymentFile.name, DeploymentFile.sha256).where(
        DeploymentFile.deployment_id == cached.deployment_id)).tuples().all())
    return {key: shas.get(name, "") for key, name in cached.forms.items()}


def _target(ctx: EngineContext, session: Session, source: ProcessDefinition,
            target: ProcessDefinition) -> _Target:
    source_cached = ctx.specs.get(session, source.id)
    target_cached = ctx.specs.get(session, target.id)
    version = int(session.scalar(select(Deployment.version).where(
        Deployment.id == target.deployment_id)) or 0)
    return _Target(target_cached, version, _form_hashes(session, source_cached),
                   _form_hashes(session, target_cached))


def _label(task: Task) -> str:
    spec = task.task_spec
    name = spec.bpmn_name or spec.bpmn_id or spec.name
    return f"‘{name}’ ({spec.bpmn_id})" if spec.bpmn_id and name != spec.bpmn_id else f"‘{name}’"


def _is_timer(spec: Any) -> bool:
    return isinstance(getattr(spec, "event_definition", None), TimerEventDefinition)


def _reasons(workflow: BpmnWorkflow, target: _Target) -> list[str]:
    """Why the instance cannot move to the target version (none: it can)."""
    version = target.version
    reasons: list[str] = []
    top, subs = diff_workflow(spec_registry(), workflow, target.cached.spec,
                              target.cached.subprocess_specs)
    diffs: list[tuple[BpmnWorkflow, WorkflowDiff | None]] = [(workflow, top)]
    diffs += [(workflow.subprocesses[sp_id], d) for sp_id, d in subs.items()]
    for sub, diff in diffs:
        if diff is None:
            if sub.get_tasks(state=_ACTIVE):
                reasons.append(f"het aangeroepen proces ‘{sub.spec.name}’ bestaat niet meer in "
                               f"versie {version}")
            continue
        removed = set(diff.removed)
        for task in diff.removed:
            if not task.state & _ACTIVE and task.state & (TaskState.COMPLETED |
                                                          TaskState.CANCELLED) \
                    and task.task_spec.bpmn_id:
                reasons.append(f"de afgeronde stap {_label(task)} bestaat niet meer in versie "
                               f"{version}")
        for task in sub.get_tasks(state=_ACTIVE, skip_subprocesses=True):
            if task in removed:
                reasons.append(f"wacht in {_label(task)}, dat in versie {version} niet meer "
                               "bestaat")
            else:
                reasons.extend(_active_change(task, diff.alignment.get(task), sub, target))
    return sorted(set(reasons))


def _active_change(task: Task, new_spec: Any, sub: BpmnWorkflow,
                   target: _Target) -> list[str]:
    """What matters of a change to the element an instance waits in."""
    if new_spec is None:
        return []
    old_spec = task.task_spec
    version = target.version
    old_d = spec_registry().convert(old_spec)
    new_d = spec_registry().convert(new_spec)
    if old_spec.name != new_spec.name:  # aligned by position with another element
        return [f"wacht in {_label(task)}, dat in versie {version} niet meer bestaat"]
    if old_d.get("typename") != new_d.get("typename"):
        return [f"wacht in {_label(task)}, dat in versie {version} een ander soort element is"]
    changed = {k for k, v in old_d.items() if new_d.get(k) != v}
    reasons: list[str] = []
    if "lane" in changed:
        reasons.append(f"wacht in {_label(task)}, dat in versie {version} bij een andere rol "
                       "hoort")
    if "event_definition" in changed and not (_is_timer(old_spec) and _is_timer(new_spec)):
        reasons.append(f"wacht in {_label(task)}, waarvan in versie {version} de gebeurtenis "
                       "(bericht of signaal) is gewijzigd")
    if getattr(old_spec, "manual", False):
        process_id = sub.spec.name
        key = (process_id, old_spec.bpmn_id)
        old_form = target.source_forms.get(key)
        new_form = target.target_forms.get(key)
        old_name = (old_spec.extensions or {}).get("properties", {}).get(FORM_PROPERTY)
        new_name = (new_spec.extensions or {}).get("properties", {}).get(FORM_PROPERTY)
        if old_form != new_form or old_name != new_name:
            reasons.append(f"wacht in {_label(task)}, waarvan het formulier in versie "
                           f"{version} is gewijzigd")
    other = sorted(changed - _HARMLESS - {"lane", "typename"})
    if other:
        reasons.append(f"wacht in {_label(task)}, dat in versie {version} is gewijzigd "
                       f"({', '.join(other)})")
    return reasons


def _apply(ctx: EngineContext, workflow: BpmnWorkflow, target: CachedSpec) -> list[str]:
    """Migrate ``workflow`` to ``target`` in place, keeping the due time of every waiting
    timer whose element exists in both versions; returns those elements' ids.

    The reset re-predicts the waiting branches, and SpiffWorkflow asks each timer there
    whether it is due: on the engine's clock (as every step does), or a timer would be judged
    by the machine's time and fire at once wherever the two differ."""
    with clock_module.bind(ctx.clock):
        return _apply_on_clock(workflow, target)


def _apply_on_clock(workflow: BpmnWorkflow, target: CachedSpec) -> list[str]:
    saved: dict[Any, tuple[str, Any]] = {}
    for task in workflow.get_tasks(state=TaskState.WAITING):
        value = task.internal_data.get("event_value")
        if value is not None and _is_timer(task.task_spec):
            saved[task.id] = (task.task_spec.bpmn_id, value)
    top, subs = diff_workflow(spec_registry(), workflow, target.spec,
                              target.subprocess_specs)
    migrate_workflow(top, workflow, target.spec)
    for sp_id, diff in subs.items():
        sub = workflow.subprocesses[sp_id]
        if diff is not None:
            migrate_workflow(diff, sub, target.subprocess_specs[sub.spec.name])
    workflow.subprocess_specs = target.subprocess_specs
    kept: list[str] = []
    for task_id, (bpmn_id, value) in saved.items():
        task = workflow.get_task_from_id(task_id)
        if task is not None and task.task_spec.bpmn_id == bpmn_id and \
                _is_timer(task.task_spec):
            task.internal_data["event_value"] = value
            kept.append(bpmn_id)
    return sorted(kept)


def _check(ctx: EngineContext, row: ProcessInstance, source: CachedSpec,
           target: _Target) -> list[str]:
    """Reasons against moving ``row``; a clean answer is proven by migrating a copy."""
    if row.status == "error":
        return ["staat in fout: herstel de zaak eerst"]
    if row.state is None:
        return ["heeft geen engine-toestand (afgerond)"]
    try:
        workflow = load_workflow(row.state, source.spec, source.subprocess_specs)
        reasons = _reasons(workflow, target)
        if reasons:
            return reasons
        _apply(ctx, workflow, target.cached)
        load_workflow(dump_workflow(workflow), target.cached.spec,
                      target.cached.subprocess_specs)
    except EngineError as error:
        return [f"de toestand past niet op versie {target.version}: {error.message}"]
    except Exception as error:  # the library refuses the tree: say so, never a 500
        return [f"de toestand past niet op versie {target.version}: "
                f"{type(error).__name__}: {str(error)[:200]}"]
    return []


def dry_run(ctx: EngineContext, session: Session, actor: Actor, process_id: str,
            source_version: int, target_version: int) -> Plan:
    """Every running instance of the source version, and whether and why (not) it can move.

    :raise NotAllowed: not a process owner.
    :raise NotFound: unknown process or version.
    :raise InvalidInput: the target is not a later version.
    """
    _require(actor)
    source, target_definition = _versions(session, process_id, source_version, target_version)
    source_cached = ctx.specs.get(session, source.id)
    target = _target(ctx, session, source, target_definition)
    rows = session.scalars(
        select(ProcessInstance)
        .where(ProcessInstance.definition_id == source.id,
               ProcessInstance.status.in_(RUNNING_STATUSES))
        .order_by(ProcessInstance.id).limit(MAX_INSTANCES)).all()
    candidates = []
    for row in rows:
        reasons = _check(ctx, row, source_cached, target)
        candidates.append(Candidate(row.id, row.business_key, row.status,
                                    list(row.current_elements or []), not reasons, reasons))
    return Plan(process_id, source_version, target_version, candidates)


def _versions(session: Session, process_id: str, source_version: int,
              target_version: int) -> tuple[ProcessDefinition, ProcessDefinition]:
    if target_version <= source_version:
        raise InvalidInput({"b": "kies als doel een latere versie dan de bron"})
    return (definition_at(session, process_id, source_version),
            definition_at(session, process_id, target_version))


# --- the job ----------------------------------------------------------------------------------

def submit(ctx: EngineContext, actor: Actor, process_id: str, source_version: int,
           target_version: int, instance_ids: list[int]) -> str:
    """Store a migration job for the chosen instances (committed at once); returns its id.

    :raise NotAllowed: not a process owner.
    :raise InvalidInput: nothing chosen, or an instance that is not a running instance of the
        source version.
    """
    _require(actor)
    chosen = sorted(set(instance_ids))
    if not chosen:
        raise InvalidInput({"instances": "kies minstens één zaak"})
    if len(chosen) > MAX_INSTANCES:
        raise InvalidInput({"instances": f"kies hoogstens {MAX_INSTANCES} zaken"})
    job_id = secrets.token_hex(16)
    now = ctx.clock.now()
    with ctx.sessionmaker.begin() as session:
        source, target = _versions(session, process_id, source_version, target_version)
        found = set(session.scalars(select(ProcessInstance.id).where(
            ProcessInstance.id.in_(chosen), ProcessInstance.definition_id == source.id,
            ProcessInstance.status.in_(RUNNING_STATUSES))))
        if found != set(chosen):
            raise InvalidInput({"instances": f"niet elke gekozen zaak loopt nog op versie "
                                             f"{source_version}"})
        session.add(MigrationJob(
            id=job_id, process_id=process_id, source_definition_id=source.id,
            target_definition_id=target.id, actor=asdict(actor), status="queued",
            total=len(chosen), processed=0, migrated=0, refused=0, created_at=now,
            updated_at=now))
        session.flush()
        session.execute(insert(MigrationJobItem), [
            {"job_id": job_id, "instance_id": instance_id, "position": position}
            for position, instance_id in enumerate(chosen)])
    return job_id


def start(ctx: EngineContext, job_id: str) -> threading.Thread:
    """Run the job in a background thread of this process."""
    thread = threading.Thread(target=_run_logged, args=(ctx, job_id), daemon=True,
                              name=f"migration-{job_id[:8]}")
    _running[job_id] = thread
    thread.start()
    return thread


def _run_logged(ctx: EngineContext, job_id: str) -> None:
    try:
        run(ctx, job_id)
    except Exception:  # a thread has no caller: log; the stale heartbeat tells the page
        log.exception("migration job %s stopped", job_id)
    finally:
        _running.pop(job_id, None)


def run(ctx: EngineContext, job_id: str) -> None:
    """Migrate the job's open instances, one transaction each, until none are left."""
    while _run_one(ctx, job_id):
        pass


def _run_one(ctx: EngineContext, job_id: str) -> bool:
    """Migrate the next open instance of the job; False when none is left (job done)."""
    with ctx.sessionmaker.begin() as session:
        job = session.get(MigrationJob, job_id)
        if job is None or job.status == "done":
            return False
        item = session.scalars(select(MigrationJobItem).where(
            MigrationJobItem.job_id == job_id, MigrationJobItem.status.is_(None))
            .order_by(MigrationJobItem.position).limit(1)).first()
        if item is None:
            job.status, job.finished_at = "done", ctx.clock.now()
            job.updated_at = job.finished_at
            return False
        instance_id = item.instance_id
    try:
        with ctx.sessionmaker.begin() as session:
            job = session.get(MigrationJob, job_id)
            assert job is not None
            reasons = migrate_instance(ctx, session, job, instance_id)
            _record(ctx, session, job, instance_id, reasons)
    except Exception as failure:  # one case that fails must not stop the others
        log.warning("migration of instance %s failed (%s)", instance_id,
                    type(failure).__name__)
        reason = ("de zaak veranderde tijdens de migratie; probeer het opnieuw"
                  if isinstance(failure, Conflict)
                  else f"mislukt: {type(failure).__name__}")
        with ctx.sessionmaker.begin() as session:
            job = session.get(MigrationJob, job_id)
            assert job is not None
            _record(ctx, session, job, instance_id, [reason])
    return True


def _record(ctx: EngineContext, session: Session, job: MigrationJob, instance_id: int,
            reasons: list[str]) -> None:
    session.execute(update(MigrationJobItem)
                    .where(MigrationJobItem.job_id == job.id,
                           MigrationJobItem.instance_id == instance_id)
                    .values(status="refused" if reasons else "migrated",
                            reason="; ".join(reasons)[:2000] or None)
                    .execution_options(synchronize_session=False))
    job.status = "running"
    job.processed += 1
    if reasons:
        job.refused += 1
    else:
        job.migrated += 1
    job.updated_at = ctx.clock.now()


def migrate_instance(ctx: EngineContext, session: Session, job: MigrationJob,
                     instance_id: int) -> list[str]:
    """Move one instance to the job's target version as one step (no commit): checked again
    (the case may have moved on since the dry run), migrated, timers' due times restored,
    the engine run on, saved with an ``instance_migrated`` event. Returns the reasons it was
    refused (none: it moved).

    :raise Conflict: another writer changed the instance meanwhile.
    """
    query = select(ProcessInstance).where(ProcessInstance.id == instance_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.scalars(query).first()
    if row is None:
        return ["bestaat niet meer"]
    source_definition = session.get(ProcessDefinition, job.source_definition_id)
    target_definition = session.get(ProcessDefinition, job.target_definition_id)
    assert source_definition is not None and target_definition is not None
    target = _target(ctx, session, source_definition, target_definition)
    if row.definition_id != source_definition.id or row.status not in RUNNING_STATUSES:
        return ["loopt niet meer op de bronversie"]
    source = ctx.specs.get(session, row.definition_id)
    reasons = _check(ctx, row, source, target)
    if reasons:
        return reasons
    workflow, _cached = runtime.load(ctx, session, row)
    source_version = int(session.scalar(select(Deployment.version).where(
        Deployment.id == source.deployment_id)) or 0)
    kept = _apply(ctx, workflow, target.cached)
    row.definition_id = target.cached.definition_id
    actor = Actor(**job.actor)
    step_log = runtime.StepLog(actor.username)
    step_log.add(ctx.clock.now(), "instance_migrated", None, None,
                 from_version=source_version, to_version=target.version, job=job.id,
                 kept_timers=kept)
    runtime.step(ctx, session, row, workflow, target.cached, None, step_log)
    _refresh_open_tasks(session, row, workflow, target.cached)
    return []


def _refresh_open_tasks(session: Session, row: ProcessInstance, workflow: BpmnWorkflow,
                        target: CachedSpec) -> None:
    """Open task rows that kept their task follow the new version's name and form."""
    tasks = cast(Table, HumanTask.__table__)
    for task in workflow.get_tasks(state=TaskState.READY, manual=True):
        spec = task.task_spec
        session.connection().execute(
            update(tasks).where(tasks.c.id == str(task.id), tasks.c.instance_id == row.id,
                                tasks.c.state.in_(runtime.OPEN_STATES))
            .values(name=spec.bpmn_name or spec.bpmn_id,
                    form_file=target.forms.get((task.workflow.spec.name, spec.bpmn_id))))


def status(ctx: EngineContext, session: Session, actor: Actor, job_id: str) -> JobStatus:
    """The job's progress and its items' outcomes so far.

    :raise NotAllowed: not a process owner.
    :raise NotFound: no such job.
    """
    _require(actor)
    job = session.get(MigrationJob, job_id) if len(job_id) == 32 else None
    if job is None:
        raise NotFound("no such migration job")
    state = job.status
    if state in ("queued", "running") and ctx.clock.now() - job.updated_at > STALE_AFTER \
            and job_id not in _running:
        state = "interrupted"
    versions = dict(session.execute(
        select(ProcessDefinition.id, Deployment.version).join(Deployment)
        .where(ProcessDefinition.id.in_([job.source_definition_id,
                                         job.target_definition_id]))).tuples().all())
    items = [JobItem(instance_id, case_number, item_status, reason)
             for instance_id, case_number, item_status, reason in session.execute(
                 select(MigrationJobItem.instance_id, ProcessInstance.business_key,
                        MigrationJobItem.status, MigrationJobItem.reason)
                 .join(ProcessInstance, ProcessInstance.id == MigrationJobItem.instance_id)
                 .where(MigrationJobItem.job_id == job_id)
                 .order_by(MigrationJobItem.position))]
    return JobStatus(job.id, job.process_id, versions.get(job.source_definition_id, 0),
                     versions.get(job.target_definition_id, 0), state, job.total,
                     job.processed, job.migrated, job.refused, items)
