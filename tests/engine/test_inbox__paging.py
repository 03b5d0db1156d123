"""The inbox pages with a keyset cursor: every task once, in order, dated before undated."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from engine import inbox, instances
from engine.access import SYSTEM, Actor
from engine.context import EngineContext
from engine.models import HumanTask
from tests.factories import deploy, make_user


def _queue_of_seven(ctx: EngineContext) -> tuple[Actor, list[str]]:
    """Seven open tasks for Dordrecht: four with a due date (two on the same moment), three
    without; returns the team member and the task ids in the order the due sort must give."""
    deploy(ctx, "review")
    anna = make_user(ctx, "anna", "social_team", "dordrecht")
    for _ in range(7):
        with ctx.sessionmaker.begin() as session:
            instances.start_instance(ctx, session, SYSTEM, "review",
                                     {"municipality": "dordrecht"})
    base = ctx.clock.now()
    with ctx.sessionmaker.begin() as session:
        ids = sorted(session.scalars(HumanTask.__table__.select().with_only_columns(
            HumanTask.id)).all())
        dues = [base + timedelta(days=3), base + timedelta(days=1), base + timedelta(days=1),
                base + timedelta(days=2)]
        for task_id, due in zip(ids, dues, strict=False):
            session.execute(update(HumanTask).where(HumanTask.id == task_id).values(due_at=due))
    dated = sorted(zip(dues, ids, strict=False))
    return anna, [task_id for _due, task_id in dated] + sorted(ids[4:])


def _walk(ctx: EngineContext, actor: Actor, sort: str, limit: int) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        with ctx.sessionmaker.begin() as session:
            page = inbox.inbox(ctx, session, actor, queue="team", sort=sort, cursor=cursor,
                               limit=limit, summary=False)
        pages.append([item.task.id for item in page.items])
        cursor = page.next
        if cursor is None:
            return pages


def test_due_sort_pages_dated_then_undated_each_task_once(ctx: EngineContext) -> None:
    anna, expected = _queue_of_seven(ctx)
    for limit in (1, 2, 3, 4, 7, 50):
        pages = _walk(ctx, anna, "due", limit)
        assert [task for page in pages for task in page] == expected, limit
        assert all(len(page) == limit for page in pages[:-1])


def test_created_sort_pages_each_task_once(ctx: EngineContext) -> None:
    anna, expected = _queue_of_seven(ctx)
    for limit in (2, 3):
        seen = [task for page in _walk(ctx, anna, "created", limit) for task in page]
        assert sorted(seen) == sorted(expected) and len(seen) == 7


def test_another_municipality_and_my_own_queue_see_none_of_them(ctx: EngineContext) -> None:
    anna, _expected = _queue_of_seven(ctx)
    bram = make_user(ctx, "bram", "social_team", "sliedrecht")
    corrie = make_user(ctx, "corrie", "corporation", "trivire")
    assert _walk(ctx, bram, "due", 5) == [[]]
    assert _walk(ctx, corrie, "created", 5) == [[]]
    with ctx.sessionmaker.begin() as session:
        mine = inbox.inbox(ctx, session, anna, queue="mine", summary=False)
    assert mine.items == []
