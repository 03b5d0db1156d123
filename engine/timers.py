"""Due timers: find instances whose ``next_timer_due`` has passed, claim one, fire it.

The claim is one function chosen by dialect: PostgreSQL locks the row with
``FOR UPDATE SKIP LOCKED`` so racing workers never fire the same timer; SQLite has one writer
at a time, and the instance's version column turns a lost race into a ``Conflict``.

A timer step that fails (a stored state that cannot be restored, data the database refuses to
store) must not hold up the other due timers: ``record_failure`` notes it on that instance
alone, and the claim passes the instance over until its back-off has passed. After
``MAX_FAILURES`` failures in a row the instance goes to ``error``, for an operator to see.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    Executable,
    Table,
    bindparam,
    insert,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from engine import runtime
from engine.context import EngineContext
from engine.db import compiled_once, write_versioned
from engine.models import Event, ProcessInstance

LIVE_STATUSES = ("running", "waiting")
#: Live, with the statuses written into the statement (the partial index's own condition).
_LIVE = ProcessInstance.status.in_([literal_column(f"'{s}'") for s in LIVE_STATUSES])
#: The partial index of live instances with a timer, in due order (migration 0018).
DUE_INDEX = "ix_process_instance_due"
#: Failed timer steps in a row before the instance goes to ``error``.
MAX_FAILURES = 5
#: The wait after the first failure; it doubles with every further one (1, 2, 4, 8 minutes).
FIRST_BACKOFF = timedelta(minutes=1)


def claim_due(session: Session, now: datetime) -> ProcessInstance | None:
    """Lock and return one instance with a due timer, or None.

    Strictly after the due moment, as SpiffWorkflow fires a timer only once the clock has
    passed it; ``<=`` would claim (and step) the same instance again and again at that instant.
    An instance whose timer step failed waits until its ``timer_retry_at``.

    The conditions repeat the partial index ``ix_process_instance_due`` word for word (the
    statuses inline, not bound), so the claim reads that index in due order and stops at the
    first row it may take, however large the backlog; on PostgreSQL ``SKIP LOCKED`` lets
    several workers claim side by side, each taking a row the others do not hold. SQLite's
    planner, without statistics, prefers the equality on ``status`` of
    ``ix_process_instance_timer`` and then sorts every due row; ``INDEXED BY`` names the
    partial index (and fails loudly should it ever be missing, rather than sort).
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return session.scalars(_DUE.with_for_update(skip_locked=True), {"now": now}).first()
    if dialect == "sqlite":
        return session.scalars(_sqlite_due_indexed(), {"now": now}).first()
    return session.scalars(_DUE, {"now": now}).first()


#: The claim's query, ``now`` bound at execution (built once: the claim runs every round).
_DUE = (select(ProcessInstance)
        .where(_LIVE, ProcessInstance.next_timer_due.is_not(None),
               ProcessInstance.next_timer_due < bindparam("now"),
               or_(ProcessInstance.timer_retry_at.is_(None),
                   ProcessInstance.timer_retry_at <= bindparam("now")))
        .order_by(ProcessInstance.next_timer_due, ProcessInstance.id)
        .limit(1))


@lru_cache(maxsize=1)
def _sqlite_due_indexed() -> Executable:
    """The claim as SQLite text with ``INDEXED BY`` the due index after its table: SQLAlchemy
    renders no table hints for SQLite, so the statement is compiled once and the clause
    written in (``now`` is given at each claim)."""
    table = ProcessInstance.__tablename__
    return select(ProcessInstance).from_statement(compiled_once(
        _DUE, sqlite.dialect(), edit=lambda sql: sql.replace(
            f"FROM {table} ", f"FROM {table} INDEXED BY {DUE_INDEX} ", 1)))


def fire(ctx: EngineContext, session: Session, row: ProcessInstance) -> None:
    """Refresh the instance's timers and run it on, as one step (no commit)."""
    workflow, cached = runtime.load(ctx, session, row)
    log = runtime.StepLog("timer")
    runtime.step(ctx, session, row, workflow, cached, lambda wf: wf.refresh_timers(), log)


def backoff(failures: int) -> timedelta:
    """How long the worker leaves an instance alone after its ``failures``-th failure."""
    doublings: int = 2 ** max(failures - 1, 0)
    return FIRST_BACKOFF * doublings


def record_failure(ctx: EngineContext, session: Session, instance_id: int,
                   failure: Exception) -> ProcessInstance | None:
    """Note a failed timer step on its instance, in a fresh transaction (the failed step's
    own was rolled back): an event, the count, and the next attempt pushed back; at
    ``MAX_FAILURES`` the instance goes to ``error`` with element and message.

    Returns the instance, or None when it is gone or no longer live (nothing to record).

    :raise Conflict: the instance changed meanwhile (another worker or a person moved it on).
    """
    query = select(ProcessInstance).where(ProcessInstance.id == instance_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.scalars(query).first()
    if row is None or row.status not in LIVE_STATUSES:
        return None
    now = ctx.clock.now()
    element, message, line = runtime.describe_failure(failure)
    element = (element or ", ".join(row.current_elements or []))[:200] or None
    message = f"{type(failure).__name__}: {message}"[:500]
    failures = row.timer_failures + 1
    row.timer_failures = failures
    row.updated_at = now
    detail: dict[str, Any] = {"attempt": failures, "message": message}
    events: list[dict[str, Any]] = [{"kind": "timer_failed", "detail": detail}]
    if failures >= MAX_FAILURES:
        row.status = "error"
        row.timer_retry_at = None
        row.error_element, row.error_line = element, line
        row.error_message = f"timer failed {failures} times in a row; last: {message}"
        events.append({"kind": "error", "detail": {"message": row.error_message,
                                                   "line": line}})
    else:
        row.timer_retry_at = now + backoff(failures)
        detail["retry_at"] = row.timer_retry_at.isoformat()
    write_versioned(session, row)  # raises Conflict if someone moved the instance meanwhile
    session.connection().execute(insert(cast(Table, Event.__table__)), [
        {"instance_id": row.id, "at": now, "element_id": element, "task_id": None,
         "actor": "timer", **event} for event in events])
    return row

