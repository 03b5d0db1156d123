"""Due timers: find instances whose ``next_timer_due`` has passed, claim one, fire it.

The claim is one function chosen by dialect: PostgreSQL locks the row with
``FOR UPDATE SKIP LOCKED`` so racing workers never fire the same timer; SQLite has one writer
at a time, and the instance's version column turns a lost race into a ``Conflict``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import runtime
from engine.context import EngineContext
from engine.models import ProcessInstance

LIVE_STATUSES = ("running", "waiting")


def claim_due(session: Session, now: datetime) -> ProcessInstance | None:
    """Lock and return one instance with a due timer, or None.

    Strictly after the due moment, as SpiffWorkflow fires a timer only once the clock has
    passed it; ``<=`` would claim (and step) the same instance again and again at that instant.
    """
    query = (select(ProcessInstance)
             .where(ProcessInstance.status.in_(LIVE_STATUSES),
                    ProcessInstance.next_timer_due < now)
             .order_by(ProcessInstance.next_timer_due, ProcessInstance.id)
             .limit(1))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query).first()


def fire(ctx: EngineContext, session: Session, row: ProcessInstance) -> None:
    """Refresh the instance's timers and run it on, as one step (no commit)."""
    workflow, cached = runtime.load(ctx, session, row)
    log = runtime.StepLog("timer")
    runtime.step(ctx, session, row, workflow, cached, lambda wf: wf.refresh_timers(), log)
