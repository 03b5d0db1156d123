"""Timers fire once when the clock passes them, also with two workers racing."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine import chain, instances
from engine.access import SYSTEM
from engine.clock import ManualClock
from engine.context import EngineContext, build_context
from engine.models import Event, HumanTask
from engine.worker import fire_due_timers
from tests.factories import deploy


def _start(ctx: EngineContext) -> int:
    with ctx.sessionmaker.begin() as session:
        return instances.start_instance(ctx, session, SYSTEM, "review",
                                        {"municipality": "dordrecht"}).id


def _escalations(ctx: EngineContext, instance_id: int) -> int:
    with ctx.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.bpmn_id == "escalate")) or 0


def test_p5d_timer_fires_once_when_the_clock_passes_it(ctx: EngineContext,
                                                       clock: ManualClock) -> None:
    deploy(ctx, "review")
    instance_id = _start(ctx)
    with ctx.sessionmaker() as session:
        view = instances.get_instance(ctx, session, SYSTEM, instance_id)
    assert view.next_timer_due == clock.now() + timedelta(days=5)

    clock.advance(timedelta(days=4, hours=23))
    assert fire_due_timers(ctx) == 0
    assert _escalations(ctx, instance_id) == 0

    clock.advance(timedelta(hours=1, seconds=1))
    assert fire_due_timers(ctx) == 1
    assert fire_due_timers(ctx) == 0
    clock.advance(timedelta(days=30))
    assert fire_due_timers(ctx) == 0
    assert _escalations(ctx, instance_id) == 1
    with ctx.sessionmaker() as session:
        view = instances.get_instance(ctx, session, SYSTEM, instance_id)
        fired = session.scalar(select(func.count()).select_from(Event).where(
            Event.instance_id == instance_id, Event.kind == "timer_fired"))
    assert fired == 1
    assert view.next_timer_due is None
    assert sorted(view.current_elements) == ["assess", "escalate"]  # non-interrupting


def test_two_workers_racing_fire_each_timer_exactly_once(ctx: EngineContext,
                                                         clock: ManualClock) -> None:
    if ctx.db.dialect.name != "postgresql":
        pytest.skip("racing workers need PostgreSQL (SQLite has one writer at a time)")
    deploy(ctx, "review")
    ids = [_start(ctx) for _ in range(6)]
    clock.advance(timedelta(days=6))
    other = chain.install(build_context(ctx.settings, clock=clock, scripts=ctx.scripts))
    go = threading.Barrier(2)
    counts: list[int] = []

    def work(context: EngineContext) -> None:
        go.wait()
        counts.append(fire_due_timers(context))

    threads = [threading.Thread(target=work, args=(c,)) for c in (ctx, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    other.db.dispose()
    assert sum(counts) == len(ids)
    assert [_escalations(ctx, i) for i in ids] == [1] * len(ids)
