"""The text of ``/metrics``: this process's (or every process's) own counters from
``engine.metrics``, plus the state of the work read from the database at scrape time."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, or_, select

from engine.context import EngineContext
from engine.heartbeat import last_beat
from engine.messages import LIVE_STATUSES
from engine.metrics import MULTIPROCESS_DIR, declare
from engine.models import HumanTask, OutboxMail, ProcessInstance


def _state(ctx: EngineContext) -> Iterator[Any]:
    """Gauges read from the database now."""
    from prometheus_client.core import GaugeMetricFamily

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
        mail_states = dict(session.execute(
            select(OutboxMail.state, func.count()).where(
                OutboxMail.state.in_(("pending", "sending", "handed_over", "in_doubt")))
            .group_by(OutboxMail.state)).tuples().all())
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
    yield GaugeMetricFamily("ketenflow_mails_waiting",
                            "Mails in the outbox not yet sent (pending, or being sent).",
                            value=sum(mail_states.get(state, 0) for state in
                                      ("pending", "sending", "handed_over")))
    yield GaugeMetricFamily("ketenflow_mails_in_doubt",
                            "Mails whose worker died while handing them to the SMTP server: "
                            "perhaps delivered, so not resent on their own.",
                            value=mail_states.get("in_doubt", 0))
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

    declare()  # present (at zero) before the first step
    state = CollectorRegistry(auto_describe=False)
    state.register(_StateCollector(ctx))
    if os.environ.get(MULTIPROCESS_DIR):
        from prometheus_client import multiprocess

        own = CollectorRegistry()
        multiprocess.MultiProcessCollector(own)  # type: ignore[no-untyped-call]
    else:
        own = REGISTRY
    return generate_latest(own) + generate_latest(state), CONTENT_TYPE_LATEST


