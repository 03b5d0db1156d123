"""Prometheus metrics: what the engine did (steps, completions); ``engine.metrics_export``
adds where work waits and renders them for ``/metrics``.

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
from functools import lru_cache
from typing import TYPE_CHECKING

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


def process_exited(pid: int) -> None:
    """Tell the multi-process store that a worker process is gone (gunicorn's child_exit)."""
    if os.environ.get(MULTIPROCESS_DIR):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def declare() -> None:
    """Create the metrics now, so a scrape shows them at zero before the first step."""
    _own()
