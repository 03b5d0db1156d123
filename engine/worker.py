"""The timer loop: one transaction per due instance; in its own process or inside serve."""

from __future__ import annotations

import logging
import threading

from engine.context import EngineContext
from engine.errors import Conflict
from engine.timers import claim_due, fire, record_failure

log = logging.getLogger("ketenflow.worker")


def fire_due_timers(ctx: EngineContext, limit: int | None = None) -> int:
    """Fire every due timer (at most ``limit`` instances); returns how many were fired.

    A step that fails is rolled back and recorded on its own instance (``record_failure``
    backs it off), and the round goes on with the other due instances.
    """
    fired = 0
    limit = limit or ctx.settings.worker_batch_size
    for _attempt in range(limit * 2):
        if fired >= limit:
            break
        claimed: int | None = None
        with ctx.sessionmaker() as session:
            try:
                with session.begin():
                    row = claim_due(session, ctx.clock.now())
                    if row is None:
                        return fired
                    claimed = row.id
                    fire(ctx, session, row)
            except Conflict:
                log.info("timer instance changed concurrently; skipped this round")
                continue
            except Exception as failure:  # one bad case must not stop the others
                if claimed is None:
                    raise  # the claim itself failed: nothing to isolate
                _isolate(ctx, claimed, failure)
                continue
        fired += 1
    return fired


def _isolate(ctx: EngineContext, instance_id: int, failure: Exception) -> None:
    """Record the failure on its instance in a fresh transaction (no data in the log: a
    database error may quote the household's data)."""
    log.warning("timer step of instance %s failed (%s); backed off, the round goes on",
                instance_id, type(failure).__name__)
    try:
        with ctx.sessionmaker() as session, session.begin():
            record_failure(ctx, session, instance_id, failure)
    except Conflict:
        log.info("instance %s changed while recording its timer failure", instance_id)


def run_forever(ctx: EngineContext, stop: threading.Event) -> None:
    """Loop until ``stop`` is set; errors are logged, never fatal to the loop."""
    while not stop.is_set():
        try:
            fire_due_timers(ctx)
        except Exception:  # the loop must outlive one bad round
            log.exception("timer round failed")
        for work in ctx.hooks.periodic:
            try:
                work(ctx)
            except Exception:  # nor may the domain's periodic work stop it
                log.exception("periodic work %s failed", getattr(work, "__name__", work))
        stop.wait(ctx.settings.worker_interval_seconds)


def start_in_thread(ctx: EngineContext) -> threading.Event:
    """The embedded worker of ``ketenflow serve``."""
    stop = threading.Event()
    threading.Thread(target=run_forever, args=(ctx, stop), name="ketenflow-timers",
                     daemon=True).start()
    return stop
