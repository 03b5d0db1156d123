"""Patterns in the access log, for the privacy officer: per person, how many cases they
opened, how many of those lay outside their own queue, and flags for what looks unusual.

"Opened" is a read of one case (its page, a task, a package); a list view is not opening.
A case is in a person's own queue when they held it or a task of it was assigned to or done
by them; opened outside it is not wrong (a colleague's case, a search) but worth a look in
bulk. The flags: many cases in a short time (``access_burst_cases`` within
``access_burst_minutes``), break-glass into a case of another municipality, and refused
attempts on another scope's objects.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine import access_log, break_glass
from engine.access import REFUSED
from engine.access_log import Filters
from engine.models import AccessLog, AccessLogCase, Case, HumanTask
from engine.settings import EngineSettings

BURST, BREAK_GLASS_OUTSIDE, REFUSALS = "burst", "break_glass_outside", "refusals"
#: Refused attempts in the period from which a person is flagged.
REFUSALS_FLAGGED = 3


@dataclass
class Pattern:
    username: str
    role: str
    organisation: str
    reads: int = 0
    opened: int = 0
    outside_queue: list[str] = field(default_factory=list)
    refused: int = 0
    #: the most distinct cases opened within one window of ``access_burst_minutes``
    burst: int = 0
    grants: list[break_glass.Grant] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


def summary(session: Session, settings: EngineSettings, filters: Filters,
            limit: int = 50) -> list[Pattern]:
    """Every person with reads matching ``filters`` (most reads first), with their pattern
    over the same period; flagged people first."""
    names = _people(session, filters, limit)
    found = [pattern(session, settings, name, filters.since, filters.until) for name in names]
    return sorted(found, key=lambda p: (not p.flags, -p.reads, p.username))


def _people(session: Session, filters: Filters, limit: int) -> list[str]:
    rows = access_log.filtered(filters).subquery()
    return list(session.scalars(select(rows.c.username).group_by(rows.c.username)
                                .order_by(func.count().desc(), rows.c.username).limit(limit)))


def pattern(session: Session, settings: EngineSettings, username: str,
            since: datetime | None, until: datetime | None) -> Pattern:
    """One person's reads in the period, summed up and flagged."""
    period = Filters(username=username, since=since, until=until)
    reads = session.execute(access_log.filtered(period).with_only_columns(
        AccessLog.id, AccessLog.at, AccessLog.user_id, AccessLog.role, AccessLog.organisation,
        AccessLog.what, AccessLog.case_count).order_by(AccessLog.seq)).all()
    last = reads[-1] if reads else None
    found = Pattern(username, last.role if last else "", last.organisation if last else "",
                    reads=len(reads))
    found.refused = sum(1 for r in reads if r.what.startswith(REFUSED))
    single = [r for r in reads if r.case_count == 1 and not r.what.startswith(REFUSED)
              and r.what != break_glass.GRANTED]
    numbers: dict[int, str] = {}
    if single:
        numbers = {log_id: number for log_id, number in session.execute(
            select(AccessLogCase.log_id, AccessLogCase.case_number)
            .where(AccessLogCase.log_id.in_([r.id for r in single])))}
    opened = [(r.at, numbers[r.id]) for r in single if r.id in numbers]
    distinct = sorted({number for _at, number in opened})
    found.opened = len(distinct)
    user_id = last.user_id if last else None
    found.outside_queue = _outside_queue(session, user_id, username, distinct)
    found.burst = _burst(opened, timedelta(minutes=settings.access_burst_minutes))
    found.grants = break_glass.grants(session, username=username, since=since, until=until)
    if found.burst >= settings.access_burst_cases:
        found.flags.append(BURST)
    if any(g.outside_municipality for g in found.grants):
        found.flags.append(BREAK_GLASS_OUTSIDE)
    if found.refused >= REFUSALS_FLAGGED:
        found.flags.append(REFUSALS)
    return found


def _outside_queue(session: Session, user_id: int | None, username: str,
                   numbers: list[str]) -> list[str]:
    """Those of ``numbers`` the person neither held nor had a task of."""
    if not numbers:
        return []
    own: set[str] = set()
    for chunk in range(0, len(numbers), 500):
        part = numbers[chunk:chunk + 500]
        tasks = select(HumanTask.case_number).where(
            HumanTask.case_number.in_(part),
            or_(HumanTask.completed_by == username, HumanTask.assignee_id == user_id))
        own.update(n for n in session.scalars(tasks.distinct()) if n)
        if user_id is not None:
            own.update(session.scalars(select(Case.case_number).where(
                Case.case_number.in_(part), Case.holder_id == user_id)))
    return [n for n in numbers if n not in own]


def _burst(opened: list[tuple[datetime, str]], window: timedelta) -> int:
    """The most distinct cases opened within any ``window``."""
    best, recent = 0, deque[tuple[datetime, str]]()
    for at, number in sorted(opened):
        recent.append((at, number))
        while recent and at - recent[0][0] > window:
            recent.popleft()
        best = max(best, len({n for _t, n in recent}))
    return best
