"""The managers' dashboard with 1,000,000 finished cases: page and API p95 under 300 ms.

The cases are generated directly into the tables (bulk insert of the ``case`` rows, its
indexes built afterwards, not through the engine: a million cases through the chain would
take days); their figures are the cells ``engine.chain.figures.case_cells`` gives each
generated case, summed into ``figure_cell`` as the worker's fold would have left them
(``figure_case``, the per-case memory the fold diffs against, is not filled: the dashboard
never reads it). Then the web app in this process (Flask test client, the app's own time)
answers the cockpit page and ``GET /api/v1/stats`` for a few filter combinations, each timed
``requests`` times.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import text

from bench.common import PASSWORD, gc_collected, ms, p95
from bench.http_path import SECRET_KEY
from engine import chain, users
from engine.chain import figures
from engine.chain.national_results import EINDRESULTATEN
from engine.context import EngineContext, build_context
from engine.schema import upgrade
from engine.settings import EngineSettings

CASES = 1_000_000
BUDGET_MS = 300.0
MANAGER = "bench_manager"
FIRST_DAY = date(2016, 10, 1)
DAYS = 3652  # ten years of signals, up to 2026-09-30
MUNICIPALITIES = (("dordrecht", 0.44), ("zwijndrecht", 0.16), ("papendrecht", 0.12),
                  ("hendrik-ido-ambacht", 0.11), ("sliedrecht", 0.10), ("alblasserdam", 0.07))
CORPORATIONS = (("woonbron", 0.30), ("trivire", 0.30), ("woonkracht10", 0.25),
                ("tablis", 0.09), ("rhiant", 0.06))
#: (name, query) of the requests timed, on the page and on the API alike
REQUESTS = (
    ("last 12 months", ""),
    ("ten years", "from=2016-10&to=2026-09"),
    ("quarter, Sliedrecht", "quarter=2026-Q2&municipality=sliedrecht"),
    ("two years, Woonbron", "from=2024-10&to=2026-09&corporation=woonbron"),
    ("five years, Dordrecht, Trivire",
     "from=2021-10&to=2026-09&municipality=dordrecht&corporation=trivire"),
)
COLUMNS = ("case_number", "corporation", "municipality", "external_id", "tenant_name", "street",
           "house_number", "postcode", "city", "synthetic", "arrears_amount", "arrears_months",
           "monthly_rent", "crisis", "warm_handover", "duplicate", "milestone", "closed",
           "referred_to_sdd", "referred_to_care", "outcome", "national_result", "repeat",
           "known_sdd_trajectory", "opened_by", "created_at", "updated_at", "closed_at")


@dataclass
class DashboardResult:
    cases: int = 0
    generate_seconds: float = 0.0
    cells: int = 0
    #: (where, request name) -> times in ms
    times: dict[tuple[str, str], list[float]] = field(default_factory=dict)


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    point, total = rng.random(), 0.0
    for name, weight in weighted:
        total += weight
        if point < total:
            return name
    return weighted[-1][0]


def _case(rng: random.Random, number: int, cases: int = CASES
          ) -> tuple[tuple[Any, ...], set[str]]:
    """One finished case's row and its cells, drawn with domain.md §7.3's shares; cases come
    in signal order over the ten years (as they would arrive)."""
    created = datetime.combine(FIRST_DAY + timedelta(days=number * DAYS // cases),
                               datetime.min.time(), UTC) + timedelta(hours=9)
    municipality, corporation = _pick(rng, MUNICIPALITIES), _pick(rng, CORPORATIONS)
    facts = figures.Facts()
    roll = rng.random()
    sdd = care = False
    if roll < 0.2:
        milestone = "not_picked_up"
        result = rng.choice(EINDRESULTATEN[:5])
    else:
        milestone = "closed"
        first = created.date() + timedelta(days=rng.choice((1, 2, 3, 3, 4, 6, 9)))
        reached = rng.random() < 0.5
        facts.attempts.append((first, False))
        if reached:
            facts.attempts.append((first + timedelta(days=rng.randrange(1, 30)), True))
            result = rng.choice(EINDRESULTATEN[5:])
            facts.arrangement = rng.random() < 0.35
            if facts.arrangement:
                facts.steps.add(rng.choice(("record_arrangement_kept",
                                            "record_arrangement_kept",
                                            "follow_up_broken_arrangement")))
            sdd = rng.random() < 0.15
            care = rng.random() < 0.05
            facts.sdd = rng.choice(("advice_completed", "debt_mediation_started",
                                    "already_known", "client_withdrew")) if sdd else None
            facts.care = rng.choice(("guided_into_care", "accepted")) if care else None
        else:
            result = rng.choice(("Definitief geen contact kunnen krijgen",
                                 "Geen reactie na eerder contact"))
        if rng.random() < 0.09:
            month = (created + timedelta(days=95)).date().replace(day=1)
            facts.legal.append(("summons", month))
            if rng.random() < 0.66:
                facts.legal.append(("judgment", (created + timedelta(days=125)).date()
                                    .replace(day=1)))
                if rng.random() < 0.25:
                    facts.legal.append(("eviction", (created + timedelta(days=160)).date()
                                        .replace(day=1)))
    closed_at = created + timedelta(days=rng.randrange(5, 120))
    repeat = rng.random() < 0.3
    case = SimpleNamespace(municipality=municipality, corporation=corporation,
                           created_at=created, milestone=milestone, closed=True,
                           national_result=result, repeat=repeat, opened_by=None,
                           referred_to_sdd=sdd, referred_to_care=care)
    row = (f"B-{number:07d}", corporation, municipality, f"bench-{number}",
           "Synthetisch Huishouden", "Benchstraat", str(number % 900 + 1), "3311 AA",
           "Dordrecht", True, 1280, 2, 640, False, False, milestone == "not_picked_up",
           milestone, True, sdd, care, None, result, repeat, False, None,
           created, closed_at, closed_at)
    return row, figures.case_cells(case, facts)


def _insert_cases(ctx: EngineContext, rows: list[tuple[Any, ...]]) -> None:
    """Bulk insert: COPY on PostgreSQL, executemany on SQLite (naive UTC, as the app stores)."""
    raw = ctx.db.raw_connection()
    try:
        cursor = raw.cursor()
        names = ", ".join(f'"{c}"' for c in COLUMNS)
        if ctx.db.dialect.name == "postgresql":
            with cursor.copy(f'COPY "case" ({names}) FROM STDIN') as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row([v.replace(tzinfo=None) if isinstance(v, datetime) else v
                                    for v in row])
        else:
            cursor.execute("PRAGMA synchronous=OFF")  # a throw-away bench database
            marks = ", ".join("?" for _ in COLUMNS)
            cursor.executemany(
                f'INSERT INTO "case" ({names}) VALUES ({marks})',  # noqa: S608 - constants
                [tuple(v.replace(tzinfo=None).isoformat(" ") if isinstance(v, datetime) else v
                       for v in row) for row in rows])
        raw.commit()
    finally:
        raw.close()


#: The trigger that keeps SQLite's name/address search table (FTS5) in step with new cases.
_SEARCH_TRIGGER = "case_search_insert"
_TRIGGER_VALUES = re.compile(r"VALUES\s*\(\s*new\.id\s*,\s*(.+)\)\s*;\s*END\s*$",
                             re.IGNORECASE | re.DOTALL)


@contextmanager
def _indexes_built_after(ctx: EngineContext) -> Iterator[None]:
    """Load the cases with the case table's secondary indexes (and, on SQLite, its search
    trigger) dropped, then build them again from their own DDL in the catalogue.

    Built once over a million rows they take a fraction of the time of a million index
    inserts: generating the million took 171 s on SQLite and 91 s on PostgreSQL with them in
    place, 57 s and 67 s this way (SQLite's FTS5 trigger, row by row, was most of it). The
    catalogue ends up as it was: the same indexes and trigger, every case in the search table.
    """
    trigger, search, first = None, None, 0
    postgresql = ctx.db.dialect.name == "postgresql"
    with ctx.db.begin() as connection:
        indexes = connection.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'case' "
            "AND indexdef NOT LIKE 'CREATE UNIQUE %'" if postgresql else
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = 'case' AND sql IS NOT NULL")).all()
        for name, _ in indexes:
            connection.execute(text(f'DROP INDEX "{name}"'))
        if not postgresql:
            trigger = connection.execute(text(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
                {"name": _SEARCH_TRIGGER}).scalar()
            found = _TRIGGER_VALUES.search(trigger or "")
            search = found.group(1).replace("new.", "") if found else None
            if search is not None:
                connection.execute(text(f'DROP TRIGGER "{_SEARCH_TRIGGER}"'))
            first = connection.execute(text('SELECT coalesce(max(id), 0) FROM "case"')
                                       ).scalar_one()
    yield
    with ctx.db.begin() as connection:
        if search is not None:
            connection.execute(text(
                f'INSERT INTO case_search (rowid, search_text) SELECT id, {search} '  # noqa: S608
                'FROM "case" WHERE id > :first'), {"first": first})
            connection.execute(text(str(trigger)))
        for _, ddl in indexes:
            connection.execute(text(ddl))


def generate(ctx: EngineContext, cases: int, log: Any) -> DashboardResult:
    result = DashboardResult(cases=cases)
    started = time.perf_counter()
    rng = random.Random(12)  # noqa: S311 - synthetic data, not security
    totals: Counter[str] = Counter()
    chunk = 50_000
    with _indexes_built_after(ctx):
        for start in range(0, cases, chunk):
            rows = []
            for number in range(start, min(cases, start + chunk)):
                row, cells = _case(rng, number, cases)
                rows.append(row)
                totals.update(cells)
            _insert_cases(ctx, rows)
            if (start + chunk) % 200_000 == 0:
                log(f"  {start + chunk:,} cases generated")
        log("  building the case table's indexes")
    with ctx.sessionmaker.begin() as session:
        figures.write_counts(session, totals)
    # what autovacuum would have done by then after a load this size: planner statistics
    # and, on PostgreSQL, the visibility map that lets an index-only scan skip the table
    with ctx.db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE" if ctx.db.dialect.name == "postgresql"
                                else "ANALYZE"))
    result.cells = len(totals)
    result.generate_seconds = time.perf_counter() - started
    return result


def measure_dashboard(url: str, cases: int, requests: int, log: Any) -> DashboardResult:
    from webui import create_app

    ctx = chain.install(build_context(EngineSettings(database_url=url, embedded_worker=False)))
    try:
        upgrade(ctx.db)
        with ctx.sessionmaker.begin() as session:
            users.ensure_organisations(session)
            users.add_user(ctx, session, MANAGER, "manager", "regio", PASSWORD)
            token = users.create_token(ctx, session, username=MANAGER, label="bench").token
        result = generate(ctx, cases, log)
        log(f"  {cases:,} cases and {result.cells:,} figure cells in "
            f"{result.generate_seconds:.0f} s")
        app = create_app({"TESTING": True, "SECRET_KEY": SECRET_KEY}, ctx=ctx)
        client = app.test_client()
        response = client.post("/login", data={"username": MANAGER, "password": PASSWORD},
                               headers={"Origin": "http://localhost"})
        if response.status_code not in (302, 303):
            raise AssertionError(f"dashboard login: status {response.status_code}")
        api = app.test_client()
        auth = {"Authorization": f"Bearer {token}"}
        for name, query in REQUESTS:
            for where in ("page", "API"):
                def get(w: str = where, q: str = query) -> Any:
                    if w == "page":
                        return client.get(f"/cockpit?{q}")
                    return api.get(f"/api/v1/stats?{q}", headers=auth)
                for _ in range(3):
                    answer = get()
                    if answer.status_code != 200:
                        raise AssertionError(f"dashboard {where} {name}: "
                                             f"{answer.status_code}")
                times = []
                with gc_collected():
                    for _ in range(requests):
                        t = time.perf_counter()
                        get()
                        times.append(ms(time.perf_counter() - t))
                result.times[(where, name)] = times
        return result
    finally:
        ctx.close()


def lines(label: str, result: DashboardResult) -> list[str]:
    found = [f"{label}: dashboard with {result.cases:,} finished cases generated directly "
             f"into the tables (bulk insert, not through the engine; {result.cells:,} figure "
             f"cells), in-process app time:"]
    for (where, name), times in result.times.items():
        found.append(f"  {where:<4} {name:<32} p95 {p95(times):6.1f} ms "
                     f"(median {sorted(times)[len(times) // 2]:.1f} ms, {len(times)} requests)")
    return found


def worst(result: DashboardResult) -> float:
    return max((p95(t) for t in result.times.values()), default=float("nan"))
