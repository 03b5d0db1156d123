"""Case numbers (``DR-2026-000123``) that two signals at once can never both get.

Each (municipality prefix, year) has a counter row; taking a number increments it with one
``UPDATE ... RETURNING``, which holds the row's lock until the transaction ends. Concurrent
signals of the same municipality therefore queue for a moment instead of colliding, and a case
that is not created gives its number back with the rollback (numbers stay consecutive). On
SQLite the single writer serialises the same way; the update is the first write of its
transaction, so it waits for the write lock rather than failing on a stale snapshot.

Taking a number costs the same at any size: one primary-key update. Only the first number of a
(prefix, year) without a counter looks at the cases, one index entry (the highest in use).
"""

from __future__ import annotations

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.chain.municipalities import BY_SLUG
from engine.models import Case, CaseNumberCounter
from engine.search import bytewise, starts_with

_COUNTER: Table = CaseNumberCounter.__table__  # type: ignore[assignment]


def next_case_number(session: Session, municipality: str, year: int) -> str:
    """The next number of ``municipality`` in ``year``; its counter is made on first use."""
    prefix = BY_SLUG[municipality].prefix
    number = _increment(session, prefix, year)
    if number is None:
        _create_counter(session, prefix, year)
        number = _increment(session, prefix, year)
        assert number is not None
    return f"{prefix}-{year}-{number:06d}"


def _increment(session: Session, prefix: str, year: int) -> int | None:
    statement = (update(_COUNTER)
                 .where(_COUNTER.c.prefix == prefix, _COUNTER.c.year == year)
                 .values(last_number=_COUNTER.c.last_number + 1)
                 .returning(_COUNTER.c.last_number))
    number: int | None = session.connection().execute(statement).scalar()
    return number


def _create_counter(session: Session, prefix: str, year: int) -> None:
    """Start the counter at the highest number already in use (cases made before it existed);
    when another transaction creates it at the same moment, theirs stands."""
    # the year's highest number, read backwards from the end of its range on the bytewise
    # case-number index: one index entry, however many cases the year holds
    last = session.scalar(select(Case.case_number)
                          .where(starts_with(Case.case_number, f"{prefix}-{year}-"))
                          .order_by(bytewise(Case.case_number).desc()).limit(1))
    values = {"prefix": prefix, "year": year,
              "last_number": int(last.rsplit("-", 1)[1]) if last else 0}
    insert = (postgresql_insert if session.get_bind().dialect.name == "postgresql"
              else sqlite_insert)
    session.connection().execute(insert(_COUNTER).values(values).on_conflict_do_nothing())
