"""The timer loop: one transaction per due instance; in its own process or inside serve."""

from __future__ import annotations

import logging
import threading

from engine.context import EngineContext
from engine.errors import Conflict
from engine.timers import claim_due, fire

log = logging.getLogger("ketenflow.worker")


def fire_due_timers(ctx: EngineContext, limit: int | None = None) -> int:
    """Fire every due timer (at most ``limit`` instances); returns how many were fired."""
    fired = 0
    limit = limit or ctx.settings.worker_batch_size
    for _attempt in range(limit * 2):
        if fired >= limit:
            break
        with ctx.sessionmaker() as session:
            try:
                with session.begin():
                    row = claim_due(session, ctx.clock.now())
                    if row is None:
                        return fired
                    fire(ctx, session, row)
            except Conflict:
                log.info("timer instance changed concurrently; skipped this round")
                continue
        fired += 1
    return fired


def run_forever(ctx: EngineContext, stop: threading.Event) -> None:
    """Loop until ``stop`` is set; errors are logged, never fatal to the loop."""
    while not stop.is_set():
        try:
            fire_due_timers(ctx)
        except Exception:  # the loop must outlive one bad round
            log.exception("timer round failed")
        stop.wait(ctx.settings.worker_interval_seconds)


def start_in_thread(ctx: EngineContext) -> threading.Event:
    """The embedded worker of ``ketenflow serve``."""
    stop = threading.Event()
    threading.Thread(target=run_forever, args=(ctx, stop), name="ketenflow-timers",
                     daemon=True).start()
    return stop
