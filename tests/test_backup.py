"""Backup and restore as the README documents them: a ``pg_dump`` of a database with cases,
tasks and events restored with ``psql`` into a second database keeps every row of every
table (issue 13, item 7)."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine, make_url

from engine import deployments
from engine.access import SYSTEM
from engine.context import EngineContext
from engine.db import Base, make_engine
from engine.models import Case, Event, HumanTask
from tests.casework import complete_claimed, report
from tests.conftest import PG_URL
from tests.factories import make_user

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not PG_URL, reason="needs KETENFLOW_TEST_DATABASE_URL"),
              pytest.mark.skipif(not shutil.which("pg_dump") or not shutil.which("psql"),
                                 reason="needs pg_dump and psql")]


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as pg_dump and psql take it (no ``+psycopg``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows in primary-key order."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            found[table.name] = [tuple(row) for row in connection.execute(
                select(table).order_by(*table.primary_key.columns))]
        found["alembic_version"] = [tuple(row) for row in connection.execute(
            text("SELECT version_num FROM alembic_version"))]
    return found


def test_pg_dump_and_psql_restore_keep_every_case_task_and_event(ctx: EngineContext) -> None:
    if ctx.db.dialect.name != "postgresql":
        pytest.skip("pg_dump is PostgreSQL's")
    with ctx.sessionmaker.begin() as session:
        deployments.deploy_path(ctx, session, SYSTEM, ctx.settings.processes_dir)
    corporation = make_user(ctx, "corp", "corporation", "woonbron")
    worker = make_user(ctx, "st", "social_team", "dordrecht")
    numbers = [report(ctx, corporation, external_id=f"WB-{n}", crisis=True,
                      tenant={"house_number": str(n)}).case_number for n in (1, 2, 3)]
    with ctx.sessionmaker.begin() as session:
        task_id = session.scalars(select(HumanTask.id).where(
            HumanTask.case_number == numbers[0], HumanTask.state == "open",
            HumanTask.bpmn_id == "record_first_contact_attempt")).first()
        assert task_id is not None
        complete_claimed(ctx, session, worker, task_id, {
            "attempt_type": "Telefoon", "attempt_date": "2026-04-23", "day_part": "evening",
            "contact_made": False, "attempt_note": "Geen gehoor"})

    assert PG_URL is not None
    restored_name = f"{make_url(PG_URL).database}_restore"
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{restored_name}"'))
    admin.dispose()
    restored_url = make_url(PG_URL).set(database=restored_name).render_as_string(
        hide_password=False)

    # the README's two commands
    dump = subprocess.run(["pg_dump", "--no-owner", "--dbname", _libpq(PG_URL)],
                          capture_output=True, check=True, timeout=300)
    subprocess.run(["psql", "--quiet", "--set", "ON_ERROR_STOP=1", "--dbname",
                    _libpq(restored_url)], input=dump.stdout, capture_output=True, check=True,
                   timeout=300)

    restored = make_engine(restored_url)
    try:
        original, copy = _rows(ctx.db), _rows(restored)
        with restored.connect() as connection:
            cases = connection.execute(select(Case.case_number)).scalars().all()
            events = connection.execute(select(Event.id)).scalars().all()
    finally:
        restored.dispose()
    assert sorted(cases) == sorted(numbers)
    assert events and len(original["event"]) == len(events)
    assert {name: len(rows) for name, rows in copy.items()} == \
        {name: len(rows) for name, rows in original.items()}
    assert copy == original  # every row, every column
