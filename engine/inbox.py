"""The caseworker's inbox: tasks with their case summary, deadline state, search and paging.

One indexed query per page: ``human_task`` keyset-paged on the chosen order, joined with the
case row (unique index on the case number) and the assignee's name. Each tab counts its
tasks on the same indexes up to ``COUNT_CAP`` (never a workflow loaded), and the task types
come from the deployed processes. Filters (task type,
overdue, crisis, and municipality for the regional desks) narrow page and counts alike. The
team-lead action "reassign" lives here too, beside the team list it needs.
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
    ColumnElement,
    Integer,
    Select,
    String,
    Table,
    and_,
    bindparam,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from engine import cursors, lifecycle, notifications
from engine.access import (
    ALL_ROWS,
    NO_ROWS,
    Actor,
    bound_task_scope,
    may_assign,
    queue_lanes,
    receives_referrals,
    record_access,
    rule,
    scope_parameters,
    team_roles,
)
from engine.context import EngineContext
from engine.db import UTCDateTime, write_versioned
from engine.deployments import live_definition_ids
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
MAX_TASK_TYPE = 200


def municipality_filter(actor: Actor) -> bool:
    """Whether the actor's queue spans the whole region, so that it may narrow it to one
    municipality: the desks that receive referrals (the SDD, the Meldpunt; a social team
    sees one municipality anyway). The installed policy decides (``receives_referrals``)."""
    return receives_referrals(actor.role)


def urgent_first(actor: Actor) -> bool:
    """Whether the actor's queues put the tasks of urgent referrals first
    (``human_task.urgent``): the desks that receive referrals."""
    return receives_referrals(actor.role)


@dataclass(frozen=True)
class InboxFilters:
    """What narrows a queue: one task type (its BPMN id), overdue only, crisis cases only,
    one municipality (where ``municipality_filter`` allows it)."""

    task_type: str | None = None
    overdue: bool = False
    crisis: bool = False
    municipality: str | None = None

    def shape(self) -> tuple[bool, bool, bool, bool]:
        """Which filters are set: part of a cached statement's shape (values are bound)."""
        return (bool(self.task_type), self.overdue, self.crisis, bool(self.municipality))


NO_FILTERS = InboxFilters()


#: The most tasks a tab counts; beyond it the tab says "500+". An exact count reads every
#: task of the queue: at national volume tens of thousands per team, which costs more than
#: the page itself, while a caseworker needs only "more than a few hundred".
COUNT_CAP = 500


@dataclass(frozen=True)
class TaskType:
    """One kind of task the actor's queues can hold (a user task of a lane they see)."""

    bpmn_id: str
    name: str


@dataclass(frozen=True)
class InboxCounts:
    """Tasks per tab under the current filters and search, each counted up to ``COUNT_CAP``
    (a tab holding more has ``COUNT_CAP + 1``), and the task types of the actor's lanes in the
    deployed processes (the whole choice list, whatever the filters)."""

    tabs: dict[str, int]
    task_types: list[TaskType]

    def more_than_cap(self, queue: str) -> bool:
        """Whether ``queue`` holds more tasks than were counted."""
        return self.tabs.get(queue, 0) > COUNT_CAP


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
    #: a task of an urgent referral: marked "Spoed", first in the desks' queues
    urgent: bool = False


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


def queues_for(actor: Actor) -> tuple[str, ...]:
    """The tabs the actor has: everyone's claimed tasks only for a team lead."""
    return QUEUES if may_assign(actor) else ("mine", "team")


def check_filters(ctx: EngineContext, actor: Actor, filters: InboxFilters) -> None:
    """Refuse a filter value the actor cannot use, naming the field."""
    if filters.task_type is not None and (not filters.task_type
                                          or len(filters.task_type) > MAX_TASK_TYPE):
        raise InvalidInput({"type": "kies een taaksoort uit de lijst"})
    if filters.municipality is not None:
        if not municipality_filter(actor):
            raise InvalidInput({"municipality": "je werkbak is al tot je gemeente beperkt"})
        if filters.municipality not in ctx.settings.municipality_slugs():
            raise InvalidInput({"municipality": "kies een gemeente uit de lijst"})


def _queue_condition(queue: str) -> ColumnElement[bool]:
    if queue == "mine":
        return and_(HumanTask.state == "claimed", HumanTask.assignee_id == bindparam("assignee"))
    return HumanTask.state == ("open" if queue == "team" else "claimed")


def _filter_conditions(shape: tuple[bool, bool, bool, bool],
                       with_type: bool = True) -> list[ColumnElement[bool]]:
    """The filters of ``InboxFilters.shape`` as conditions on bound parameters."""
    has_type, overdue, crisis, municipality = shape
    conditions: list[ColumnElement[bool]] = []
    if has_type and with_type:
        conditions.append(HumanTask.bpmn_id == bindparam("task_type", type_=String()))
    if overdue:
        conditions.append(HumanTask.due_at < bindparam("now", type_=UTCDateTime()))
    if crisis:  # few cases are in crisis: look them up, then their tasks by case number
        conditions.append(HumanTask.case_number.in_(
            select(Case.case_number).where(Case.crisis.is_(True))))
    if municipality:
        conditions.append(HumanTask.municipality == bindparam("municipality", type_=String()))
    return conditions


def _filter_parameters(ctx: EngineContext, filters: InboxFilters) -> dict[str, Any]:
    return {"task_type": filters.task_type, "now": ctx.clock.now(),
            "municipality": filters.municipality}


@dataclass(frozen=True)
class SearchMatches:
    """What a search box's text matched, read once and used by the tab counts and the page
    alike: the case numbers, or, when there are more than ``MAX_SEARCH_MATCHES``, the search's
    own condition for each query to apply."""

    numbers: tuple[str, ...] | None
    condition: Any = None

    def task_condition(self) -> ColumnElement[bool]:
        """The tasks of the matched cases; the numbers, when there are, go as the parameters
        ``parameters`` gives (so a query over them is built once per shape, not per search)."""
        if self.numbers is None:
            return HumanTask.case_number.in_(select(Case.case_number).where(self.condition))
        return _SEARCHED_NUMBERS

    def parameters(self) -> dict[str, Any]:
        """The values ``task_condition`` binds."""
        return {} if self.numbers is None else {"search_numbers": list(self.numbers)}


#: A search's case numbers as one expanding parameter.
_SEARCHED_NUMBERS = HumanTask.case_number.in_(bindparam("search_numbers", expanding=True))


#: The most case numbers a search resolves to before each query applies the search itself.
MAX_SEARCH_MATCHES = 500


def find_cases(ctx: EngineContext, session: Session,
               search: str | SearchMatches | None) -> SearchMatches | None:
    """The cases a search box's text matches (``ChainHooks.case_search``: case number, postcode,
    name or address, each through its index), in one query; None when nothing is searched.

    Read once per inbox view: the tab counts and the page then filter on the case numbers
    instead of running the search again each (a search that matches nothing costs one query).
    """
    if search is None or isinstance(search, SearchMatches):
        return search
    if not search.strip():
        return None
    condition = ctx.hooks.case_search(search, session.get_bind().dialect.name)
    numbers = session.scalars(select(Case.case_number).where(condition)
                              .limit(MAX_SEARCH_MATCHES + 1)).all()
    if len(numbers) > MAX_SEARCH_MATCHES:
        return SearchMatches(None, condition)
    return SearchMatches(tuple(numbers))


@lru_cache(maxsize=256)
def _tab_tasks(role: str, queue: str, shape: tuple[bool, bool, bool, bool]) -> Select[Any]:
    """The ids of a tab's tasks, on the page's index range (organisation, assignee and filter
    values bound); ``inbox_counts`` counts at most ``COUNT_CAP + 1`` of them."""
    return select(HumanTask.id).where(bound_task_scope(role), _queue_condition(queue),
                                      *_filter_conditions(shape))


def _capped_count(tasks: Select[Any]) -> Select[Any]:
    return select(func.count()).select_from(tasks.limit(COUNT_CAP + 1).subquery())


def _tab_counts(role: str, queues: tuple[str, ...], shape: tuple[bool, bool, bool, bool],
                condition: ColumnElement[bool] | None) -> Select[Any]:
    """Every tab's capped count in one statement: one round trip instead of one per tab."""
    counts = []
    for queue in queues:
        tasks = _tab_tasks(role, queue, shape)
        if condition is not None:
            tasks = tasks.where(condition)
        counts.append(_capped_count(tasks).scalar_subquery())
    return select(*counts)


@lru_cache(maxsize=256)
def _counts_query(role: str, queues: tuple[str, ...], shape: tuple[bool, bool, bool, bool],
                  searched: bool) -> Select[Any]:
    """``_tab_counts`` built once per shape: without a search, or over a search's numbers."""
    return _tab_counts(role, queues, shape, _SEARCHED_NUMBERS if searched else None)


def inbox_counts(ctx: EngineContext, session: Session, actor: Actor,
                 filters: InboxFilters = NO_FILTERS,
                 search: str | SearchMatches | None = None) -> InboxCounts:
    """How many tasks each of the actor's tabs holds under ``filters`` and ``search`` (its
    text, or what ``find_cases`` found for it), each counted up to ``COUNT_CAP + 1`` on its
    queue's index, so a count costs the same at 1,000 open cases as at 100,000."""
    check_filters(ctx, actor, filters)
    params = {**scope_parameters(actor), "assignee": actor.user_id,
              **_filter_parameters(ctx, filters)}
    matches = find_cases(ctx, session, search)
    queues = queues_for(actor)
    if matches is not None and matches.numbers == ():
        # The search matched no case: nothing to ask the database.
        return InboxCounts(dict.fromkeys(queues, 0), task_types(ctx, session, actor))
    if matches is None or matches.numbers is not None:
        query = _counts_query(actor.role, queues, filters.shape(), matches is not None)
    else:
        query = _tab_counts(actor.role, queues, filters.shape(), matches.task_condition())
    found = session.execute(query, {**params, **(matches.parameters() if matches else {})}
                            ).one()
    tabs = {queue: int(count or 0) for queue, count in zip(queues, found, strict=True)}
    return InboxCounts(tabs, task_types(ctx, session, actor))


def task_types(ctx: EngineContext, session: Session, actor: Actor) -> list[TaskType]:
    """The user tasks of the lanes the actor sees, in the deployed processes, by name: the
    choice list of the type filter (read from the cached specs, not from the tasks)."""
    rules = rule(actor.role)
    if rules.rows == NO_ROWS or (rules.rows != ALL_ROWS and not rules.lanes):
        return []
    found: dict[str, str] = {}
    for definition_id in ctx.definitions.live_ids(lambda: live_definition_ids(session)):
        for bpmn_id, name, lane in ctx.specs.get(session, definition_id).user_tasks:
            if rules.rows == ALL_ROWS or lane in rules.lanes:
                found.setdefault(bpmn_id, name)
    return sorted((TaskType(bpmn_id, name) for bpmn_id, name in found.items()),
                  key=lambda t: (t.name.lower(), t.bpmn_id))


#: The columns each page order reads its index in: ``_page_query`` orders a segment by them,
#: ``_segments_query`` numbers its rows by them.
_ORDER_COLUMNS = {"created": ("created_at", "id"), "due": ("due_at", "id"), "undated": ("id",)}


def _segments_query(role: str, queue: str, summary: bool,
                    segments: tuple[tuple[bool | None, str], ...], after_cursor: bool,
                    shape: tuple[bool, bool, bool, bool],
                    condition: ColumnElement[bool] | None = None) -> Select[Any]:
    """One page over ``segments`` in one statement: each segment's own page query (its index
    order, at most ``page_size`` rows; the first after the cursor when ``after_cursor``),
    numbered (``segment``, and each row's ``position`` in its segment's order) and joined with
    UNION ALL, then the first ``page_size`` rows by segment and position. Each segment reads
    at most a page from its index, so the page costs the same at any size, and a short
    segment no longer costs a round trip for each one after it. ``condition`` (a search)
    applies to every segment; ``_shaped_segments_query`` builds it once per shape."""
    parts = []
    for number, (tier, order) in enumerate(segments):
        part = _page_query(role, queue, summary, order, after_cursor and number == 0, shape,
                           tier)
        if condition is not None:
            part = part.where(condition)
        page = part.subquery()
        position = func.row_number().over(order_by=[page.c[name]
                                                    for name in _ORDER_COLUMNS[order]])
        parts.append(select(page, literal(number, Integer).label("segment"),
                            position.label("position")))
    joined = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
    return (select(joined).order_by(joined.c.segment, joined.c.position)
            .limit(bindparam("page_size", type_=Integer)))


@lru_cache(maxsize=512)
def _shaped_segments_query(role: str, queue: str, summary: bool,
                           segments: tuple[tuple[bool | None, str], ...], after_cursor: bool,
                           shape: tuple[bool, bool, bool, bool], searched: bool
                           ) -> Select[Any]:
    """``_segments_query`` built once per page shape: without a search, or over a search's
    case numbers (building it took longer than running it)."""
    return _segments_query(role, queue, summary, segments, after_cursor, shape,
                           _SEARCHED_NUMBERS if searched else None)


@lru_cache(maxsize=512)
def _page_query(role: str, queue: str, summary: bool, order: str,
                after_cursor: bool,
                shape: tuple[bool, bool, bool, bool] = (False, False, False, False),
                tier: bool | None = None) -> Select[Any]:
    """The query of one inbox page shape, built once: organisation, assignee, cursor and page
    size are bound parameters (building and hashing the statement cost more than running it).

    ``order`` is ``created`` (created_at, id), ``due`` (dated tasks on due_at, id) or
    ``undated`` (tasks without a due date, on id). ``tier`` True or False keeps only the
    tasks of urgent referrals, or only the others (the desks' queues read them in turn).
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
    query = query.where(bound_task_scope(role), _queue_condition(queue),
                        *_filter_conditions(shape))
    if tier is not None:
        query = query.where(HumanTask.urgent.is_(tier))
    after: BindParameter[datetime] = bindparam("after", type_=UTCDateTime())
    last_id: BindParameter[str] = bindparam("last_id", type_=String())
    if order == "created":
        if after_cursor:
            query = query.where(or_(HumanTask.created_at > after,
                                    and_(HumanTask.created_at == after, HumanTask.id > last_id)))
    elif order == "due":
        query = query.where(HumanTask.due_at.is_not(None))
        if after_cursor:
            query = query.where(or_(HumanTask.due_at > after,
                                    and_(HumanTask.due_at == after, HumanTask.id > last_id)))
    else:
        query = query.where(HumanTask.due_at.is_(None))
        if after_cursor:
            query = query.where(HumanTask.id > last_id)
    query = query.order_by(*(task_columns[name] for name in _ORDER_COLUMNS[order]))
    return query.limit(bindparam("page_size", type_=Integer))


def inbox(ctx: EngineContext, session: Session, actor: Actor, queue: str = "mine",
          search: str | SearchMatches | None = None, sort: str = "due", cursor: str | None = None,
          limit: int = 25, summary: bool = True,
          filters: InboxFilters = NO_FILTERS) -> Page[InboxItem]:
    """A page of the actor's tasks, with the case summary for display when ``summary``.

    ``sort="due"`` pages on (due_at, id) with undated tasks after the dated ones;
    ``sort="created"`` on (created_at, id). Where ``urgent_first`` the tasks of urgent
    referrals come first, each tier in that order. Search matches case number, postcode or
    name or address (``find_cases``; pass its answer to run the search once for counts and
    page). Without ``summary`` (machine clients) no personal data is read, so none is logged.
    """
    if sort not in SORTS:
        raise InvalidInput({"sort": "kies due of created"})
    limit = max(1, min(limit, MAX_PAGE))
    if queue not in QUEUES:
        raise InvalidInput({"queue": "kies mine, team of assigned"})
    if queue == "assigned" and not may_assign(actor):
        raise NotAllowed("only team leads see everyone's claimed tasks")
    check_filters(ctx, actor, filters)
    matches = find_cases(ctx, session, search)
    tiers: tuple[bool | None, ...] = (True, False) if urgent_first(actor) else (None,)
    segments = [(tier, order) for tier in tiers
                for order in (("created",) if sort == "created" else ("due", "undated"))]
    start, after, last_id, has_cursor = _parse_cursor(cursor, segments)
    params: dict[str, Any] = {**scope_parameters(actor), "assignee": actor.user_id,
                              "after": after, "last_id": last_id,
                              **_filter_parameters(ctx, filters)}

    # The segments in turn (urgent before regular, dated before undated), each keyset-paged
    # on its own index order, the cursor's segment continuing after the cursor: all in one
    # statement (see ``_segments_query``).
    if matches is not None and matches.numbers == ():
        rows: list[Any] = []  # the search matched no case: nothing to ask the database
    else:
        shape = filters.shape()
        wanted = tuple(segments[start:])
        if matches is None or matches.numbers is not None:
            query = _shaped_segments_query(actor.role, queue, summary, wanted, has_cursor,
                                           shape, matches is not None)
            params.update(matches.parameters() if matches else {})
        else:
            query = _segments_query(actor.role, queue, summary, wanted, has_cursor, shape,
                                    matches.task_condition())
        session.flush()  # read through the connection, which does not autoflush
        rows = list(session.connection().execute(query, {**params, "page_size": limit + 1}))
    more = len(rows) > limit
    rows = rows[:limit]
    now = ctx.clock.now()
    items = []
    for row in rows:
        state, left = deadline_state(row.due_at, now)
        if not summary:
            items.append(InboxItem(task_view(row), state, left, None, None, None, None, None,
                                   False, bool(row.urgent)))
            continue
        address = f"{row.street} {row.house_number}" if row.street else None
        items.append(InboxItem(task_view(row), state, left, row.display_name, row.tenant_name,
                               address, row.postcode, row.arrears_amount, bool(row.crisis),
                               bool(row.urgent)))
    record_access(session, actor, now, sorted({i.task.case_number for i in items
                                               if i.task.case_number and i.tenant_name}),
                  f"inbox {queue}")
    next_cursor = _cursor(rows[-1], sort, len(tiers) > 1) if more and rows else None
    return Page(items, next_cursor)


#: Cursor phases: the order's letter, after ``u`` (urgent) or ``r`` (regular) in tiered queues.
_ORDER_LETTERS = {"due": "d", "undated": "n", "created": "c"}


def _parse_cursor(cursor: str | None, segments: list[tuple[bool | None, str]]
                  ) -> tuple[int, datetime | None, str, bool]:
    """The segment to continue in (an index into ``segments``), the moment and task id to
    continue after, and whether a cursor was given at all."""
    if not cursor:
        return 0, None, "", False
    phase, _, rest = cursor.partition("|")
    key, _, last_id = rest.partition("|")
    names = [_phase(tier, order) for tier, order in segments]
    if phase not in names:
        raise cursors.invalid_cursor()
    start = names.index(phase)
    after = None if segments[start][1] == "undated" else cursors.cursor_moment(key)
    return start, after, cursors.cursor_key(last_id), True


def _phase(tier: bool | None, order: str) -> str:
    prefix = "" if tier is None else ("u" if tier else "r")
    return prefix + _ORDER_LETTERS[order]


def _cursor(task: Any, sort: str, tiered: bool = False) -> str:
    """The cursor after ``task`` (a HumanTask or a row of its columns)."""
    tier = bool(task.urgent) if tiered else None
    if sort == "created":
        return f"{_phase(tier, 'created')}|{task.created_at.isoformat()}|{task.id}"
    if task.due_at is not None:
        return f"{_phase(tier, 'due')}|{task.due_at.isoformat()}|{task.id}"
    return f"{_phase(tier, 'undated')}||{task.id}"


@dataclass(frozen=True)
class Colleague:
    id: int
    username: str
    display_name: str
    role: str


def team_members(session: Session, actor: Actor) -> list[Colleague]:
    """People of the actor's organisation and team who work tasks (a lead's reassign
    choices; ``team_roles``)."""
    roles = team_roles(actor.role)
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
    if colleague is None or task.role not in queue_lanes(colleague.role):
        raise InvalidInput({"assignee": "deze collega kan deze taak niet oppakken"})
    lifecycle.assign(task, actor, assignee_id)
    write_versioned(session, task)  # raises Conflict if someone else changed it first
    session.execute(insert(Event), [{"instance_id": task.instance_id, "at": ctx.clock.now(),
                                     "kind": "task_assigned", "element_id": task.bpmn_id,
                                     "task_id": task.id, "actor": actor.username,
                                     "detail": {"assignee": colleague.username}}])
    if assignee_id != actor.user_id:  # a lead taking a task themselves needs no mail
        notifications.tasks_assigned(ctx, session, [(task.id, assignee_id, task.version)])
    return task_view(task)
