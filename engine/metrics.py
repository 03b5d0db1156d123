"""Prometheus metrics: what the engine did (steps, completions) and where work waits.

Two kinds. Counters and histograms of this process's own work (every step and its duration,
every task completion) live in prometheus_client; under ``ketenflow serve`` every gunicorn
worker and any ``ketenflow worker`` sharing ``PROMETHEUS_MULTIPROC_DIR`` write them to that
directory and one scrape adds them up. The state of the work (queue depth per role, timer lag,
instances per status, the worker's heartbeat) is read from the database at scrape time, so every
web worker answers the same.

prometheus_client is imported lazily: it picks single- or multi-process mode when it is first
imported, and ``ketenflow serve`` sets the directory only once its command runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select

from engine.context import EngineContext
from engine.heartbeat import last_beat
from engine.models import HumanTask, ProcessInstance

if TYPE_CHECKING:
    from prometheus_client import Counter, Histogram

#: Step durations in seconds: a step is milliseconds, a slow one with scripts up to seconds.
STEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


@lru_cache(maxsize=1)
def _own() -> tuple[Histogram, Counter]:
    from prometheus_client import Counter, Histogram

    steps = Histogram("ketenflow_step_duration_seconds",
                      "Engine steps (load, change, run, save) and how long each took, by "
                      "what triggered it (timer or actor) and outcome (ok or error).",
                      ["trigger", "outcome"], buckets=STEP_BUCKETS)
    completions = Counter("ketenflow_task_completions",
                          "Human tasks completed, by the role of their lane.", ["role"])
    return steps, completions


def observe_step(actor: str | None, seconds: float, failed: bool) -> None:
    """Count one saved step of ``seconds``; ``failed``: the instance went to error."""
    _own()[0].labels("timer" if actor == "timer" else "actor",
                     "error" if failed else "ok").observe(seconds)


def count_completion(role: str | None) -> None:
    _own()[1].labels(role or "none").inc()


def _state(ctx: EngineContext) -> Iterator[Any]:
    """Gauges read from the database now."""
    from prometheus_client.core import GaugeMetricFamily

    from engine.messages import LIVE_STATUSES  # messages imports runtime, which records here

    now = ctx.clock.now()
    with ctx.sessionmaker() as session:
        queue = session.execute(
            select(HumanTask.role, HumanTask.state, func.count())
            .where(HumanTask.state.in_(("open", "claimed")))
            .group_by(HumanTask.role, HumanTask.state)).all()
        statuses = session.execute(select(ProcessInstance.status, func.count())
                                   .group_by(ProcessInstance.status)).all()
        oldest_due = session.scalar(
            select(func.min(ProcessInstance.next_timer_due))
            .where(ProcessInstance.status.in_(LIVE_STATUSES),
                   ProcessInstance.next_timer_due < now,
                   or_(ProcessInstance.timer_retry_at.is_(None),
                       ProcessInstance.timer_retry_at <= now)))
    depth = GaugeMetricFamily("ketenflow_queue_depth",
                              "Open and claimed human tasks per role (lane) and state.",
                              labels=["role", "state"])
    for role, state, count in queue:
        depth.add_metric([role or "none", state], count)
    yield depth
    instances = GaugeMetricFamily("ketenflow_instances",
                                  "Process instances per status.", labels=["status"])
    by_status: dict[str, int] = {status: count for status, count in statuses}
    for status in sorted(set(by_status) | {"running", "waiting", "error", "suspended"}):
        instances.add_metric([status], by_status.get(status, 0))
    yield instances
    yield GaugeMetricFamily("ketenflow_instances_in_error",
                            "Process instances in error (a failed diagram step).",
                            value=by_status.get("error", 0))
    lag = (now - oldest_due).total_seconds() if oldest_due is not None else 0.0
    yield GaugeMetricFamily("ketenflow_timer_lag_seconds",
                            "How long the oldest due timer has waited to be fired (0: none "
                            "waiting).", value=max(lag, 0.0))
    beat = last_beat(ctx)
    yield GaugeMetricFamily("ketenflow_worker_heartbeat_age_seconds",
                            "Seconds since any timer loop last beat (-1: never).",
                            value=(now - beat).total_seconds() if beat is not None else -1.0)


class _StateCollector:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[Any]:
        return _state(self.ctx)


def render(ctx: EngineContext) -> tuple[bytes, str]:
    """The exposition text of every metric and its content type."""
    from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
    from prometheus_client.exposition import CONTENT_TYPE_LATEST

    _own()  # present (at zero) before the first step
    state = CollectorRegistry(auto_describe=False)
    state.register(_StateCollector(ctx))
    if os.environ.get(MULTIPROCESS_DIR):
        from prometheus_client import multiprocess

        own = CollectorRegistry()
        multiprocess.MultiProcessCollector(own)  # type: ignore[no-untyped-call]
    else:
        own = REGISTRY
    return generate_latest(own) + generate_latest(state), CONTENT_TYPE_LATEST


def process_exited(pid: int) -> None:
    """Tell the multi-process store that a worker process is gone (gunicorn's child_exit)."""
    if os.environ.get(MULTIPROCESS_DIR):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
