"""Starting a process reads its newest definition once per deployment (PostgreSQL), and a new
deployment is started from as soon as it is made, whichever process made it; SQLite reads it
every time. A second database engine stands for another process."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

from engine import chain, deployments, instances
from engine.access import SYSTEM
from engine.context import EngineContext, build_context
from engine.db import make_engine
from engine.models import ProcessInstance
from tests.factories import BPMN, deploy, only_on

KEPT_ON_POSTGRES = "SQLite keeps no definitions (test_sqlite_reads_the_definition_each_time)"
READ_ON_SQLITE = "PostgreSQL keeps it (test_starts_read_the_newest_definition_once)"


@pytest.fixture
def definition_queries(ctx: EngineContext) -> Iterator[list[str]]:
    """The newest-definition queries ``ctx``'s engine sends."""
    seen: list[str] = []

    def watch(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.startswith("SELECT process_definition.id") and "ORDER BY" in statement:
            seen.append(statement)

    event.listen(ctx.db, "before_cursor_execute", watch)
    yield seen
    event.remove(ctx.db, "before_cursor_execute", watch)


@pytest.fixture
def other_worker(ctx: EngineContext) -> Iterator[EngineContext]:
    """The same database through an engine and context of their own, as another process."""
    other = make_engine(ctx.db.url.render_as_string(hide_password=False))
    context = chain.install(build_context(ctx.settings, clock=ctx.clock, db=other,
                                          scripts=ctx.scripts))
    yield context
    other.dispose()


def _start(ctx: EngineContext) -> int:
    """The definition id a new ``review`` instance runs on."""
    with ctx.sessionmaker.begin() as session:
        started = instances.start_instance(ctx, session, SYSTEM, "review",
                                           {"municipality": "dordrecht"})
        row = session.get(ProcessInstance, started.id)
        assert row is not None
        return row.definition_id


def _changed_review(tmp_path: Path, name: str) -> Path:
    """The review bundle with its process renamed: a new deployment of the same process."""
    folder = tmp_path / name
    shutil.copytree(BPMN / "review", folder)
    bpmn = folder / "review.bpmn"
    bpmn.write_text(bpmn.read_text().replace('name="Beoordelen"', f'name="{name}"'))
    return folder


def _newest(ctx: EngineContext) -> int:
    with ctx.sessionmaker() as session:
        return deployments.latest_definition(session, "review").id



def test_starts_read_the_newest_definition_once(ctx, definition_queries):
    only_on(ctx, "postgresql", KEPT_ON_POSTGRES)
    deploy(ctx, "review")
    definition_queries.clear()
    assert _start(ctx) == _start(ctx) == _newest(ctx)
    assert len(definition_queries) == 2  # the first start, and _newest itself


def test_sqlite_reads_the_definition_each_time(ctx, definition_queries):
    only_on(ctx, "sqlite", READ_ON_SQLITE)
    deploy(ctx, "review")
    definition_queries.clear()
    _start(ctx)
    _start(ctx)
    assert len(definition_queries) == 2


def test_a_deployment_by_this_process_is_started_from_at_once(ctx, tmp_path):
    only_on(ctx, "postgresql", KEPT_ON_POSTGRES)
    deploy(ctx, "review")
    first = _start(ctx)
    deploy(ctx, _changed_review(tmp_path, "Beoordelen, versie 2"))
    second = _start(ctx)
    assert second != first and second == _newest(ctx)


def test_a_deployment_by_another_process_is_started_from_as_its_notice_arrives(
        ctx, other_worker, tmp_path):
    only_on(ctx, "postgresql", KEPT_ON_POSTGRES)
    deploy(ctx, "review")
    first = _start(ctx)
    deploy(other_worker, _changed_review(tmp_path, "Beoordelen, versie 2"))
    newest = _newest(other_worker)
    deadline = time.monotonic() + 5.0
    while (started := _start(ctx)) == first:
        assert time.monotonic() < deadline, "the new deployment never reached the cache"
        time.sleep(0.01)
    assert started == newest != first


def test_a_start_that_rolled_back_leaves_a_usable_definition(ctx):
    only_on(ctx, "postgresql", KEPT_ON_POSTGRES)
    deploy(ctx, "review")
    with pytest.raises(RuntimeError), ctx.sessionmaker.begin() as session:
        instances.start_instance(ctx, session, SYSTEM, "review", {"municipality": "dordrecht"})
        raise RuntimeError("the request failed after the start")  # its session rolls back
    assert _start(ctx) == _newest(ctx)


def test_intake_and_the_inbox_read_the_live_definitions_once_per_deployment(ctx, tmp_path):
    """The definition a start message starts (every signal) and the ids in service (every
    inbox page) are kept like the newest definition, and a deployment replaces them."""
    only_on(ctx, "postgresql", KEPT_ON_POSTGRES)
    deploy(ctx, "review")
    reads: list[str] = []

    def live() -> list[int]:
        reads.append("live")
        with ctx.sessionmaker() as session:
            return deployments.live_definition_ids(session)

    def starting() -> None:
        reads.append("start")
        with ctx.sessionmaker() as session:
            return deployments.definition_for_start_message(session, "nergens_gevangen")

    first = ctx.definitions.live_ids(live)
    assert ctx.definitions.live_ids(live) == first == [_newest(ctx)]
    assert ctx.definitions.for_start_message("nergens_gevangen", starting) is None
    assert ctx.definitions.for_start_message("nergens_gevangen", starting) is None
    assert reads == ["live", "start"]
    deploy(ctx, _changed_review(tmp_path, "Beoordelen, versie 2"))
    assert _newest(ctx) in ctx.definitions.live_ids(live)
    assert ctx.definitions.for_start_message("nergens_gevangen", starting) is None
    assert reads == ["live", "start", "live", "start"]
