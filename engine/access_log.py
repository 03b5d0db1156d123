"""The access log as the privacy officer needs it: appended once per read, chained by hash,
verified, searched.

Every read of households' data appends one ``AccessLog`` row with the case numbers it showed
(``AccessLogCase``). The application has no path that updates or deletes a row. Each row's
``hash`` is sha256 over the previous row's hash and the row's own content (its cases included),
so a row edited, removed or inserted afterwards breaks the chain and ``verify`` names the first
place it breaks. The head row (``AccessLogHead``) is updated first thing in ``append``: on
PostgreSQL that takes its row lock, on SQLite the database's write lock, so two requests at
once chain one after the other and never onto the same predecessor.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import cast

from sqlalchemy import (
    Select,
    String,
    Table,
    Update,
    bindparam,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.models import AccessLog, AccessLogCase, AccessLogHead

#: The hash the first row chains onto.
GENESIS = "0" * 64
_HEAD = 1


@dataclass(frozen=True)
class Entry:
    """One read as it is logged: who, as what, when, what, which cases."""

    at: datetime
    user_id: int | None
    username: str
    role: str
    organisation: str
    what: str
    case_numbers: tuple[str, ...]


def content_hash(previous: str, seq: int, entry: Entry) -> str:
    """The row's hash: sha256 over the previous hash and the row's content, canonically."""
    body = json.dumps([seq, _stamp(entry.at), entry.user_id, entry.username, entry.role,
                       entry.organisation, entry.what, sorted(entry.case_numbers)],
                      ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(f"{previous}:{body}".encode()).hexdigest()


def _stamp(at: datetime) -> str:
    """The time as both databases give it back (UTC, microseconds)."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def append(session: Session, entry: Entry) -> int:
    """Append ``entry`` to the chain in ``session``'s transaction; returns its ``seq``.

    The head's update comes first and holds its lock until the transaction ends: a second
    request waits there, then chains onto this row."""
    seq, previous = _advance_head(session)
    digest = content_hash(previous, seq, entry)
    values = {"new_seq": seq, "new_at": entry.at, "new_user_id": entry.user_id,
              "new_username": entry.username, "new_role": entry.role,
              "new_organisation": entry.organisation, "new_what": entry.what,
              "new_case_count": len(entry.case_numbers), "new_hash": digest}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_in_one_statement(bool(entry.case_numbers)),
                        {**values, "case_numbers": list(entry.case_numbers)})
        return seq
    log_id = session.execute(_ROW, values).scalar_one()
    if entry.case_numbers:
        session.execute(insert(_CASES), [{"log_id": log_id, "case_number": number}
                                         for number in entry.case_numbers])
    session.execute(_HEAD_HASH, {"new_hash": digest})
    return seq


_LOG = cast(Table, AccessLog.__table__)
_CASES = cast(Table, AccessLogCase.__table__)
#: The statements of ``append``, built once (every read that is logged runs them).
_ROW = insert(_LOG).values({column: bindparam(f"new_{column}") for column in (
    "seq", "at", "user_id", "username", "role", "organisation", "what", "case_count", "hash",
)}).returning(_LOG.c.id)
_HEAD_HASH = (update(cast(Table, AccessLogHead.__table__))
              .where(AccessLogHead.id == _HEAD).values(hash=bindparam("new_hash")))


@lru_cache(maxsize=2)
def _in_one_statement(with_cases: bool) -> Update:
    """PostgreSQL: the row, its cases and the head's new hash as one statement (data-modifying
    WITH parts), one round trip instead of three on every read that is logged."""
    logged = _ROW.cte("logged")
    statement = _HEAD_HASH.add_cte(logged)
    if with_cases:
        numbers = func.unnest(bindparam("case_numbers", type_=postgresql.ARRAY(String))
                              ).table_valued("case_number").render_derived()
        cases = insert(_CASES).from_select(
            ["log_id", "case_number"],
            select(logged.c.id, numbers.c.case_number).join_from(logged, numbers, true()))
        statement = statement.add_cte(cases.cte("cases"))
    return statement


def _advance_head(session: Session) -> tuple[int, str]:
    """Take the head's lock by moving its ``seq`` on; the new seq and the previous hash."""
    moved = update(AccessLogHead).where(AccessLogHead.id == _HEAD).values(
        seq=AccessLogHead.seq + 1).returning(AccessLogHead.seq, AccessLogHead.hash)
    found = session.execute(moved).first()
    if found is None:
        _create_head(session)
        found = session.execute(moved).one()
    return int(found[0]), str(found[1])


def _create_head(session: Session) -> None:
    """The head of an empty log (two first requests at once: one insert wins, both go on)."""
    values = {"id": _HEAD, "seq": 0, "hash": GENESIS}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(postgresql.insert(AccessLogHead).values(values)
                        .on_conflict_do_nothing())
    else:
        session.execute(sqlite.insert(AccessLogHead).values(values).on_conflict_do_nothing())


# --- verification --------------------------------------------------------------------------

@dataclass(frozen=True)
class Verification:
    """The chain's state: ``ok``, how many rows were checked, and where it first breaks."""

    ok: bool
    rows: int
    broken_at: int | None = None
    reason: str = ""


def verify(session: Session, batch: int = 1000) -> Verification:
    """Walk the chain in ``seq`` order and recompute every hash."""
    previous, expected, checked = GENESIS, 1, 0
    for row, cases in _rows_with_cases(session, batch):
        if row.seq != expected:
            return Verification(False, checked, expected, f"row {expected} is missing")
        entry = Entry(row.at, row.user_id, row.username, row.role, row.organisation, row.what,
                      tuple(cases))
        if len(cases) != row.case_count or content_hash(previous, row.seq, entry) != row.hash:
            return Verification(False, checked, row.seq, f"row {row.seq} was changed")
        previous, expected, checked = row.hash, expected + 1, checked + 1
    head = session.get(AccessLogHead, _HEAD)
    if checked and (head is None or head.seq != checked or head.hash != previous):
        return Verification(False, checked, checked, "rows after the last one were removed")
    return Verification(True, checked)


def _rows_with_cases(session: Session, batch: int
                     ) -> Iterator[tuple[AccessLog, list[str]]]:
    last = 0
    while True:
        rows = session.scalars(select(AccessLog).where(AccessLog.seq > last)
                               .order_by(AccessLog.seq).limit(batch)).all()
        if not rows:
            return
        cases: dict[int, list[str]] = {r.id: [] for r in rows}
        for log_id, number in session.execute(
                select(AccessLogCase.log_id, AccessLogCase.case_number)
                .where(AccessLogCase.log_id.in_(list(cases)))):
            cases[log_id].append(number)
        for row in rows:
            yield row, cases[row.id]
        last = rows[-1].seq


# --- search --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """A search of the log; empty fields do not filter. ``until`` is exclusive."""

    username: str = ""
    case_number: str = ""
    organisation: str = ""
    role: str = ""
    since: datetime | None = None
    until: datetime | None = None


@dataclass
class Read:
    """A logged read as the privacy officer sees it: who, what, when, which case numbers."""

    id: int
    seq: int
    at: datetime
    username: str
    role: str
    organisation: str
    what: str
    case_count: int
    case_numbers: list[str] = field(default_factory=list)


def filtered(filters: Filters) -> Select[tuple[AccessLog]]:
    """The log's rows matching ``filters`` (each filter has its index: person, organisation
    and role with the time, the case number in ``access_log_case``)."""
    query = select(AccessLog)
    if filters.username:
        query = query.where(AccessLog.username == filters.username)
    if filters.organisation:
        query = query.where(AccessLog.organisation == filters.organisation)
    if filters.role:
        query = query.where(AccessLog.role == filters.role)
    if filters.since is not None:
        query = query.where(AccessLog.at >= filters.since)
    if filters.until is not None:
        query = query.where(AccessLog.at < filters.until)
    if filters.case_number:
        query = query.where(AccessLog.id.in_(select(AccessLogCase.log_id).where(
            AccessLogCase.case_number == filters.case_number)))
    return query


def search(session: Session, filters: Filters, limit: int = 200, offset: int = 0
           ) -> list[Read]:
    """The newest reads matching ``filters``, each with the case numbers it showed."""
    rows = session.scalars(filtered(filters).order_by(AccessLog.seq.desc())
                           .limit(limit).offset(offset)).all()
    return _with_cases(session, rows)


def count(session: Session, filters: Filters) -> int:
    return int(session.scalar(select(func.count()).select_from(
        filtered(filters).subquery())) or 0)


def _with_cases(session: Session, rows: Sequence[AccessLog]) -> list[Read]:
    found = {r.id: Read(r.id, r.seq, r.at, r.username, r.role, r.organisation, r.what,
                        r.case_count) for r in rows}
    if found:
        for log_id, number in session.execute(
                select(AccessLogCase.log_id, AccessLogCase.case_number)
                .where(AccessLogCase.log_id.in_(list(found)))
                .order_by(AccessLogCase.case_number)):
            found[log_id].case_numbers.append(number)
    return [found[r.id] for r in rows]


def export_lines(session: Session, filters: Filters, batch: int = 1000
                 ) -> Iterable[tuple[str, str, str, str, str, str]]:
    """Every read matching ``filters``, oldest first, one line per case number shown (a read
    that showed no case: one line without one), for the CSV export."""
    last = 0
    while True:
        rows = session.scalars(filtered(filters).where(AccessLog.seq > last)
                               .order_by(AccessLog.seq).limit(batch)).all()
        if not rows:
            return
        for read in _with_cases(session, rows):
            stamp = read.at.astimezone(UTC).isoformat(timespec="seconds")
            for number in read.case_numbers or [""]:
                yield stamp, read.username, read.role, read.organisation, read.what, number
        last = rows[-1].seq
