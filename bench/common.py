"""Shared pieces: the workload's constants, timing helpers and statistics."""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORKLOAD = Path(__file__).resolve().parent / "workload"
BPMN_FILE = WORKLOAD / "assess_advise.bpmn"
PROCESS_ID = "Process_assess_advise"
MUNICIPALITY = "dordrecht"
START_DATA: dict[str, Any] = {"municipality": MUNICIPALITY}
ASSESS_DATA: dict[str, Any] = {"decision": "proceed", "amount": 70}
ADVISE_DATA: dict[str, Any] = {"advice": "looks fine"}
EXPECTED = {"score": 140, "needs_review": True, "advice": "looks fine"}

TEAM_USER = "bench_anna"        # social_team of dordrecht: works the tasks
OWNER_USER = "bench_owner"      # process_owner: starts instances
ADMIN_USER = "bench_admin"      # admin: reads end data to check results
PASSWORD = "bench-password-1"   # noqa: S105 - a throw-away bench database


def now() -> float:
    return time.perf_counter()


def ms(seconds: float) -> float:
    return seconds * 1000.0


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), nearest-rank on the sorted values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(round(q / 100.0 * len(ordered) + 0.5))))
    return ordered[rank - 1]


def p95(values: list[float]) -> float:
    return percentile(values, 95)


@contextmanager
def gc_collected() -> Iterator[None]:
    """Start a measured block with a clean heap, so garbage from setup is not charged to it."""
    gc.collect()
    yield


def check_end_data(data: dict[str, Any] | None, where: str) -> None:
    if not data:
        raise AssertionError(f"{where}: no end data")
    for key, value in EXPECTED.items():
        if data.get(key) != value:
            raise AssertionError(f"{where}: {key} == {data.get(key)!r}, expected {value!r}")


@dataclass
class Lifecycles:
    """Timings (ms) of the workload's steps: (a) start, (b) each completion, (c) the whole."""

    start: list[float] = field(default_factory=list)
    assess: list[float] = field(default_factory=list)
    advise: list[float] = field(default_factory=list)
    lifecycle: list[float] = field(default_factory=list)
    #: CPU time (ms) per lifecycle: the process doing the work, its script sandboxes and, on
    #: PostgreSQL, the whole database server; one figure per lifecycle or per measured batch
    cpu: list[float] = field(default_factory=list)

    def add(self, start: float, assess: float, advise: float, lifecycle: float) -> None:
        """One lifecycle's times in seconds."""
        self.start.append(ms(start))
        self.assess.append(ms(assess))
        self.advise.append(ms(advise))
        self.lifecycle.append(ms(lifecycle))

    def extend(self, other: Lifecycles) -> None:
        for name in ("start", "assess", "advise", "lifecycle", "cpu"):
            getattr(self, name).extend(getattr(other, name))

    def summary(self) -> dict[str, float]:
        return {"a": median(self.start), "b_assess": median(self.assess),
                "b_advise": median(self.advise), "c": median(self.lifecycle),
                "cpu": median(self.cpu)}


def load_average() -> str:
    """The machine's load average now, for beside a table (the machine is shared)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"
