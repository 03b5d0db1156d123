"""Database plumbing: the declarative Base, column types, engine and session factories.

There is no global session: the edges (web request, worker job, CLI command) open one and
commit; engine functions only flush.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    JSON,
    DateTime,
    Insert,
    MetaData,
    Table,
    Update,
    bindparam,
    event,
    insert,
    inspect,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.engine import Dialect, Engine, Row, create_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.schema import ScalarElementColumnDefault
from sqlalchemy.types import TypeDecorator

from engine.errors import ConfigurationError, Conflict

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONType,
                           list[Any]: JSONType}


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create the SQLAlchemy engine; SQLite gets WAL, a busy timeout and foreign keys."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 10})
    if url.startswith("postgresql"):
        _require_psycopg(url)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "savepoint", _sqlite_begin_before_savepoint)
    if engine.dialect.name == "postgresql":
        # Rows inserted together (an instance's correlations, a batch's rows) go as one
        # multi-row INSERT, not as psycopg's executemany, which opens a pipeline for every
        # call: for three events 96 instead of 110 µs in the client, 40 instead of 50 in the
        # server. (A step's own rows go with its instance: ``engine.step_rows``.)
        engine.dialect.use_insertmanyvalues_wo_returning = True
    return engine


def _require_psycopg(url: str) -> None:
    """PostgreSQL's driver is an extra (``ketenflow[postgres]``): say so instead of
    SQLAlchemy's bare ModuleNotFoundError."""
    scheme = url.split(":", 1)[0]
    if scheme == "postgresql":  # SQLAlchemy would pick psycopg2, which we never install
        raise ConfigurationError(
            "KETENFLOW_DATABASE_URL: schrijf postgresql+psycopg://… (Ketenflow gebruikt de "
            "driver psycopg)")
    if scheme != "postgresql+psycopg":
        return
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise ConfigurationError(
            "KETENFLOW_DATABASE_URL wijst naar PostgreSQL, maar de driver psycopg is niet "
            "geïnstalleerd: pip install 'ketenflow[postgres]' (in een checkout: "
            "pip install -e '.[postgres]')") from None


def _sqlite_begin_before_savepoint(connection: Any, _name: str) -> None:
    """Open the transaction before a savepoint if the sqlite3 module has not yet.

    The module starts a transaction only at its first INSERT/UPDATE/DELETE, so a SAVEPOINT
    issued first would itself become the transaction and its RELEASE a commit: the savepoint's
    writes would survive a rollback of the request. Reads before the first write need no
    transaction (the version columns guard against lost updates), so this is the only gap.
    """
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is not None and not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def is_write_conflict(error: OperationalError) -> bool:
    """SQLite's way of saying another transaction wrote first (its snapshot is stale, or the
    write lock stayed taken past the busy timeout)."""
    return "database is locked" in str(error) or "SQLITE_BUSY" in str(error)


@lru_cache(maxsize=256)
def versioned_update(table: Table, columns: frozenset[str], prefix: str = "") -> Update:
    """``UPDATE table SET <columns>, version WHERE id AND version`` with bound parameters,
    built once per column set (building and coercing it on every write was the cost);
    ``prefix`` on every parameter's name lets two such updates share one statement."""
    return (update(table)
            .where(table.c.id == bindparam(f"{prefix}_id"),
                   table.c.version == bindparam(f"{prefix}_version"))
            .values({**{name: bindparam(f"{prefix}{name}") for name in sorted(columns)},
                     "version": bindparam(f"{prefix}_next_version")}))


_POSTFIX_CAST = re.compile(r"(?<![:\w]):(\w+)::(\w+)")


def compiled_once(statement: Any, dialect: Dialect, columns: Sequence[str] | None = None,
                  edit: Callable[[str], str] | None = None) -> Any:
    """``statement`` compiled once for ``dialect``, as text with its typed parameters.

    SQLAlchemy cannot cache some statements (``ON CONFLICT`` clauses have no cache key) and
    compiles them anew at every execution; a hot statement of that kind is compiled here
    once (cache the result) and run as text, its parameters keeping their column types (the
    UTC conversion of datetimes). An INSERT names the ``columns`` its rows give; parameters
    with a value in the statement keep that value; ``edit`` may rewrite the SQL text (what
    SQLAlchemy cannot render, such as SQLite's ``INDEXED BY``).
    """
    # The dialect's base form: a driver's own (psycopg) writes casts that text() cannot read.
    base = {"postgresql": PGDialect, "sqlite": SQLiteDialect}.get(dialect.name, type(dialect))
    compiled = statement.compile(dialect=base(paramstyle="named"), for_executemany=True,
                                 column_keys=list(columns) if columns is not None else None)
    # ``:payload::JSONB`` (a JSON column on PostgreSQL) is no parameter to text(): spell the
    # cast out.
    sql = _POSTFIX_CAST.sub(r"CAST(:\1 AS \2)", str(compiled))
    sql = edit(sql) if edit is not None else sql
    params = [bindparam(name, compiled.params.get(name), type_=bind.type)
              for bind, name in compiled.bind_names.items() if f":{name}" in sql]
    return text(sql).bindparams(*params)


@lru_cache(maxsize=16)
def insert_unless_known(table: Table, key: str, dialect: Dialect,
                        returning: str | None = None) -> Any:
    """``INSERT … ON CONFLICT (key) DO NOTHING`` into ``table`` for ``dialect``, compiled once
    (SQLAlchemy compiles an ``ON CONFLICT`` anew at every execution). Every column but the
    primary key is a parameter; with ``returning``, an inserted row gives back that column (a
    known key gives no row)."""
    dialect_insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    statement: Any = dialect_insert(table).on_conflict_do_nothing(index_elements=[key])
    if returning is not None:
        statement = statement.returning(table.c[returning])
    columns = [column.key for column in table.columns if not column.primary_key]
    return compiled_once(statement, dialect, columns)


def write_versioned(session: Session, obj: Any) -> None:
    """Write ``obj``'s changed columns now, as one statement guarded by its ``version`` column.

    The hot path (completing a task, saving an instance) cannot afford the unit of work's
    bookkeeping for one row; this does the same optimistic check with a single Core statement
    and leaves the object clean, so the commit has nothing left to flush. A new object is
    inserted the same way.

    :raise Conflict: another transaction changed the row first.
    """
    if is_new(obj):
        values, unset = insert_values(obj)
        result = session.connection().execute(_plain_insert(_table_of(obj)), values)
        inserted(session, obj, cast(Row[Any], result.inserted_primary_key)[0], unset)
        return
    changes = changed_values(obj)
    if not changes:
        return
    statement = versioned_update(_table_of(obj), frozenset(changes))
    result = execute_write(session, statement, versioned_parameters(obj, changes))
    if result.rowcount != 1:
        raise Conflict(CONFLICT_MESSAGE)
    updated(session, obj)


CONFLICT_MESSAGE = "someone else changed this at the same moment; reload and try again"


def _table_of(obj: Any) -> Table:
    return cast(Table, type(obj).__table__)


def is_new(obj: Any) -> bool:
    """Not in the database yet: ``write_versioned`` inserts it."""
    state = inspect(obj)
    return bool(state.pending or state.transient)


def changed_values(obj: Any) -> dict[str, Any]:
    """The columns set on a loaded ``obj`` since its last write, with their new values."""
    # committed_state holds the original of every attribute set since the last write.
    return {key: getattr(obj, key) for key in inspect(obj).committed_state}


def versioned_parameters(obj: Any, changes: dict[str, Any],
                         prefix: str = "") -> dict[str, Any]:
    """The parameters of ``versioned_update`` (with the same ``prefix``) for ``changes`` of
    ``obj``."""
    given = {**changes, "_id": obj.id, "_version": obj.version,
             "_next_version": obj.version + 1}
    return {f"{prefix}{key}": value for key, value in given.items()} if prefix else given


def execute_write(session: Session, statement: Any, parameters: dict[str, Any]) -> Any:
    """Run a guarded write; SQLite's word for a lost race becomes ``Conflict``."""
    try:
        return session.connection().execute(statement, parameters)
    except OperationalError as error:
        if is_write_conflict(error):
            raise Conflict(CONFLICT_MESSAGE) from None
        raise


def updated(session: Session, obj: Any) -> None:
    """After ``obj``'s versioned update matched its row: the next version, and clean."""
    set_committed_value(obj, "version", obj.version + 1)
    _mark_clean(session, obj)


def insert_values(obj: Any) -> tuple[dict[str, Any], list[str]]:
    """The values to INSERT a new ``obj`` with, and the columns it leaves NULL.

    Like the unit of work, a column never set is left out (so it gets its default or NULL);
    a plain default is filled in on the object, so it knows every value afterwards.
    """
    values: dict[str, Any] = {}
    unset: list[str] = []
    for column in _table_of(obj).columns:
        if column.key in obj.__dict__:
            values[column.key] = obj.__dict__[column.key]
        elif isinstance(column.default, ScalarElementColumnDefault):
            values[column.key] = column.default.arg
            setattr(obj, column.key, column.default.arg)
        elif column.default is None and column.server_default is None and \
                not column.primary_key:
            unset.append(column.key)
    return values, unset


def inserted(session: Session, obj: Any, new_id: Any, unset: list[str]) -> None:
    """After ``obj``'s INSERT: attach it to ``session`` as loaded, so no attribute costs a
    SELECT later."""
    if inspect(obj).pending:
        session.expunge(obj)
    if obj.__dict__.get("id") is None:
        obj.id = new_id
    make_transient_to_detached(obj)
    session.add(obj)
    for key in unset:
        set_committed_value(obj, key, None)


@lru_cache(maxsize=64)
def _plain_insert(table: Table) -> Insert:
    return insert(table)


def _mark_clean(session: Session, obj: Any) -> None:
    """Tell the session that ``obj`` now matches its row (what a flush does after writing).

    Without this the object stays in ``session.dirty`` and the commit runs a whole (empty)
    unit of work for it. SQLAlchemy has no public call for this; ``_commit_all`` is the one
    its own flush uses, and the tests check that a written object is clean afterwards.
    """
    state = inspect(obj)
    state._commit_all(state.dict, session.identity_map)
