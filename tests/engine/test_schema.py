"""The Alembic migrations build exactly the schema the models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine

import engine.models  # noqa: F401 - registers every table
from engine.db import Base
from engine.search import CASE_NUMBER_INDEX, FTS_TABLE, TRIGRAM_INDEX


def _declared(name: str | None, type_: str, _parent: object) -> bool:
    """Everything but the search structures only migration 0018 makes (``engine.search``):
    SQLite's FTS5 table with its shadow tables, PostgreSQL's expression indexes."""
    if type_ == "table" and name is not None and name.startswith(FTS_TABLE):
        return False
    return not (type_ == "index" and name in (CASE_NUMBER_INDEX, TRIGRAM_INDEX))


def test_migrations_match_the_models(db_engine: Engine) -> None:
    with db_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": _declared})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
