"""The worker loop: due timers (one transaction per due instance), the daily jobs (retention),
then the mail round (the deadline scan and the outbox); in its own process or inside serve."""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from engine import heartbeat, mailer, notifications
from engine.context import EngineContext
from engine.errors import Conflict
from engine.models import JobWatermark
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


def claim_day(ctx: EngineContext, name: str) -> bool:
    """Claim today's run of daily job ``name``: True for exactly one caller per (UTC) day,
    whatever the number of workers (a conditional update of the job's watermark row)."""
    now = ctx.clock.now()
    today = now.date()
    with ctx.sessionmaker() as session:
        try:
            with session.begin():
                if session.scalar(select(JobWatermark.name).where(
                        JobWatermark.name == name)) is None:
                    session.execute(insert(JobWatermark).values(name=name, last_day=None,
                                                                 last_run_at=None))
        except IntegrityError:
            pass  # another worker made the row at the same moment
        with session.begin():
            claimed = session.execute(
                update(JobWatermark)
                .where(JobWatermark.name == name,
                       or_(JobWatermark.last_day.is_(None), JobWatermark.last_day < today))
                .values(last_day=today, last_run_at=now))
            return bool(getattr(claimed, "rowcount", 0) == 1)


def run_daily_jobs(ctx: EngineContext) -> dict[str, Any]:
    """Run every daily job (``ChainHooks.daily_jobs``) not yet run today; returns what each
    that ran returned. A job that fails is logged and waits for the next day."""
    ran: dict[str, Any] = {}
    for name, job in ctx.hooks.daily_jobs.items():
        if not claim_day(ctx, name):
            continue
        try:
            ran[name] = job(ctx)
        except Exception:  # one failing job must not stop the timers
            log.exception("daily job %s failed", name)
    return ran


def mail_round(ctx: EngineContext) -> int:
    """Queue the mails of deadlines near or passed and of the day's summaries (one
    transaction), then send what is due; returns how many mails were sent."""
    with ctx.sessionmaker.begin() as session:
        notifications.scan_deadlines(ctx, session)
        notifications.queue_summaries(ctx, session)
    return mailer.send_due(ctx)


def run_forever(ctx: EngineContext, stop: threading.Event) -> None:
    """Loop until ``stop`` is set; errors are logged, never fatal to the loop. Every round
    starts with the loop's heartbeat (``engine.heartbeat``)."""
    name = heartbeat.loop_name()
    while not stop.is_set():
        try:
            heartbeat.beat(ctx, name)
            fire_due_timers(ctx)
        except Exception:  # the loop must outlive one bad round
            log.exception("timer round failed")
        try:
            run_daily_jobs(ctx)
        except Exception:  # the loop must outlive one bad round
            log.exception("daily jobs failed")
        try:
            mail_round(ctx)
        except Exception:  # a mail problem must not stop the timers
            log.exception("mail round failed")
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
