"""The caseworker's inbox: tasks with their case summary, deadline state, search and paging.

One indexed query per page: ``human_task`` keyset-paged on the chosen order, joined with the
case row (unique index on the case number) and the assignee's name. The team-lead action
"reassign" lives here too, beside the team list it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BindParameter,
    Integer,
    Select,
    String,
    Table,
    and_,
    bindparam,
    insert,
    or_,
    select,
)
from sqlalchemy.orm import Session

from engine import cursors, lifecycle
from engine.access import (
    QUEUE_LANES,
    Actor,
    bound_task_scope,
    may_assign,
    record_access,
    scope_parameters,
)
from engine.cases import search_filter
from engine.context import EngineContext
from engine.db import UTCDateTime, write_versioned
from engine.errors import InvalidInput, NotAllowed
from engine.models import Case, Event, HumanTask, Organisation, User
from engine.tasks import scoped_task, task_view
from engine.views import Page, TaskView
from engine.workdays import working_days_between

LOCAL_TZ = ZoneInfo("Europe/Amsterdam")
MAX_PAGE = 200
#: A task is "due soon" when at most this many working days are left.
DUE_SOON_WORKING_DAYS = 2
QUEUES = ("mine", "team", "assigned")
SORTS = ("due", "created")


@dataclass(frozen=True)
class InboxItem:
    task: TaskView
    deadline: str  # none, on_time, due_soon, overdue
    working_days_left: int | None
    assignee_name: str | None
    tenant_name: str | None
    address: str | None
    postcode: str | None
    arrears_amount: Decimal | None
    crisis: bool


def deadline_state(due_at: datetime | None, now: datetime) -> tuple[str, int | None]:
    """On time / due soon / overdue, and the working days left (negative when late)."""
    if due_at is None:
        return "none", None
    today = now.astimezone(LOCAL_TZ).date()
    due_day = due_at.astimezone(LOCAL_TZ).date()
    left = working_days_between(today, due_day)
    if due_at < now:
        return "overdue", min(left, 0) if due_day != today else 0
    if left <= DUE_SOON_WORKING_DAYS:
        return "due_soon", left
    return "on_time", left


@lru_cache(maxsize=512)
def _page_query(role: str, queue: str, summary: bool, searching: bool, order: str,
                after_cursor: bool) -> Select[Any]:
    """The query of one inbox page shape, built once: organisation, assignee, cursor and page
    size are bound parameters (building and hashing the statement cost more than running it).

    ``order`` is ``created`` (created_at, id), ``due`` (dated tasks on due_at, id) or
    ``undated`` (tasks without a due date, on id).
    """
    # Columns, not entities: a page is read-only, and 50 ORM objects cost more than the query.
    task_columns = cast(Table, HumanTask.__table__).c
    if summary:
        query = (select(*task_columns, Case.tenant_name, Case.street, Case.house_number,
                        Case.postcode, Case.city, Case.arrears_amount, Case.crisis,
                        User.display_name)
                 .outerjoin(Case, Case.case_number == HumanTask.case_number)
                 .outerjoin(User, User.id == HumanTask.assignee_id))
    else:
        query = select(*task_columns)
        if searching:
            query = query.outerjoin(Case, Case.case_number == HumanTask.case_number)
    query = query.where(bound_task_scope(role))
    if queue == "mine":
        query = query.where(HumanTask.state == "claimed",
                            HumanTask.assignee_id == bindparam("assignee"))
    else:
        query = query.where(HumanTask.state == ("open" if queue == "team" else "claimed"))
    after: BindParameter[datetime] = bindparam("after", type_=UTCDateTime())
    last_id: BindParameter[str] = bindparam("last_id", type_=String())
    if order == "created":
        if after_cursor:
            query = query.where(or_(HumanTask.created_at > after,
                                    and_(HumanTask.created_at == after, HumanTask.id > last_id)))
        query = query.order_by(HumanTask.created_at, HumanTask.id)
    elif order == "due":
        query = query.where(HumanTask.due_at.is_not(None))
        if after_cursor:
            query = query.where(or_(HumanTask.due_at > after,
                                    and_(HumanTask.due_at == after, HumanTask.id > last_id)))
        query = query.order_by(HumanTask.due_at, HumanTask.id)
    else:
        query = query.where(HumanTask.due_at.is_(None))
        if after_cursor:
            query = query.where(HumanTask.id > last_id)
        query = query.order_by(HumanTask.id)
    return query.limit(bindparam("page_size", type_=Integer))


def inbox(ctx: EngineContext, session: Session, actor: Actor, queue: str = "mine",
          search: str | None = None, sort: str = "due", cursor: str | None = None,
          limit: int = 25, summary: bool = True) -> Page[InboxItem]:
    """A page of the actor's tasks, with the case summary for display when ``summary``.

    ``sort="due"`` pages on (due_at, id) with undated tasks after the dated ones;
    ``sort="created"`` on (created_at, id). Search matches case number, postcode or name.
    Without ``summary`` (machine clients) no personal data is read, so none is logged.
    """
    if sort not in SORTS:
        raise InvalidInput({"sort": "kies due of created"})
    limit = max(1, min(limit, MAX_PAGE))
    if queue not in QUEUES:
        raise InvalidInput({"queue": "kies mine, team of assigned"})
    if queue == "assigned" and not may_assign(actor):
        raise NotAllowed("only team leads see everyone's claimed tasks")
    searching = bool(search and search.strip())
    phase, after, last_id, has_cursor = _parse_cursor(cursor, sort)
    params: dict[str, Any] = {**scope_parameters(actor), "assignee": actor.user_id,
                              "after": after, "last_id": last_id}

    def page(order: str, size: int, after_cursor: bool) -> list[Any]:
        query = _page_query(actor.role, queue, summary, searching, order, after_cursor)
        if searching:
            assert search is not None
            query = query.where(search_filter(search, HumanTask.case_number))
        return list(session.execute(query, {**params, "page_size": size}).all())

    rows: list[Any] = []
    if sort == "created":
        rows = page("created", limit + 1, has_cursor)
    else:
        if phase == "d":
            rows = page("due", limit + 1, has_cursor)
        if len(rows) <= limit:  # undated tasks come after the dated ones
            rows += page("undated", limit + 1 - len(rows), phase == "n" and has_cursor)
    more = len(rows) > limit
    rows = rows[:limit]
    now = ctx.clock.now()
    items = []
    for row in rows:
        state, left = deadline_state(row.due_at, now)
        if not summary:
            items.append(InboxItem(task_view(row), state, left, None, None, None, None, None,
                                   False))
            continue
        address = f"{row.street} {row.house_number}" if row.street else None
        items.append(InboxItem(task_view(row), state, left, row.display_name, row.tenant_name,
                               address, row.postcode, row.arrears_amount, bool(row.crisis)))
    record_access(session, actor, now, sorted({i.task.case_number for i in items
                                               if i.task.case_number and i.tenant_name}),
                  f"inbox {queue}")
    next_cursor = _cursor(sort, rows[-1]) if more and rows else None
    return Page(items, next_cursor)


def _parse_cursor(cursor: str | None, sort: str) -> tuple[str, datetime | None, str, bool]:
    """Phase (``d`` dated, ``n`` undated, ``c`` created), the moment and task id to continue
    after, and whether a cursor was given at all."""
    if not cursor:
        return ("d" if sort == "due" else "c"), None, "", False
    phase, _, rest = cursor.partition("|")
    key, _, last_id = rest.partition("|")
    if phase in ("d", "c"):
        return phase, cursors.cursor_moment(key), cursors.cursor_key(last_id), True
    if phase == "n":
        return phase, None, cursors.cursor_key(last_id), True
    raise cursors.invalid_cursor()


def _cursor(sort: str, task: Any) -> str:
    """The cursor after ``task`` (a HumanTask or a row of its columns)."""
    if sort == "created":
        return f"c|{task.created_at.isoformat()}|{task.id}"
    if task.due_at is not None:
        return f"d|{task.due_at.isoformat()}|{task.id}"
    return f"n||{task.id}"


@dataclass(frozen=True)
class Colleague:
    id: int
    username: str
    display_name: str
    role: str


def team_members(session: Session, actor: Actor) -> list[Colleague]:
    """People of the actor's organisation who work tasks (a lead's reassign choices)."""
    roles = [r for r, _lanes in QUEUE_LANES.items()
             if r.split("_")[0] == actor.role.split("_")[0]]
    rows = session.scalars(select(User).join(Organisation).where(
        Organisation.slug == actor.organisation, User.role.in_(roles),
        User.is_active.is_(True)).order_by(User.display_name)).all()
    return [Colleague(u.id, u.username, u.display_name, u.role) for u in rows]


def assign_task(ctx: EngineContext, session: Session, actor: Actor, task_id: str,
                assignee_id: int) -> TaskView:
    """A team lead hands a task to a colleague whose role works that task's lane.

    :raise NotFound: not a task in the lead's scope.
    :raise NotAllowed: the actor is no lead, or the colleague cannot work this task.
    """
    if not may_assign(actor):
        raise NotAllowed("alleen een teamleider wijst taken toe")
    task = scoped_task(ctx, session, actor, task_id, "task assign")
    colleague = next((c for c in team_members(session, actor) if c.id == assignee_id), None)
    if colleague is None or task.role not in QUEUE_LANES.get(colleague.role, ()):
        raise InvalidInput({"assignee": "deze collega kan deze taak niet oppakken"})
    lifecycle.assign(task, actor, assignee_id)
    write_versioned(session, task)  # raises Conflict if someone else changed it first
    session.execute(insert(Event), [{"instance_id": task.instance_id, "at": ctx.clock.now(),
                                     "kind": "task_assigned", "element_id": task.bpmn_id,
                                     "task_id": task.id, "actor": actor.username,
                                     "detail": {"assignee": colleague.username}}])
    return task_view(task)
