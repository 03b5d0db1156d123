"""Search, the referral scopes, the timer claim and the case-number counter read indexes.

On PostgreSQL each query, as the code sends it (caught on the connection, with its
parameters), is explained with ``SET LOCAL enable_seqscan = off``: with a test's few hundred
rows a sequential scan is cheapest whatever the indexes, so without it the plan would say
nothing; with it the planner still picks among the indexes, and the plan names the one that
serves the condition (a query no index serves still shows a sequential scan, then disabled).
The same searches and scopes give the same answers on SQLite.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

import pytest
from sqlalchemy import Table, event, insert, select, update
from sqlalchemy.orm import Session

from engine import break_glass, inbox, instances, users
from engine.access import SYSTEM, Actor
from engine.chain import case_numbers, cases
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.models import Case, Event, HumanTask, ProcessInstance
from engine.settings import EngineSettings
from engine.timers import claim_due
from engine.worker import fire_due_timers
from tests import casework
from tests.factories import deploy

SDD = Actor("sdd-1", "budget_advice", "sdd", "sdd", user_id=None)
MZO = Actor("mzo-1", "care_referral", "veilig-thuis", "care", user_id=None)
ST = Actor("st-1", "social_team", "dordrecht", "municipality", user_id=None)


def _seed(ctx: EngineContext, count: int = 300) -> None:
    """``count`` cases: every 7th referred to the SDD, every 11th to the Meldpunt; a few
    names and addresses to find."""
    now = ctx.clock.now()
    rows = []
    for i in range(count):
        name, street = f"Huurder {i:04d}", f"Laan {i % 50}"
        if i == 17:
            name, street = "Élise van Dorp", "Kerkstraat"
        if i == 18:
            name, street = "Jan 100% Zeker", "Molenweg"
        rows.append({
            "case_number": f"DR-2026-{i + 1:06d}" if i % 2 else f"ZW-2026-{i + 1:06d}",
            "corporation": "woonbron", "municipality": "dordrecht", "external_id": f"X{i}",
            "tenant_name": name, "street": street, "house_number": str(i % 90 + 1),
            "postcode": f"{3300 + i % 40} AB", "city": "Dordrecht",
            "arrears_amount": Decimal("500.00"), "arrears_months": 2,
            "monthly_rent": Decimal("700.00"), "referred_to_sdd": i % 7 == 0,
            "referred_to_care": i % 11 == 0, "closed": False,
            "created_at": now - timedelta(minutes=count - i),
            "updated_at": now})
    with ctx.sessionmaker.begin() as session:
        session.execute(insert(cast(Table, Case.__table__)), rows)


@contextmanager
def _statements(session: Session) -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements ``session``'s connection runs meanwhile, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def note(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
             _many: bool) -> None:
        seen.append((statement, parameters))

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", note)


def _plan(session: Session, statement: str, parameters: Any, *priced_out: str) -> str:
    """PostgreSQL's plan of ``statement`` with sequential scans (and the ``priced_out`` plan
    nodes: a disabled node still shows when nothing else can do its work) priced out."""
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    with raw.cursor() as cursor:
        for setting in ("enable_seqscan", *priced_out):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN " + statement, parameters)
        return "\n".join(row[0] for row in cursor.fetchall())


def _case_query(seen: list[tuple[str, Any]]) -> tuple[str, Any]:
    return next((s, p) for s, p in seen if 'FROM "case"' in s)


def _numbers(page: Any) -> list[str]:
    return sorted(c.case_number for c in page.items)


@pytest.fixture
def seeded(ctx: EngineContext) -> EngineContext:
    _seed(ctx)
    return ctx


# --- answers: the same on both databases -------------------------------------------------------

def test_searches_find_by_number_prefix_name_part_address_and_postcode(seeded) -> None:
    ctx = seeded
    with ctx.sessionmaker.begin() as session:
        def found(query: str) -> list[str]:
            return _numbers(cases.list_cases(ctx, session, SYSTEM, search=query, limit=200))

        assert found("dr-2026-00001") == [f"DR-2026-{n:06d}" for n in range(10, 20, 2)]
        assert found("zw-2026-00001") == [f"ZW-2026-{n:06d}" for n in range(11, 20, 2)]
        assert found("ZW-2026-000001") == ["ZW-2026-000001"]
        assert found("DR-2027") == []
        assert found("élise") == found("ÉLISE") == found("van dorp") == ["DR-2026-000018"]
        assert found("kerkstraat") == found("Kerkstraat 18") == ["DR-2026-000018"]
        assert found("100%") == ["ZW-2026-000019"]  # % is itself, not a wildcard
        assert found("0%") == ["ZW-2026-000019"]  # too short for a trigram: still found
        assert found("nobody here") == []
        assert found("3312") == [f"ZW-2026-{i + 1:06d}" for i in range(12, 300, 40)]
    with ctx.sessionmaker.begin() as session:  # the search follows a changed name and a delete
        session.execute(update(Case).where(Case.case_number == "DR-2026-000018")
                        .values(tenant_name="Elise Achterberg"))
        session.execute(Case.__table__.delete().where(Case.case_number == "ZW-2026-000019"))
    with ctx.sessionmaker.begin() as session:
        assert _numbers(cases.list_cases(ctx, session, SYSTEM, search="achterb")) == [
            "DR-2026-000018"]
        assert _numbers(cases.list_cases(ctx, session, SYSTEM, search="van dorp")) == []
        assert _numbers(cases.list_cases(ctx, session, SYSTEM, search="100%")) == []


def test_the_desks_see_the_cases_referred_to_them(seeded) -> None:
    ctx = seeded
    with ctx.sessionmaker.begin() as session:
        sdd = _numbers(cases.list_cases(ctx, session, SDD, limit=200))
        mzo = _numbers(cases.list_cases(ctx, session, MZO, limit=200))
    assert len(sdd) == len(range(0, 300, 7)) and len(mzo) == len(range(0, 300, 11))
    assert "ZW-2026-000001" in sdd and "ZW-2026-000001" in mzo  # i = 0
    assert "ZW-2026-000015" in sdd and "ZW-2026-000015" not in mzo  # i = 14


def test_an_inbox_search_runs_the_search_once(seeded) -> None:
    ctx = seeded
    with ctx.sessionmaker.begin() as session, _statements(session) as seen:
        matches = inbox.find_cases(ctx, session, "nobody here")
        counts = inbox.inbox_counts(ctx, session, ST, search=matches)
        page = inbox.inbox(ctx, session, ST, queue="team", search=matches)
    assert sum(counts.tabs.values()) == 0 and page.items == []
    # the search itself, and the deployed processes for the type filter's choices: nothing
    # matched, so no task is asked for
    assert sum("case_search" in s or " LIKE " in s for s, _ in seen) == 1
    assert not [s for s, _ in seen if "human_task" in s]
    with ctx.sessionmaker.begin() as session, _statements(session) as seen:
        matches = inbox.find_cases(ctx, session, "kerkstraat")
        inbox.inbox_counts(ctx, session, ST, search=matches)
        inbox.inbox(ctx, session, ST, queue="team", search=matches)
    assert matches is not None and matches.numbers == ("DR-2026-000018",)
    assert sum(" LIKE " in s or "case_search" in s for s, _ in seen) == 1


def test_a_search_with_more_matches_than_are_kept_gives_the_same_page_and_counts(
        ctx, monkeypatch) -> None:
    """Over ``MAX_SEARCH_MATCHES`` each query applies the search itself instead of the case
    numbers: the same tasks either way."""
    casework.deploy_chain(ctx)
    sender = casework.corporation(ctx)
    for number, street in enumerate(("Voorstraat", "Kerkstraat", "Molenweg")):
        casework.report(ctx, sender, external_id=f"WB-2026-{number:06d}",
                        tenant={"street": street, "house_number": str(10 + number)})

    def view() -> tuple[bool, dict[str, int], list[str]]:
        with ctx.sessionmaker.begin() as session:
            matches = inbox.find_cases(ctx, session, "DR-2026")
            counts = inbox.inbox_counts(ctx, session, ST, search=matches)
            page = inbox.inbox(ctx, session, ST, queue="team", search=matches, limit=100)
        assert matches is not None
        return matches.numbers is None, counts.tabs, [item.task.id for item in page.items]

    by_numbers = view()
    monkeypatch.setattr(inbox, "MAX_SEARCH_MATCHES", 1)
    by_condition = view()
    assert not by_numbers[0] and by_condition[0]
    assert by_condition[1:] == by_numbers[1:]
    assert by_numbers[1]["team"] == len(by_numbers[2]) == 3


def test_a_number_comes_from_its_counter_without_reading_the_cases(seeded) -> None:
    ctx = seeded
    with ctx.sessionmaker.begin() as session:
        assert case_numbers.next_case_number(session, "dordrecht", 2026) == "DR-2026-000301"
    with ctx.sessionmaker.begin() as session, _statements(session) as seen:
        assert case_numbers.next_case_number(session, "dordrecht", 2026) == "DR-2026-000302"
    assert seen and all('"case"' not in s for s, _ in seen)


# --- plans, on PostgreSQL ----------------------------------------------------------------------

def _postgresql(ctx: EngineContext) -> None:
    if ctx.db.dialect.name != "postgresql":
        pytest.skip("plans are PostgreSQL's (SQLite: the answers above)")


@pytest.mark.parametrize(("search", "index"), [
    ("DR-2026-0001", "ix_case_number_bytewise"),
    ("van dorp", "ix_case_search_trgm"),
    ("kerkstraat 18", "ix_case_search_trgm"),
])
def test_each_search_reads_its_index(seeded, search: str, index: str) -> None:
    ctx = seeded
    _postgresql(ctx)
    with ctx.sessionmaker.begin() as session:
        with _statements(session) as seen:
            cases.list_cases(ctx, session, SYSTEM, search=search)
        assert index in _plan(session, *_case_query(seen))
        with _statements(session) as seen:
            inbox.find_cases(ctx, session, search)
        assert index in _plan(session, *_case_query(seen))


@pytest.mark.parametrize(("actor", "index"), [(SDD, "ix_case_referred_sdd"),
                                              (MZO, "ix_case_referred_care")])
def test_each_referral_scope_reads_its_partial_index(seeded, actor: Actor, index: str) -> None:
    ctx = seeded
    _postgresql(ctx)
    with ctx.sessionmaker.begin() as session:
        with _statements(session) as seen:
            cases.list_cases(ctx, session, actor)
        plan = _plan(session, *_case_query(seen))
    assert index in plan
    assert "human_task" not in plan.split("SubPlan")[0]  # tasks only for closed cases


def _caseworker(ctx: EngineContext) -> Actor:
    """A social-team member of Dordrecht who may break glass (a person, not a token)."""
    with ctx.sessionmaker.begin() as session:
        return users.actor_for(users.add_user(ctx, session, "st-scale", "social_team",
                                              "dordrecht", "wachtwoord-scale-1"))


def test_a_granted_case_joins_the_case_list_until_the_grant_expires(
        seeded, clock: ManualClock) -> None:
    ctx = seeded
    with ctx.sessionmaker.begin() as session:
        session.execute(update(Case).where(Case.case_number == "ZW-2026-000003")
                        .values(municipality="zwijndrecht"))
    actor = _caseworker(ctx)
    with ctx.sessionmaker.begin() as session:
        before = cases.list_cases(ctx, session, actor, search="ZW-2026-000003")
        break_glass.request_access(ctx, session, actor, "ZW-2026-000003",
                                   "Huishouden verhuisde naar Dordrecht, dossier nodig")
    with ctx.sessionmaker.begin() as session:
        granted = cases.list_cases(ctx, session, actor, search="ZW-2026-000003")
    clock.advance(timedelta(hours=ctx.settings.break_glass_hours, seconds=1))
    with ctx.sessionmaker.begin() as session:
        expired = cases.list_cases(ctx, session, actor, search="ZW-2026-000003")
    assert _numbers(before) == [] and _numbers(expired) == []
    assert _numbers(granted) == ["ZW-2026-000003"]


def test_a_caseworkers_case_list_reads_the_municipality_index_in_order(seeded) -> None:
    ctx = seeded
    _postgresql(ctx)
    actor = _caseworker(ctx)
    with ctx.sessionmaker.begin() as session:
        with _statements(session) as seen:
            cases.list_cases(ctx, session, actor)
        statement, parameters = _case_query(seen)
        # with a test's few rows, fetching them all and sorting is as cheap as reading the
        # index in order, and the planner's pick follows the table's statistics of the
        # moment: with sorting priced out a Sort shows only if no index gives the order
        plan = _plan(session, statement, parameters, "enable_sort")
    assert "break_glass_grant" not in statement  # no grant: the role's own scope alone
    assert "ix_case_municipality_created" in plan
    assert "Sort" not in plan  # newest first straight from the index


def test_the_first_number_of_a_year_reads_one_index_entry(seeded) -> None:
    ctx = seeded
    _postgresql(ctx)
    with ctx.sessionmaker.begin() as session:
        with _statements(session) as seen:
            case_numbers.next_case_number(session, "dordrecht", 2026)
        assert "ix_case_number_bytewise" in _plan(session, *_case_query(seen))


# --- timers ------------------------------------------------------------------------------------

def _due_instances(ctx: EngineContext, count: int) -> list[int]:
    deploy(ctx, "review")
    ids = []
    for _ in range(count):
        with ctx.sessionmaker.begin() as session:
            ids.append(instances.start_instance(ctx, session, SYSTEM, "review",
                                                {"municipality": "dordrecht"}).id)
    with ctx.sessionmaker.begin() as session:
        session.execute(update(ProcessInstance).where(ProcessInstance.id.in_(ids))
                        .values(next_timer_due=ctx.clock.now() - timedelta(minutes=1)))
    return ids


def test_the_claim_reads_the_partial_index_of_due_instances(ctx: EngineContext) -> None:
    _postgresql(ctx)
    _due_instances(ctx, 2)
    with ctx.sessionmaker.begin() as session:
        with _statements(session) as seen:
            assert claim_due(session, ctx.clock.now()) is not None
        statement, parameters = seen[-1]
        assert "SKIP LOCKED" in statement
        assert "ix_process_instance_due" in _plan(session, statement, parameters)


def test_on_sqlite_the_claim_reads_the_partial_index_without_a_sort(ctx: EngineContext) -> None:
    if ctx.db.dialect.name != "sqlite":
        pytest.skip("SQLite's own planner")
    ids = _due_instances(ctx, 3)
    with ctx.sessionmaker.begin() as session:
        with _statements(session) as seen:
            claimed = claim_due(session, ctx.clock.now())
        assert claimed is not None and claimed.id == min(ids)  # the same row as before
        statement, parameters = seen[-1]
        plan = " / ".join(row[3] for row in session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, parameters))
    assert "USING INDEX ix_process_instance_due" in plan
    assert "TEMP B-TREE" not in plan  # due order straight from the index, no sort of the backlog


def test_my_tasks_by_due_date_read_the_assignee_due_index(ctx: EngineContext) -> None:
    _postgresql(ctx)
    actor = _caseworker(ctx)
    ids = _due_instances(ctx, 3)
    with ctx.sessionmaker.begin() as session:
        session.execute(update(HumanTask).where(HumanTask.instance_id.in_(ids)).values(
            state="claimed", assignee_id=actor.user_id, role="social_team",
            municipality="dordrecht", due_at=ctx.clock.now() + timedelta(days=3)))
    with ctx.sessionmaker.begin() as session:
        with _statements(session) as seen:
            page = inbox.inbox(ctx, session, actor, queue="mine")
        assert len(page.items) == 3
        statement, parameters = next((s, p) for s, p in seen
                                     if "FROM human_task" in s and "ORDER BY" in s)
        # one statement for both segments: the dated tasks, then the undated ones, each
        # numbered by a window over its own page
        dated, undated = _plan(session, statement, parameters).split("->  WindowAgg")[1:]
        # with sorting priced out too: every segment can be read in its index's order
        unsorted = _plan(session, statement, parameters, "enable_sort")
    assert "ix_human_task_assignee_due" in dated
    assert "Sort" not in dated  # the page in due order, not every claimed task sorted
    assert "due_at IS NULL" in undated
    outer, *segments = unsorted.split("->  WindowAgg")
    assert all("Sort" not in segment for segment in segments)
    # the one sort left puts at most a page from each segment in order
    sorts = re.findall(r"Sort Key: .*", outer)
    assert len(sorts) == 1 and "row_number" in sorts[0]


def test_a_page_over_dated_and_undated_tasks_is_one_statement(ctx: EngineContext) -> None:
    """The dated tasks by due date, then the undated ones by id: one statement for the page,
    not one per segment."""
    actor = _caseworker(ctx)
    ids = _due_instances(ctx, 3)
    due = {ids[0]: timedelta(days=5), ids[1]: timedelta(days=2), ids[2]: None}
    with ctx.sessionmaker.begin() as session:
        for instance_id, days in due.items():
            session.execute(update(HumanTask).where(HumanTask.instance_id == instance_id).values(
                state="claimed", assignee_id=actor.user_id, role="social_team",
                municipality="dordrecht", due_at=None if days is None else ctx.clock.now() + days))
    with ctx.sessionmaker.begin() as session:
        with _statements(session) as seen:
            page = inbox.inbox(ctx, session, actor, queue="mine", limit=2)
            rest = inbox.inbox(ctx, session, actor, queue="mine", limit=2, cursor=page.next)
    assert [item.task.instance_id for item in page.items] == [ids[1], ids[0]]
    assert [item.task.instance_id for item in rest.items] == [ids[2]]
    assert rest.next is None
    assert len([s for s, _ in seen if "FROM human_task" in s]) == 2  # one per page


def test_two_sessions_claiming_at_once_take_different_rows(ctx: EngineContext) -> None:
    _postgresql(ctx)
    ids = _due_instances(ctx, 2)
    first, second, third = ctx.sessionmaker(), ctx.sessionmaker(), ctx.sessionmaker()
    try:
        with first.begin(), second.begin(), third.begin():
            one = claim_due(first, ctx.clock.now())
            other = claim_due(second, ctx.clock.now())  # does not wait for the first's lock
            assert one is not None and other is not None
            assert {one.id, other.id} == set(ids)
            assert claim_due(third, ctx.clock.now()) is None  # both held: nothing left
    finally:
        for session in (first, second, third):
            session.close()


def test_a_fired_timer_records_its_lag(ctx: EngineContext, clock: ManualClock) -> None:
    deploy(ctx, "review")
    with ctx.sessionmaker.begin() as session:
        instance_id = instances.start_instance(ctx, session, SYSTEM, "review",
                                               {"municipality": "dordrecht"}).id
    clock.advance(timedelta(days=5, seconds=90))
    assert fire_due_timers(ctx) == 1
    with ctx.sessionmaker() as session:
        detail = session.scalar(select(Event.detail).where(Event.instance_id == instance_id,
                                                           Event.kind == "timer_fired"))
    assert detail is not None and detail["lag_seconds"] == 90


def test_concurrent_first_numbers_are_unique_and_consecutive(ctx: EngineContext) -> None:
    _postgresql(ctx)
    start = threading.Barrier(8, timeout=30)
    numbers: list[str] = []

    def take() -> None:
        start.wait()
        with ctx.sessionmaker.begin() as session:
            numbers.append(case_numbers.next_case_number(session, "sliedrecht", 2030))

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(numbers) == [f"SL-2030-{n:06d}" for n in range(1, 9)]



def test_the_embedded_timer_loop_runs_only_on_sqlite() -> None:
    assert EngineSettings(database_url="sqlite:///k.db").runs_embedded_worker()
    assert not EngineSettings(database_url="sqlite:///k.db",
                              embedded_worker=False).runs_embedded_worker()
    assert not EngineSettings(database_url="postgresql+psycopg://db/k").runs_embedded_worker()
