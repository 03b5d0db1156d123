"""An instance's row and the rows its step adds (new tasks, events), written together.

On PostgreSQL they go as one statement: the instance's insert or versioned update in a
data-modifying CTE, the new rows inserted beside it from one JSON parameter per table
(``jsonb_to_recordset``), joined to the instance's row so that nothing is added when the
version check fails, and the task the step completed updated in the same statement. One
round trip instead of one per table: a task completion writes with 1 statement instead of 4
(12 statements instead of 19 for a whole two-task case through the API). SQLite has no
data-modifying CTEs and no round trips to save; there the rows go one table after the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Column,
    Integer,
    Table,
    bindparam,
    column,
    func,
    insert,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from engine.db import (
    CONFLICT_MESSAGE,
    UTCDateTime,
    changed_values,
    compiled_once,
    execute_write,
    insert_values,
    inserted,
    is_new,
    updated,
    versioned_parameters,
    versioned_update,
    write_versioned,
)
from engine.errors import Conflict

#: (table, rows): rows of a child table, each without its ``instance_id``.
Children = Sequence[tuple[Table, list[dict[str, Any]]]]


def write_with_children(session: Session, row: Any, children: Children,
                        also: Sequence[Any] = ()) -> None:
    """Write ``row`` (insert, or update guarded by its version), the changes of the loaded
    objects ``also`` (each guarded by its version: a completed task), and insert
    ``children`` with ``instance_id`` set to the row's id.

    Every row of one table gives the same columns (a column left out gets its default).

    :raise Conflict: another transaction changed ``row`` or one of ``also`` first; the
        caller's transaction must roll back.
    """
    children = [(table, rows) for table, rows in children if rows]
    new = is_new(row)
    changes = {} if new else changed_values(row)
    others = [(obj, changed_values(obj)) for obj in also if not is_new(obj)]
    others = [(obj, their_changes) for obj, their_changes in others if their_changes]
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql" or not (new or changes):
        for obj in also:
            write_versioned(session, obj)
        write_versioned(session, row)
        connection = session.connection()
        for table, rows in children:
            connection.execute(insert(table), [{**r, "instance_id": row.id} for r in rows])
        return
    for obj in also:
        if is_new(obj):
            write_versioned(session, obj)
    table = cast(Table, type(row).__table__)
    given = [_recordset(child, rows) for child, rows in children]
    shape = (tuple((child, tuple(k for k in rows[0] if k != _POSITION))
                   for (child, _), rows in zip(children, given, strict=True)),
             tuple((cast(Table, type(obj).__table__), frozenset(their_changes))
                   for obj, their_changes in others))
    parameters = {_parameter(index): rows for index, rows in enumerate(given)}
    for index, (obj, their_changes) in enumerate(others):
        parameters.update(versioned_parameters(obj, their_changes, _prefix(index)))
    if new:
        values, unset = insert_values(row)
        statement = _inserting(table, frozenset(values), shape, dialect)
        new_id, *counts = execute_write(session, statement, {**values, **parameters}).one()
    else:
        statement = _updating(table, frozenset(changes), shape, dialect)
        counts = list(execute_write(session, statement,
                                    {**versioned_parameters(row, changes), **parameters}).one())
    if any(count != 1 for count in counts):
        raise Conflict(CONFLICT_MESSAGE)
    if new:
        inserted(session, row, new_id, unset)
    else:
        updated(session, row)
    for obj, _ in others:
        updated(session, obj)


def _parameter(index: int) -> str:
    return f"_rows_{index}"


def _prefix(index: int) -> str:
    return f"_also_{index}"


#: The children (table, columns given) and the objects updated beside the row (table,
#: columns changed): what the statement's text depends on, besides the row's own columns.
Shape = tuple[tuple[tuple[Table, tuple[str, ...]], ...], tuple[tuple[Table, frozenset[str]], ...]]


@lru_cache(maxsize=128)
def _inserting(table: Table, columns: frozenset[str], shape: Shape, dialect: Dialect) -> Any:
    """``WITH written AS (INSERT … RETURNING id), <the others>, <children>
    SELECT id, <each other's count> FROM written``."""
    written = (insert(table).values({name: bindparam(name, type_=table.c[name].type)
                                     for name in sorted(columns)})
               .returning(table.c.id).cte("written"))
    return compiled_once(
        _with_children(select(written.c.id, *_other_counts(shape)), written, shape), dialect)


@lru_cache(maxsize=128)
def _updating(table: Table, columns: frozenset[str], shape: Shape, dialect: Dialect) -> Any:
    """``WITH written AS (UPDATE … WHERE id AND version RETURNING id), <the others>,
    <children> SELECT count(*) FROM written, <each other's count>``: a 0 where another
    writer won."""
    written = versioned_update(table, columns).returning(table.c.id).cte("written")
    count = select(func.count()).select_from(written).scalar_subquery()
    return compiled_once(_with_children(select(count, *_other_counts(shape)), written, shape),
                         dialect)


def _other_counts(shape: Shape) -> list[Any]:
    """For each object updated beside the row: how many rows its guarded UPDATE changed."""
    _children, others = shape
    counts = []
    for index, (table, columns) in enumerate(others):
        prefix = _prefix(index)
        other = (versioned_update(table, columns, prefix).returning(table.c.id)
                 .cte(f"{table.name}{prefix}"))
        counts.append(select(func.count()).select_from(other).scalar_subquery())
    return counts


def _with_children(statement: Any, written: Any, shape: Shape) -> Any:
    children, _others = shape
    for index, (child, names) in enumerate(children):
        statement = statement.add_cte(_child_insert(child, names, written, _parameter(index)))
    return statement


def _child_insert(table: Table, names: tuple[str, ...], written: Any, parameter: str) -> Any:
    """INSERT the JSON array ``parameter``'s rows into ``table`` in their order (an id from a
    sequence follows it), one per row of ``written`` (so none when ``written`` is empty)."""
    columns = [table.c[name] for name in names]
    rows = (func.jsonb_to_recordset(bindparam(parameter, type_=JSONB))
            .table_valued(*[column(c.key, c.type) for c in columns],
                          column(_POSITION, Integer()))
            .render_derived(name=f"{table.name}_given", with_types=True))
    values = [_as_stored(c, rows.c[c.key]) for c in columns]
    chosen = (select(written.c.id, *values).select_from(written)
              .join(rows, literal_column("true")).order_by(rows.c[_POSITION]))
    return (insert(table).from_select(["instance_id", *names], chosen, include_defaults=False)
            .cte(f"{table.name}_added"))


#: Each row's place in its array, given with the row (a recordset has no other order).
_POSITION = "_position"


def _as_stored(target: Column[Any], given: Any) -> Any:
    """What a parameter would have stored: a JSON column takes ``None`` as JSON ``null``
    (SQLAlchemy's default), where the recordset gives SQL NULL."""
    if isinstance(target.type, JSON) and not target.type.none_as_null:
        return func.coalesce(given, literal_column("'null'::jsonb", JSONB))
    return given


def _recordset(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` as ``jsonb_to_recordset`` reads them: each value as its column's type would
    bind it (a datetime as naive UTC, in ISO form), a plain default where a row gives no
    value (as an INSERT of the rows would), and each row's place."""
    defaults = {c.key: c.default.arg for c in table.columns
                if c.key not in rows[0] and isinstance(c.default, ScalarElementColumnDefault)}
    utc = [name for name in rows[0] if isinstance(table.c[name].type, UTCDateTime)]
    return [{**defaults, **r, **{name: _utc_text(r[name]) for name in utc}, _POSITION: position}
            for position, r in enumerate(rows)]


def _utc_text(value: datetime | None) -> str | None:
    stored = UTCDateTime().process_bind_param(value, cast(Any, None))
    return stored.isoformat() if stored is not None else None

