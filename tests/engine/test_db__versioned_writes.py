"""``write_versioned``: one guarded statement per write, and nothing left for the commit."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, select, text

from engine import instances
from engine.access import SYSTEM
from engine.context import EngineContext
from engine.db import write_versioned
from engine.errors import Conflict
from engine.models import ProcessInstance
from tests.factories import deploy


class Statements:
    """The SQL an engine runs while this is attached (a listener, not a fake)."""

    def __init__(self, ctx: EngineContext) -> None:
        self.seen: list[str] = []
        self._engine = ctx.db
        event.listen(self._engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        self.seen.append(statement.split()[0].upper())

    def close(self) -> None:
        event.remove(self._engine, "before_cursor_execute", self._record)


def test_a_written_row_is_clean_and_the_commit_writes_nothing_more(
        ctx: EngineContext, review_id: int) -> None:
    statements = Statements(ctx)
    try:
        with ctx.sessionmaker.begin() as session:
            row = session.get(ProcessInstance, review_id)
            assert row is not None
            before = row.version
            row.status = "suspended"
            write_versioned(session, row)
            assert row not in session.dirty
            assert row.version == before + 1
    finally:
        statements.close()
    assert statements.seen == ["SELECT", "UPDATE"]
    with ctx.sessionmaker() as session:
        stored = session.get(ProcessInstance, review_id)
        assert stored is not None
        assert (stored.status, stored.version) == ("suspended", before + 1)


def test_a_change_after_the_write_is_still_flushed(ctx: EngineContext, review_id: int) -> None:
    with ctx.sessionmaker.begin() as session:
        row = session.get(ProcessInstance, review_id)
        assert row is not None
        row.status = "suspended"
        write_versioned(session, row)
        row.business_key = "DR-2026-999999"
    with ctx.sessionmaker() as session:
        stored = session.get(ProcessInstance, review_id)
        assert stored is not None
        assert (stored.status, stored.business_key) == ("suspended", "DR-2026-999999")


def test_a_stale_version_is_a_conflict_and_nothing_changes(ctx: EngineContext,
                                                           review_id: int) -> None:
    with ctx.sessionmaker() as session:
        row = session.get(ProcessInstance, review_id)
        assert row is not None
        with ctx.sessionmaker.begin() as other:
            other.execute(text("UPDATE process_instance SET version = version + 1 "
                               "WHERE id = :id"), {"id": review_id})
        row.status = "suspended"
        with pytest.raises(Conflict):
            write_versioned(session, row)
        session.rollback()
    with ctx.sessionmaker() as session:
        assert session.scalar(select(ProcessInstance.status)
                              .where(ProcessInstance.id == review_id)) != "suspended"


def test_a_new_row_is_inserted_whole_and_reads_back_without_a_query(
        ctx: EngineContext, review_id: int) -> None:
    with ctx.sessionmaker() as session:
        template = session.get(ProcessInstance, review_id)
        assert template is not None
        definition_id, created = template.definition_id, template.created_at
    statements = Statements(ctx)
    try:
        with ctx.sessionmaker.begin() as session:
            row = ProcessInstance(definition_id=definition_id, process_id="review",
                                  status="running", library_version="x",
                                  waiting_messages=[], open_task_ids=[], correlations={},
                                  current_elements=[], created_at=created, updated_at=created)
            session.add(row)
            write_versioned(session, row)
            assert row.id is not None and row.version == 1
            assert row not in session.new and row not in session.dirty
            seen_after_insert = len(statements.seen)
            # Never-set columns are known to be NULL: reading them costs no SELECT.
            assert (row.state, row.data, row.completed_at) == (None, None, None)
            assert len(statements.seen) == seen_after_insert
            new_id = row.id
    finally:
        statements.close()
    assert statements.seen == ["INSERT"]
    with ctx.sessionmaker() as session:
        # Unset JSON columns are SQL NULL (as the unit of work writes them), not JSON null.
        assert session.scalar(select(ProcessInstance.id).where(
            ProcessInstance.id == new_id, ProcessInstance.data.is_(None))) == new_id
        assert session.scalar(text("SELECT data IS NULL FROM process_instance WHERE id = :id"),
                              {"id": new_id}) in (True, 1)


def test_a_starts_events_go_to_the_database_in_one_statement(ctx: EngineContext) -> None:
    """The events of a start (several rows) go in one statement: on PostgreSQL the one that
    also inserts the instance and its task (``engine.step_rows``), not psycopg's executemany
    (a pipeline per call); SQLite keeps its in-process executemany."""
    deploy(ctx, "review")
    inserts: list[tuple[str, bool]] = []

    def record(_conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any,
               executemany: bool) -> None:
        if "INSERT INTO EVENT" in statement.upper():
            inserts.append((statement, executemany))

    event.listen(ctx.db, "before_cursor_execute", record)
    try:
        with ctx.sessionmaker.begin() as session:
            started = instances.start_instance(ctx, session, SYSTEM, "review",
                                               {"municipality": "dordrecht"})
    finally:
        event.remove(ctx.db, "before_cursor_execute", record)
    with ctx.sessionmaker() as session:
        kinds = session.scalars(text("SELECT kind FROM event WHERE instance_id = :id "
                                     "ORDER BY id"), {"id": started.id}).all()
    assert len(kinds) >= 2 and "instance_started" in kinds
    assert len(inserts) == 1
    statement, executemany = inserts[0]
    if ctx.db.dialect.name == "postgresql":
        assert not executemany
        assert statement.upper().count("INSERT INTO") == 3  # instance, task, events
    else:
        assert executemany and statement.count("), (") == 0
