"""Shared fixtures: every engine test runs on SQLite and, when KETENFLOW_TEST_DATABASE_URL is
set, on PostgreSQL too. Tests commit for real (several connections, concurrency); the tables
are emptied after each test. Only the clock is faked."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.engine import Engine

from engine import chain
from engine.clock import ManualClock
from engine.context import EngineContext, build_context
from engine.db import Base, make_engine
from engine.sandbox.scripting import ScriptHost
from engine.schema import upgrade
from engine.settings import EngineSettings
from engine.users import ensure_organisations


def _worker_database(url: str | None) -> str | None:
    """The PostgreSQL database of this pytest-xdist worker: ``<name>_gw0``, ``<name>_gw1``, …
    beside the one CI names (made here when missing), so parallel workers never share
    tables; without xdist the URL as given."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) \
                    is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


PG_URL = _worker_database(os.environ.get("KETENFLOW_TEST_DATABASE_URL"))
DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])
ROOT = Path(__file__).resolve().parent.parent
#: A Thursday before Koningsdag: tests that cross a holiday and a weekend start here.
START = datetime(2026, 4, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'ketenflow-test.db'}"
    assert PG_URL is not None
    return PG_URL


@pytest.fixture(scope="session")
def db_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def script_host() -> Iterator[ScriptHost]:
    host = ScriptHost(timeout_seconds=1.0, memory_mb=512)
    yield host
    host.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def ctx(db_engine: Engine, script_host: ScriptHost, clock: ManualClock,
        ) -> Iterator[EngineContext]:
    """An engine context over a clean database with the reference organisations."""
    # No workflow cache: every step deserializes from the database, as the scenario tests
    # require; test_workflow_cache covers the cache itself.
    settings = EngineSettings(database_url=db_engine.url.render_as_string(hide_password=False),
                              processes_dir=str(ROOT / "processes"), workflow_cache_size=0)
    context = chain.install(build_context(settings, clock=clock, db=db_engine,
                                          scripts=script_host))
    with context.sessionmaker.begin() as session:
        ensure_organisations(session)
    yield context
    with db_engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


def pytest_sessionstart(session: pytest.Session) -> None:
    """CI sets KETENFLOW_REQUIRE_POSTGRES=1: there a missing or unreachable PostgreSQL stops the
    run with an error instead of quietly testing SQLite only."""
    if os.environ.get("KETENFLOW_REQUIRE_POSTGRES") != "1":
        return
    if not PG_URL:
        pytest.exit("KETENFLOW_REQUIRE_POSTGRES=1 but KETENFLOW_TEST_DATABASE_URL is not set",
                    returncode=1)
    engine = make_engine(PG_URL)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure to connect ends the run
        pytest.exit(f"KETENFLOW_REQUIRE_POSTGRES=1 but PostgreSQL is unreachable: {error}",
                    returncode=1)
    finally:
        engine.dispose()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            db = next((p for p in DATABASES if f"[{p}" in item.nodeid or f"-{p}" in
                       item.nodeid), None)
            if db == "postgresql":
                item.add_marker(pytest.mark.postgres)
