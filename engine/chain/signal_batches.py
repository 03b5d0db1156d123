"""Batches of arrears signals, processed in short transactions that commit as they go.

One transaction for a whole batch held the write lock for minutes: single signals waited
behind it, and a batch that outlived the web server's worker timeout was lost as a whole.
Here a batch is first stored (``submit``) and then processed (``run``) in chunks of at most
``CHUNK_ROWS`` rows or ``CHUNK_SECONDS``, each chunk one commit that also records its rows'
outcomes and the batch's progress. Each row is still all-or-nothing and a bad row never stops
the good ones. Small batches run inside the request (``report_batch``); large ones run in a
background thread (``start``) while the client polls ``status``, which any web worker can
answer from the database. A batch whose runner died (killed worker) stops moving its heartbeat
and reports itself ``interrupted``; sending it again is safe, as signals are idempotent per
external_id.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, null, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from engine.access import Actor, may_report_signals
from engine.chain import intake
from engine.context import EngineContext
from engine.errors import EngineError, InvalidInput, NotAllowed, NotFound
from engine.models import SignalBatch, SignalBatchRow

log = logging.getLogger(__name__)

#: Batches up to this size are answered in the request; larger ones become a job to poll.
SYNC_ROWS = 100
#: A chunk commits after this many rows or this long, whichever comes first: the longest a
#: single signal of the same municipality (PostgreSQL) or any writer (SQLite) waits.
CHUNK_ROWS = 50
CHUNK_SECONDS = 0.15
#: On SQLite a writer waiting for the lock sleeps in growing steps (sqlite3's default busy
#: handler): at most 25 ms while it has waited under 78 ms, 50 ms under 228 ms, then 100 ms.
#: After a chunk of a given length, a pause as long as the waiter's step lets it in.
_SQLITE_BUSY_STEPS = ((0.078, 0.025), (0.228, 0.05), (float("inf"), 0.1))
#: A running batch whose heartbeat is older than this has lost its runner.
STALE_AFTER = timedelta(seconds=60)
_RETRY_SECONDS = 0.5
_INSERT_ROWS = 1000
_ID = re.compile(r"[0-9a-f]{32}")

_running: dict[str, threading.Thread] = {}
_stopping = threading.Event()


@dataclass(frozen=True)
class BatchStatus:
    """What a client polls: ``queued``, ``running``, ``done`` or ``interrupted``."""

    id: str
    status: str
    total: int
    processed: int
    created: int
    existing: int
    invalid: int
    #: per-row results once the batch is done or interrupted (rows processed so far)
    items: list[intake.RowResult] | None


def submit(ctx: EngineContext, actor: Actor, signals: list[Any],
           synthetic: bool = False) -> str:
    """Store a batch for processing (committed at once) and return its id.

    :raise NotAllowed: the actor is not a housing corporation.
    :raise InvalidInput: the batch is empty, larger than ``intake.MAX_BATCH``, or holds text
        a database cannot store.
    """
    if not may_report_signals(actor):
        raise NotAllowed("alleen woningcorporaties melden huurders aan")
    if not signals:
        raise InvalidInput({"body": "bevat geen meldingen"})
    if len(signals) > intake.MAX_BATCH:
        raise InvalidInput({"body": f"bevat meer dan {intake.MAX_BATCH} meldingen"})
    if "\\u0000" in json.dumps(signals):
        raise InvalidInput({"body": "bevat een NUL-teken"})
    batch_id = secrets.token_hex(16)
    now = ctx.clock.now()
    with ctx.sessionmaker.begin() as session:
        session.add(SignalBatch(
            id=batch_id, corporation=actor.organisation, actor=asdict(actor),
            synthetic=synthetic, status="queued", total=len(signals), processed=0, created=0,
            existing=0, invalid=0, created_at=now, updated_at=now))
        session.flush()
        for start in range(0, len(signals), _INSERT_ROWS):
            session.execute(insert(SignalBatchRow), [
                {"batch_id": batch_id, "row": number, "signal": signal,
                 "external_id": _external_id(signal)}
                for number, signal in enumerate(signals[start:start + _INSERT_ROWS],
                                                start=start + 1)])
    return batch_id


def report_batch(ctx: EngineContext, actor: Actor, signals: list[Any],
                 synthetic: bool = False) -> list[intake.RowResult]:
    """Report a batch now, chunk by chunk, and return one result per row."""
    batch_id = submit(ctx, actor, signals, synthetic)
    run(ctx, batch_id)
    with ctx.sessionmaker() as session:
        return _results(session, batch_id)


def start(ctx: EngineContext, batch_id: str) -> threading.Thread:
    """Run the batch in a background thread of this process."""
    thread = threading.Thread(target=_run_logged, args=(ctx, batch_id), daemon=True,
                              name=f"signal-batch-{batch_id[:8]}")
    _running[batch_id] = thread
    thread.start()
    return thread


def stop_running(timeout: float) -> None:
    """Let this process's batch threads finish their chunk and mark their batch interrupted
    (a web worker shutting down); waits at most ``timeout`` seconds in all."""
    _stopping.set()
    deadline = time.monotonic() + timeout
    for thread in list(_running.values()):
        thread.join(max(0.0, deadline - time.monotonic()))


def _run_logged(ctx: EngineContext, batch_id: str) -> None:
    try:
        run(ctx, batch_id)
    except Exception:  # a thread has no caller: log; the stale heartbeat tells the client
        log.exception("signal batch %s stopped", batch_id)
    finally:
        _running.pop(batch_id, None)


def run(ctx: EngineContext, batch_id: str) -> None:
    """Process the batch's open rows chunk by chunk until none are left."""
    sqlite = ctx.db.dialect.name == "sqlite"
    while True:
        if _stopping.is_set():
            _mark_interrupted(ctx, batch_id)
            return
        started = time.monotonic()
        try:
            more = _run_chunk(ctx, batch_id)
        except OperationalError as error:
            # A deadlock with another batch (PostgreSQL) or a lock held past the busy
            # timeout (SQLite): the chunk rolled back whole; try it again.
            log.warning("signal batch %s: chunk retried after %s", batch_id,
                        type(error.orig).__name__)
            time.sleep(_RETRY_SECONDS)
            continue
        if not more:
            return
        if sqlite:
            time.sleep(sqlite_pause(time.monotonic() - started))


def sqlite_pause(chunk_seconds: float) -> float:
    """How long a chunk that held SQLite's write lock this long gives way afterwards."""
    return next(step for waited, step in _SQLITE_BUSY_STEPS if chunk_seconds < waited) + 0.01


def _run_chunk(ctx: EngineContext, batch_id: str) -> bool:
    """One transaction: some open rows reported, their outcomes and the progress saved.
    Returns False when the batch has no open rows left (and is now done)."""
    now = ctx.clock.now()
    with ctx.sessionmaker.begin() as session:
        # The first statement writes: on SQLite it takes the write lock (waiting for it)
        # before any read, and on PostgreSQL it keeps a second runner of this batch out.
        touched = session.execute(
            update(SignalBatch).where(SignalBatch.id == batch_id,
                                      SignalBatch.status != "done")
            .values(status="running", updated_at=now).returning(SignalBatch.id)
            .execution_options(synchronize_session=False)).scalar()
        if not touched:
            return False
        batch = session.get(SignalBatch, batch_id, populate_existing=True)
        assert batch is not None
        rows = session.scalars(
            select(SignalBatchRow)
            .where(SignalBatchRow.batch_id == batch_id, SignalBatchRow.status.is_(None))
            .order_by(SignalBatchRow.row).limit(CHUNK_ROWS)).all()
        if not rows:
            batch.status = "done"
            batch.finished_at = now
            return False
        actor = Actor(**batch.actor)
        deadline = time.monotonic() + CHUNK_SECONDS
        for row in rows:
            status, case_number, errors = _report_row(ctx, session, actor, row.signal,
                                                      batch.synthetic)
            row.status, row.case_number, row.errors = status, case_number, errors or None
            row.signal = null()  # the personal data now lives in the case, or nowhere
            batch.processed += 1
            setattr(batch, status, getattr(batch, status) + 1)
            if time.monotonic() > deadline:
                break
        return True


def _report_row(ctx: EngineContext, session: Session, actor: Actor, signal: Any,
                synthetic: bool) -> tuple[str, str | None, dict[str, str]]:
    try:
        with session.begin_nested():
            result = intake.report_signal(ctx, session, actor, signal, synthetic)
    except InvalidInput as invalid:
        return "invalid", None, invalid.errors
    except EngineError as refused:
        return "invalid", None, {"body": refused.message}
    except OperationalError:
        raise  # the chunk is retried
    except Exception:  # one row that breaks something must not stop the others
        log.exception("signal batch row could not be reported")
        return "invalid", None, {"body": "kon niet worden verwerkt"}
    return ("created" if result.created else "existing"), result.case_number, {}


def _mark_interrupted(ctx: EngineContext, batch_id: str) -> None:
    with ctx.sessionmaker.begin() as session:
        session.execute(update(SignalBatch)
                        .where(SignalBatch.id == batch_id, SignalBatch.status != "done")
                        .values(status="interrupted", updated_at=ctx.clock.now())
                        .execution_options(synchronize_session=False))


def status(ctx: EngineContext, session: Session, actor: Actor, batch_id: str) -> BatchStatus:
    """The batch's progress; its rows' results once it is done or interrupted.

    :raise NotFound: no such batch, or another organisation's (the same answer).
    """
    batch = session.get(SignalBatch, batch_id) if _ID.fullmatch(batch_id) else None
    if batch is None or batch.corporation != actor.organisation \
            or not may_report_signals(actor):
        raise NotFound("no such batch")
    state = batch.status
    if state in ("queued", "running") and ctx.clock.now() - batch.updated_at > STALE_AFTER:
        state = "interrupted"
    items = _results(session, batch_id) if state in ("done", "interrupted") else None
    return BatchStatus(batch.id, state, batch.total, batch.processed, batch.created,
                       batch.existing, batch.invalid, items)


def _results(session: Session, batch_id: str) -> list[intake.RowResult]:
    rows = session.execute(
        select(SignalBatchRow.row, SignalBatchRow.status, SignalBatchRow.external_id,
               SignalBatchRow.case_number, SignalBatchRow.errors)
        .where(SignalBatchRow.batch_id == batch_id, SignalBatchRow.status.is_not(None))
        .order_by(SignalBatchRow.row))
    return [intake.RowResult(row, state, external_id, case_number, errors or {})
            for row, state, external_id, case_number, errors in rows]


def _external_id(signal: Any) -> str | None:
    value = signal.get("external_id") if isinstance(signal, dict) else None
    return None if value is None else str(value)[:100]
