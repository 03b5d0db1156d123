"""The timer loop's heartbeat: a row per loop, touched every round.

Readiness (``/api/v1/ready``) needs to know that some worker fires timers, and ``ketenflow
seed-demo`` must not run beside one (the seeder drives cases with its own clock; a live loop
firing the same cases' timers makes it stop with a conflict). Both ask the database, since
the loop may run in another process or on another machine.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from engine.context import EngineContext
from engine.models import WorkerHeartbeat

#: Rows of loops that stopped are removed once they are this old.
FORGET_AFTER = timedelta(days=1)
#: A heartbeat counts as alive for this many intervals (and at least ``MIN_ALIVE``).
ALIVE_INTERVALS = 3
MIN_ALIVE = timedelta(seconds=30)


def loop_name() -> str:
    """This process's loop: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def beat(ctx: EngineContext, name: str | None = None) -> None:
    """Record that the loop ``name`` (default: this process) is alive, in its own
    transaction."""
    name = name or loop_name()
    now = ctx.clock.now()
    with ctx.sessionmaker.begin() as session:
        touched = session.execute(update(WorkerHeartbeat).where(WorkerHeartbeat.name == name)
                                  .values(beat_at=now)).rowcount  # type: ignore[attr-defined]
        if not touched:
            session.add(WorkerHeartbeat(name=name, started_at=now, beat_at=now))
            session.execute(delete(WorkerHeartbeat)
                            .where(WorkerHeartbeat.beat_at < now - FORGET_AFTER))


def alive_within(ctx: EngineContext) -> timedelta:
    """How recent a beat must be for its loop to count as running."""
    return max(MIN_ALIVE, timedelta(seconds=ALIVE_INTERVALS * ctx.settings.worker_interval_seconds))


def last_beat(ctx: EngineContext) -> datetime | None:
    """The newest heartbeat of any loop, or None when none ever ran."""
    with ctx.sessionmaker() as session:
        return session.scalar(select(func.max(WorkerHeartbeat.beat_at)))


def worker_alive(ctx: EngineContext) -> bool:
    """Whether some timer loop beat recently (``alive_within``)."""
    beat_at = last_beat(ctx)
    return beat_at is not None and ctx.clock.now() - beat_at <= alive_within(ctx)
