"""A step's rows written together: on PostgreSQL one statement for the instance, the task the
step completes, its new tasks and its events; all or nothing on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from engine import tasks
from engine.context import EngineContext
from engine.errors import Conflict
from engine.models import Event, HumanTask, ProcessInstance
from engine.step_rows import write_with_children
from tests.engine.test_db__versioned_writes import Statements
from tests.factories import make_user

EVENTS: Table = Event.__table__  # type: ignore[assignment]
TASKS: Table = HumanTask.__table__  # type: ignore[assignment]
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _open_task(ctx: EngineContext, instance_id: int) -> str:
    with ctx.sessionmaker() as session:
        return session.scalars(select(HumanTask.id).where(
            HumanTask.instance_id == instance_id, HumanTask.state == "open")).one()


def _counts(ctx: EngineContext, instance_id: int) -> tuple[int, int, int]:
    """The instance's version, its events and its tasks."""
    with ctx.sessionmaker() as session:
        return (session.scalars(select(ProcessInstance.version)
                                .where(ProcessInstance.id == instance_id)).one(),
                session.scalar(select(func.count()).select_from(Event)
                               .where(Event.instance_id == instance_id)) or 0,
                session.scalar(select(func.count()).select_from(HumanTask)
                               .where(HumanTask.instance_id == instance_id)) or 0)


def test_a_completion_writes_in_one_statement_on_postgresql(
        ctx: EngineContext, review_id: int) -> None:
    anna = make_user(ctx)
    task_id = _open_task(ctx, review_id)
    version, events, task_rows = _counts(ctx, review_id)
    statements = Statements(ctx)
    try:
        with ctx.sessionmaker.begin() as session:
            done = tasks.complete_task(ctx, session, anna, task_id,
                                       {"decision": "proceed", "amount": 70}, take_open=True)
    finally:
        statements.close()
    writes = [kind for kind in statements.seen if kind != "SELECT"]
    if ctx.db.dialect.name == "postgresql":
        assert writes == ["WITH"]  # the task, the instance, the new task, the events
    else:
        assert writes == ["UPDATE", "UPDATE", "INSERT", "INSERT"]
    assert done.next_task_id is not None
    new_version, new_events, new_task_rows = _counts(ctx, review_id)
    assert (new_version, new_task_rows) == (version + 1, task_rows + 1)
    assert new_events > events
    with ctx.sessionmaker() as session:
        completed = session.get(HumanTask, task_id)
        assert completed is not None
        assert (completed.state, completed.completed_by, completed.version) == \
            ("completed", "anna", 2)  # taken and completed in one write
        kinds = session.scalars(select(Event.kind).where(Event.instance_id == review_id)
                                .order_by(Event.id)).all()
    # the step's events in the order they happened, after the start's
    assert kinds[events:][0] == "task_completed"
    assert kinds[-1] == "task_ready"


@pytest.mark.parametrize("changed_first", ["task", "instance"])
def test_a_row_changed_meanwhile_is_a_conflict_and_the_step_writes_nothing(
        ctx: EngineContext, review_id: int, changed_first: str) -> None:
    anna = make_user(ctx)
    task_id = _open_task(ctx, review_id)
    before = _counts(ctx, review_id)
    with ctx.sessionmaker() as session:
        # the task and its instance are read first, as a completion reads them ...
        task = session.get(HumanTask, task_id)
        assert task is not None
        instance = session.get(ProcessInstance, review_id)
        assert instance is not None
        # ... then another transaction changes one of them and commits
        with ctx.sessionmaker.begin() as other:
            table = "human_task" if changed_first == "task" else "process_instance"
            other.execute(text(f"UPDATE {table} SET version = version + 1 WHERE id = :id"),  # noqa: S608 - a fixed name
                          {"id": task_id if changed_first == "task" else review_id})
        task.state, task.assignee_id = "completed", anna.user_id
        instance.status = "waiting"
        with pytest.raises(Conflict):
            write_with_children(session, instance, [(EVENTS, [_event("x", 0)])], also=[task])
        session.rollback()
    version, events, task_rows = _counts(ctx, review_id)
    assert (version - (changed_first == "instance"), events, task_rows) == before
    with ctx.sessionmaker() as session:
        assert session.scalars(select(HumanTask.state).where(HumanTask.id == task_id)).one() \
            == "open"


def _event(kind: str, minutes: int, **detail: Any) -> dict[str, Any]:
    at = datetime(2026, 3, 29, 1, 30, tzinfo=UTC) + timedelta(minutes=minutes)
    return {"at": at.astimezone(AMSTERDAM), "kind": kind, "element_id": None,
            "task_id": None, "actor": "anna", "detail": detail or None}


def test_rows_keep_their_order_their_times_defaults_and_json_null(
        ctx: EngineContext, review_id: int) -> None:
    """What the one statement stores is what separate INSERTs of the same rows store: ids in
    the rows' order, times in UTC across the summer-time night, a column's default where a
    row gives no value, and no detail as JSON null."""
    given = [_event(f"kind_{n}", n * 20, n=n) if n % 3 else _event(f"kind_{n}", n * 20)
             for n in range(12)]
    with ctx.sessionmaker.begin() as session:
        template = session.get(ProcessInstance, review_id)
        assert template is not None
        row = ProcessInstance(definition_id=template.definition_id, process_id="review",
                              status="running", library_version="x", waiting_messages=[],
                              open_task_ids=[], correlations={}, current_elements=[],
                              created_at=template.created_at, updated_at=template.created_at)
        new_task = {"id": "7d3c5a5e-0000-4000-8000-000000000001", "process_id": "review",
                    "case_number": None, "bpmn_id": "assess", "name": "Beoordelen",
                    "role": "social_team", "municipality": "dordrecht", "corporation": None,
                    "state": "open", "form_file": None, "instructions": None,
                    "due_at": given[5]["at"], "created_at": given[0]["at"],
                    "assignee_id": None, "completed_at": None, "completed_by": None}
        write_with_children(session, row, [(TASKS, [new_task]), (EVENTS, given)])
        new_id = row.id
        assert row.version == 1 and row not in session.dirty
        # the same events inserted one by one, as SQLite (and every other writer) does
        _insert_separately(session, review_id, given)
    with ctx.sessionmaker() as session:
        together = _stored_events(session, new_id)
        apart = _stored_events(session, review_id)[-len(given):]
        task = session.get(HumanTask, new_task["id"])
        assert task is not None
        assert (task.instance_id, task.urgent, task.version) == (new_id, False, 1)
        assert task.due_at == given[5]["at"]
    assert [e[1:] for e in together] == [e[1:] for e in apart]
    assert [e[0] for e in together] == sorted(e[0] for e in together)
    assert [e[1] for e in together] == [f"kind_{n}" for n in range(12)]
    assert together[3][2] == datetime(2026, 3, 29, 2, 30, tzinfo=UTC)  # 04:30 summer time
    assert together[0][3:] == (None, "null", False)  # JSON null, not SQL NULL
    assert together[1][3:] == ({"n": 1}, "object", False)


def _insert_separately(session: Session, instance_id: int, rows: list[dict[str, Any]]) -> None:
    session.connection().execute(insert(EVENTS), [{**r, "instance_id": instance_id}
                                                  for r in rows])


def _stored_events(session: Session, instance_id: int) -> list[tuple[Any, ...]]:
    detail = (func.jsonb_typeof(Event.detail) if session.get_bind().dialect.name == "postgresql"
              else func.json_type(Event.detail))
    return [tuple(r) for r in session.execute(
        select(Event.id, Event.kind, Event.at, Event.detail, detail,
               Event.detail.is_(None))
        .where(Event.instance_id == instance_id).order_by(Event.id)).all()]
