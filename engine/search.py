"""Searching cases through an index, on PostgreSQL and on SQLite.

Case numbers are searched by prefix. ``LIKE 'DR-…%'`` cannot use a b-tree under a linguistic
collation (PostgreSQL's C.UTF-8 default): the search is a range on the case number compared
byte by byte (``COLLATE "C"``), which the index ``ix_case_number_bytewise`` on PostgreSQL and
the unique index on SQLite (whose default collation is bytewise) serve.

Names and addresses are searched for any part of them: on PostgreSQL through a trigram index
(pg_trgm, ``ix_case_search_trgm``) on ``lower(name || ' ' || street || ' ' || house number)``;
on SQLite through an FTS5 table with the trigram tokenizer (``case_search``, rowid = case id),
which triggers keep in step with the case table. Both are made by migration 0018.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, TextClause, and_, column, func, literal_column, text, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from engine.models import Case

#: The PostgreSQL index the name/address search uses (migration 0018).
TRIGRAM_INDEX = "ix_case_search_trgm"
#: The PostgreSQL index the case-number prefix search uses (migration 0018).
CASE_NUMBER_INDEX = "ix_case_number_bytewise"
#: The SQLite FTS5 table (trigram tokenizer) the name/address search uses.
FTS_TABLE = "case_search"
_FTS_MATCH = "SELECT rowid FROM case_search WHERE case_search MATCH :fts_phrase"
_FTS_LIKE = "SELECT rowid FROM case_search WHERE search_text LIKE :fts_pattern ESCAPE '/'"


class bytewise(FunctionElement[str]):  # noqa: N801 - reads as a SQL function
    """A text column compared byte by byte: ``COLLATE "C"`` on PostgreSQL; SQLite's default
    collation already is."""

    type = String()
    inherit_cache = True
    name = "bytewise"


@compiles(bytewise)
def _bytewise_plain(element: bytewise, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(bytewise, "postgresql")
def _bytewise_postgresql(element: bytewise, compiler: Any, **kw: Any) -> str:
    return f'({compiler.process(element.clauses, **kw)}) COLLATE "C"'


def starts_with(column: Any, prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix`` (as typed: ``%`` and ``_`` are themselves), as a
    range an ordinary b-tree index on the bytewise column can read."""
    if not prefix:
        return true()
    upper = prefix[:-1] + chr(min(ord(prefix[-1]) + 1, 0x10FFFF))
    return and_(bytewise(column) >= prefix, bytewise(column) < upper)


def search_text() -> ColumnElement[str]:
    """What the name/address search reads on PostgreSQL: exactly the trigram index's
    expression (the separators inline, not bound, or the planner cannot match it)."""
    space: ColumnElement[str] = literal_column("' '")
    return func.lower(Case.tenant_name.op("||")(space).op("||")(Case.street)
                      .op("||")(space).op("||")(Case.house_number))


def name_or_address(query: str, dialect: str) -> ColumnElement[bool]:
    """Cases whose name or address (street and house number) contains ``query``, any case."""
    lowered = query.strip().lower()
    if dialect == "postgresql":
        return search_text().contains(lowered, autoescape=True)
    matches: TextClause
    if len(lowered) >= 3:
        # a phrase of the trigram table: any substring of three characters or more
        phrase = '"' + lowered.replace('"', '""') + '"'
        matches = text(_FTS_MATCH).bindparams(fts_phrase=phrase)
    else:  # too short for a trigram: the FTS table is read whole (still one small table)
        escaped = lowered.replace("/", "//").replace("%", "/%").replace("_", "/_")
        matches = text(_FTS_LIKE).bindparams(fts_pattern=f"%{escaped}%")
    return Case.id.in_(matches.columns(column("rowid", Integer)))
