"""Suspending, resuming and terminating a process instance: an operator's hand on a case.

Each is one transaction, needs ``MANAGE_INSTANCES`` and a reason, and leaves an event. A
suspended instance does not move: the timer worker claims only running and waiting instances
(``timers.LIVE_STATUSES``), its tasks cannot be completed (``tasks.complete_task``) and a
message for it is kept (``messages``) until it is resumed. Resuming runs one step that
delivers what was kept and fires, once, a timer that came due meanwhile.
Terminating ends the instance for good: its open tasks are cancelled, its engine state
dropped (like a completed instance's), the reason kept in the event.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, insert, update
from sqlalchemy.orm import Session

from engine import runtime
from engine.access import Actor, may_manage_instances
from engine.context import EngineContext
from engine.db import write_versioned
from engine.errors import Conflict, InvalidInput, NotAllowed
from engine.instances import _scoped, instance_view
from engine.models import Event, HumanTask, ProcessInstance
from engine.views import InstanceView

MAX_REASON = 1000
SUSPENDABLE = ("running", "waiting")
TERMINABLE = ("running", "waiting", "suspended", "error")
STATUS_NAMES = {"running": "loopt", "waiting": "wacht", "suspended": "gepauzeerd",
                "error": "in fout", "completed": "afgerond", "terminated": "beëindigd"}


def check_reason(reason: object) -> str:
    """The reason, trimmed; refused (naming the field) when missing or too long."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise InvalidInput({"reason": "Geef een reden op."})
    if len(text) > MAX_REASON:
        raise InvalidInput({"reason": f"De reden is te lang (hoogstens {MAX_REASON} tekens)."})
    return text


def require_manage(actor: Actor) -> None:
    """Refuse, before anything is looked at, who may not suspend, resume or terminate."""
    if not may_manage_instances(actor):
        raise NotAllowed("Alleen applicatiebeheer pauzeert, hervat of beëindigt een "
                         "procesinstantie.")


def _take(ctx: EngineContext, session: Session, actor: Actor, instance_id: int, what: str,
          reason: object) -> tuple[ProcessInstance, str]:
    require_manage(actor)
    text = check_reason(reason)
    return _scoped(ctx, session, actor, instance_id, what), text


def _refuse(row: ProcessInstance, action: str) -> Conflict:
    return Conflict(f"Instantie {row.id} {STATUS_NAMES.get(row.status, row.status)}: "
                    f"{action} kan nu niet.")


def _event(session: Session, row: ProcessInstance, ctx: EngineContext, actor: Actor,
           kind: str, reason: str, **detail: object) -> None:
    session.connection().execute(insert(cast(Table, Event.__table__)), [{
        "instance_id": row.id, "at": ctx.clock.now(), "kind": kind, "element_id": None,
        "task_id": None, "actor": actor.username, "detail": {"reason": reason, **detail}}])


def suspend_instance(ctx: EngineContext, session: Session, actor: Actor, instance_id: int,
                     reason: object) -> InstanceView:
    """Stop a running or waiting instance where it is (timers, tasks and messages wait)."""
    row, text = _take(ctx, session, actor, instance_id, "instance suspend", reason)
    if row.status not in SUSPENDABLE:
        raise _refuse(row, "pauzeren")
    previous = row.status
    row.status = "suspended"
    row.updated_at = ctx.clock.now()
    write_versioned(session, row)
    _event(session, row, ctx, actor, "instance_suspended", text, previous=previous)
    return instance_view(session, row, actor)


def resume_instance(ctx: EngineContext, session: Session, actor: Actor, instance_id: int,
                    reason: object) -> InstanceView:
    """Let a suspended instance move again: one step fires the timers that came due and
    delivers the messages kept meanwhile, and sets its status from its state (running with
    open tasks, else waiting)."""
    row, text = _take(ctx, session, actor, instance_id, "instance resume", reason)
    if row.status != "suspended":
        raise _refuse(row, "hervatten")
    workflow, cached = runtime.load(ctx, session, row)
    log = runtime.StepLog(actor.username)
    log.add(ctx.clock.now(), "instance_resumed", None, None, reason=text)
    # as the timer worker steps: what came due while suspended fires now, once
    runtime.step(ctx, session, row, workflow, cached, lambda wf: wf.refresh_timers(), log,
                 recheck_kept=True)
    return instance_view(session, row, actor)


def terminate_instance(ctx: EngineContext, session: Session, actor: Actor, instance_id: int,
                       reason: object) -> InstanceView:
    """End an instance for good: open tasks cancelled, no timers, no messages, state gone."""
    row, text = _take(ctx, session, actor, instance_id, "instance terminate", reason)
    if row.status not in TERMINABLE:
        raise _refuse(row, "beëindigen")
    now = ctx.clock.now()
    previous, elements = row.status, list(row.current_elements or [])
    row.status = "terminated"
    row.state = None
    row.serializer_version = None
    row.next_timer_due = None
    row.timer_retry_at = None
    row.waiting_messages = []
    row.current_elements = []
    row.open_task_ids = []
    row.completed_at = now
    row.updated_at = now
    write_versioned(session, row)
    ctx.workflows.take(row.id, "")  # a cached workflow of it is of no use any more
    tasks = cast(Table, HumanTask.__table__)
    session.connection().execute(
        update(tasks).where(tasks.c.instance_id == row.id,
                            tasks.c.state.in_(runtime.OPEN_STATES))
        .values(state="cancelled", completed_at=now, version=tasks.c.version + 1))
    _event(session, row, ctx, actor, "instance_terminated", text, previous=previous,
           elements=elements)
    return instance_view(session, row, actor)
