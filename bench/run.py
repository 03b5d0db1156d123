"""``make bench``: the "Assess and Advise" comparison in one run, on SQLite and PostgreSQL.

Per database: raw SpiffWorkflow (in memory, and with a JSON save+load at each wait point),
Ketenflow through the engine's service functions, Ketenflow through the HTTP API served by
gunicorn, and the lists (the API's instance lists and task inbox, and the caseworker's HTML
inbox page after a login through the form) at 1,000, 5,000 and 10,000 instances: one database
and server per size, measured in alternating rounds.
PostgreSQL runs when ``KETENFLOW_BENCH_PG_URL`` (or ``KETENFLOW_TEST_DATABASE_URL``) is set;
the bench creates its own databases next to it (``<name>_engine`` and ``<name>_http0``,
``_http1``, ..., dropped and recreated on every run). The table goes to stdout and to
``bench/results/latest.txt``. Last, per database, single signals are timed while a 10,000-row
batch runs (``bench.intake_path``; ``--intake-only`` runs just that part).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from bench import dashboard_path, databases, raw, report
from bench.common import PASSWORD, ROOT, TEAM_USER, WORKLOAD, load_average, ms
from bench.engine_path import EnginePath, EngineResult
from bench.http_path import (
    Client,
    HttpResult,
    InProcessApp,
    ListResult,
    Server,
    cli,
    measure_claim,
    measure_lifecycles,
    measure_lists,
    record_memory,
)
from bench.intake_path import BATCH_ROWS, IntakeResult, measure_intake
from bench.people import People, prepare


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


ROUNDS = 5
#: The HTTP lifecycle's rounds: short ones (10 lifecycles and 50 raw instances each by default),
#: because the machine's speed jumps between phases that last seconds (the raw engine measured
#: 0.55 ms per instance in one and 0.95 ms in the next on the same core): a long round can
#: time the server in one phase and the raw engine beside it in another. The ratio is the
#: median of the rounds' own ratios.
HTTP_ROUNDS = 20
#: Finished cases for the dashboard in ``make bench``: the million the managers' cockpit is
#: held to (issue 12), generated straight into the tables (minutes per database);
#: ``--quick`` or ``--dashboard-cases`` make it smaller.
SHORT_DASHBOARD = dashboard_path.CASES
#: Rows of the batch that single signals are timed beside in the short run: SQLite's batch
#: pauses between chunks to let single signals in, and 10,000 rows took over five minutes.
SHORT_BATCH = 2_000


@dataclass
class Site:
    """One HTTP-path database with its server, grown to ``size`` instances for the lists."""

    size: int
    filler: EnginePath
    server: Server
    client: Client
    people: People
    in_process: InProcessApp | None = None

    @classmethod
    def open(cls, target: databases.Target, work: Path, index: int, size: int) -> Site:
        url = databases.fresh_url(target, f"http{index}", work)
        cli(url, "init", "--no-deploy")
        cli(url, "deploy", str(WORKLOAD))
        filler = EnginePath(url)
        server = Server(url, work / f"serve{index}.log")
        try:
            people = prepare(filler.ctx, schema=False, deploy=False)
            filler.people = people
            server.start()
        except BaseException:
            server.stop()
            filler.close()
            raise
        return cls(size, filler, server, Client(server.port), people)

    def fill(self) -> None:
        self.filler.fill_to(self.size)
        self.client.login(TEAM_USER, PASSWORD)
        self.in_process = InProcessApp(self.filler.ctx, self.people.team_token)

    def measure_lists(self, n: int, warmup: int) -> list[ListResult]:
        assert self.in_process is not None
        tokens = {"team": self.people.team_token, "owner": self.people.owner_token}
        return (measure_lists(self.server, self.client, tokens, self.size, n, warmup)
                + self.in_process.measure(self.size, n, warmup))

    def close(self) -> None:
        self.client.close()
        self.server.stop()
        self.filler.close()


def merge_lists(parts: list[ListResult]) -> list[ListResult]:
    """One result per list and size from the rounds' parts (times joined, CPU averaged)."""
    merged: dict[tuple[str, int], ListResult] = {}
    for part in parts:
        key = (part.name, part.instances)
        total = merged.get(key)
        if total is None:
            merged[key] = replace(part, times=list(part.times))
            continue
        n_total, n_part = len(total.times), len(part.times)
        if part.cpu_ms == part.cpu_ms:  # not NaN: an HTTP list
            total.cpu_ms = (total.cpu_ms * n_total + part.cpu_ms * n_part) / (n_total + n_part)
        total.times.extend(part.times)
    return list(merged.values())


def run_database(target: databases.Target, args: argparse.Namespace) -> report.DatabaseRun:
    work = databases.workdir()
    try:
        # The machine is shared and its speed drifts by tens of percent within a minute, so the
        # raw engine and the engine path are measured in alternating rounds: every ratio
        # compares samples taken under the same conditions.
        log(f"{target.label}: raw SpiffWorkflow ({args.raw} instances per variant) and the "
            f"engine path ({args.lifecycles} lifecycles), in {ROUNDS} alternating rounds")
        raw_memory = raw.RawResult(mode="in memory")
        raw_save_load = raw.RawResult(mode="save+load")
        engine = EnginePath(databases.fresh_url(target, "engine", work))
        engine_result = EngineResult()
        try:
            engine.prepare()
            for _round in range(ROUNDS):
                raw_memory.extend(raw.measure(args.raw // ROUNDS, 20, save_load=False))
                raw_save_load.extend(raw.measure(args.raw // ROUNDS, 20, save_load=True))
                engine_result.extend(engine.measure(max(1, args.lifecycles // ROUNDS),
                                                    max(1, args.warmup // ROUNDS)))
            engine.count_api_statements(engine_result)
        finally:
            engine.close()

        log(f"{target.label}: HTTP API via ketenflow serve (gunicorn, 2 workers), one "
            f"database and server per list size")
        http_result = HttpResult()
        sites: list[Site] = []
        try:
            for index, size in enumerate(args.list_sizes):
                sites.append(Site.open(target, work, index, size))
            first = sites[0]
            people = first.people
            # The API ratio compares like with like as well: lifecycles through the server
            # and raw instances in alternating rounds (the API's CPU is a median of rounds).
            for number in range(HTTP_ROUNDS):
                measure_lifecycles(first.server, first.client, people.team_token,
                                   people.owner_token, people.admin_token,
                                   max(1, args.lifecycles // HTTP_ROUNDS),
                                   args.warmup if number == 0 else 2, http_result,
                                   lambda: databases.server_cpu_seconds(first.filler.ctx.db))
                beside = raw.measure(max(10, args.raw // HTTP_ROUNDS), 10,
                                     save_load=False)
                http_result.raw_rounds.append(beside)
                raw_memory.extend(beside)
            http_result.claim = measure_claim(first.client, people.team_token,
                                              people.owner_token, people.admin_token,
                                              args.lifecycles, args.warmup)
            record_memory(first.server, http_result)
            for site in sites:
                log(f"{target.label}: filling to {site.size:,} instances")
                t = time.perf_counter()
                site.fill()
                log(f"{target.label}: filled in {ms(time.perf_counter() - t) / 1000:.1f} s")
            # Like the engine rounds: every size is measured in every round, so a drift of
            # the machine's speed cannot pass for a list that slows down as it grows.
            log(f"{target.label}: measuring the lists in {ROUNDS} alternating rounds")
            parts = []
            per_round = max(1, args.list_requests // ROUNDS)
            warm = max(10, args.list_requests // 10)  # both workers render once
            for number in range(ROUNDS):
                for site in sites:
                    parts += site.measure_lists(per_round, warm if number == 0 else 2)
            http_result.lists = merge_lists(parts)
            for site in sites:
                record_memory(site.server, http_result)
        finally:
            for site in sites:
                site.close()
        return report.DatabaseRun(target.kind, target.label, raw_memory, raw_save_load,
                                  engine_result, http_result, load=load_average())
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_intake(target: databases.Target, rows: int) -> IntakeResult:
    work = databases.workdir()
    try:
        log(f"{target.label}: single signals while a {rows:,}-row batch runs (ketenflow "
            "serve, 2 workers)")
        result = measure_intake(databases.fresh_url(target, "intake", work), work, rows)
        log(f"{target.label}: batch done in {result.batch_seconds:.0f} s; single signal "
            f"median {result.single_median:.0f} ms, max {result.single_max:.0f} ms")
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_dashboard(target: databases.Target,
                  args: argparse.Namespace) -> tuple[report.Check, list[str]]:
    """The cockpit page and GET /api/v1/stats with ``args.dashboard_cases`` finished cases."""
    work = databases.workdir()
    try:
        log(f"{target.label}: dashboard, generating {args.dashboard_cases:,} finished cases "
            "directly into the tables (bulk insert, not through the engine)")
        url = databases.fresh_url(target, "dashboard", work)
        found = dashboard_path.measure_dashboard(url, args.dashboard_cases,
                                                 args.dashboard_requests, log)
        lines = dashboard_path.lines(target.label, found)
        for line in lines:
            log(line)
        worst = dashboard_path.worst(found)
        check = report.Check(
            f"{target.label}: dashboard (page and API, {len(found.times) // 2} filter "
            f"combinations) p95 < {dashboard_path.BUDGET_MS:g} ms with "
            f"{found.cases:,} finished cases", worst < dashboard_path.BUDGET_MS,
            f"worst p95 {worst:.0f} ms")
        return check, lines
    finally:
        shutil.rmtree(work, ignore_errors=True)


def revision() -> str:
    git = shutil.which("git")
    if git is None:
        return "unknown revision"
    try:
        head = subprocess.run([git, "rev-parse", "--short", "HEAD"], cwd=ROOT,  # noqa: S603
                              capture_output=True, text=True, timeout=10, check=True)
        dirty = subprocess.run([git, "status", "--porcelain", "--", "engine", "webui"],  # noqa: S603
                               cwd=ROOT, capture_output=True, text=True, timeout=10,
                               check=True)
    except (OSError, subprocess.SubprocessError):
        return "unknown revision"
    return f"commit {head.stdout.strip()}" + (" + uncommitted engine/webui changes"
                                              if dirty.stdout.strip() else "")


def postgres_durability(targets: list[databases.Target]) -> str:
    url = next((t.pg_url for t in targets if t.pg_url), None)
    if url is None:
        return "PostgreSQL not in this run"
    from sqlalchemy import create_engine, text

    probe = create_engine(url)
    try:
        with probe.connect() as connection:
            found = {name: connection.execute(text(f"SHOW {name}")).scalar()
                     for name in ("synchronous_commit", "fsync")}
    finally:
        probe.dispose()
    return (f"PostgreSQL synchronous_commit={found['synchronous_commit']}, "
            f"fsync={found['fsync']}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--lifecycles", type=int, default=200,
                        help="timed lifecycles per path and database (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed lifecycles first")
    parser.add_argument("--raw", type=int, default=1000,
                        help="raw SpiffWorkflow instances per variant (default 1000)")
    parser.add_argument("--list-sizes", type=int, nargs="+", default=[1000, 5000, 10000],
                        metavar="N", help="instance counts for the lists, smallest first "
                        "(default 1000 5000 10000)")
    parser.add_argument("--list-requests", type=int, default=100,
                        help="timed requests per list and size (default 100)")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--intake-only", action="store_true",
                        help="only time single signals while a large batch runs")
    parser.add_argument("--batch-rows", type=int, default=None,
                        help=f"rows of that batch (default {SHORT_BATCH:,}, with --intake-only "
                             f"{BATCH_ROWS:,})")
    parser.add_argument("--dashboard-only", action="store_true",
                        help="only the managers' dashboard with many finished cases")
    parser.add_argument("--dashboard-cases", type=int, default=None,
                        help=f"finished cases for the dashboard (default {SHORT_DASHBOARD:,}, "
                             f"with --dashboard-only {dashboard_path.CASES:,}; make bench-scale "
                             "runs it at 1,000,000 too)")
    parser.add_argument("--dashboard-requests", type=int, default=30,
                        help="timed requests per dashboard request kind (default 30)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: few lifecycles, lists at 200 and 400, a dashboard "
                             "of 5,000 cases")
    args = parser.parse_args(argv)
    if args.quick:
        args.lifecycles, args.warmup, args.raw = 20, 5, 200
        args.list_sizes, args.list_requests = [200, 400], 20
        if args.dashboard_cases is None:
            args.dashboard_cases = 5_000
    if args.batch_rows is None:
        args.batch_rows = BATCH_ROWS if args.intake_only else SHORT_BATCH
    if args.dashboard_cases is None:
        args.dashboard_cases = dashboard_path.CASES if args.dashboard_only else SHORT_DASHBOARD
    args.list_sizes = sorted(set(args.list_sizes))
    if len(args.list_sizes) < 2 or args.list_sizes[0] < 50:
        parser.error("--list-sizes needs two or more sizes of at least 50")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    targets = databases.targets(skip_pg=args.sqlite_only)
    header = [
        'Ketenflow bench: "Assess and Advise" (bench/README.md)',
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SpiffWorkflow {version('SpiffWorkflow')}, "
        f"SQLAlchemy {version('SQLAlchemy')}, {revision()}",
        f"{args.lifecycles} timed lifecycles per path (after {args.warmup} warm-up), "
        f"{args.raw} raw instances per variant, each list {args.list_requests}× per size "
        f"({', '.join(f'{n:,}' for n in args.list_sizes)} instances); medians unless marked p95.",
        "raw = plain SpiffWorkflow 3.2, default PythonScriptEngine, measured in this run; "
        "save+load = BpmnWorkflowSerializer(SPIFF_CONFIG) serialize_json + deserialize_json "
        "at each of the 3 wait points.",
        "engine path = service functions, one transaction per step; HTTP API = ketenflow "
        "serve (gunicorn, 2 sync workers), one sequential client on loopback.",
        "(c) = start, find the task, complete Assess, complete Advise (the task that "
        "completion names); an open task is taken and completed in one call (\"claim\": "
        "true); claim alone is timed apart and is not in (c).",
        "(d) times are client round trips on loopback (no Server-Timing header; serve's "
        "access log has no %(D)s); srv CPU = server CPU per request; in-process = the app "
        "alone (Flask test client, same database).",
        "CPU per lifecycle: raw = this process; engine path = this process + its script "
        "sandbox + the PostgreSQL server; HTTP = gunicorn master, workers and sandboxes + "
        "the PostgreSQL server (all its processes: backends, WAL writer, autovacuum); "
        "time on a CPU from /proc (schedstat); the client's own CPU not counted. "
        f"Each ratio is taken from alternating rounds: {ROUNDS} of raw with the engine path, "
        f"{HTTP_ROUNDS} short ones of raw with the HTTP lifecycles (the HTTP ratios use the raw "
        "rounds beside them; the HTTP CPU is the median of its rounds, its ratio by CPU the "
        "median of the rounds' own ratios).",
        "Durability: SQLite journal_mode=WAL, synchronous=NORMAL (engine.db: a commit survives "
        "a crash of the process, the last ones may be lost on power failure); "
        + postgres_durability(targets) + ".",
        f"start: {load_average()}",
    ]
    if args.intake_only:
        header[2:] = [f"intake only: single signals timed while a {args.batch_rows:,}-row "
                      "batch runs as a job; round trips on loopback."]
    if args.dashboard_only:
        header[2:] = [f"dashboard only: {args.dashboard_cases:,} finished cases generated "
                      "directly into the tables; the app in process (Flask test client)."]
    result = report.Report(header)
    if not any(t.kind == "postgresql" for t in targets):
        header.append("PostgreSQL skipped: set KETENFLOW_BENCH_PG_URL to include it.")
    for target in targets:
        if not args.intake_only and not args.dashboard_only:
            run = run_database(target, args)
            result.runs.append(run)
            result.checks += report.checks_for(run)
        if not args.dashboard_only:
            intake = run_intake(target, args.batch_rows)
            result.intake[target.label] = intake
            result.checks.append(report.intake_check(target.label, intake))
        if not args.intake_only:
            check, lines = run_dashboard(target, args)
            result.dashboard[target.label] = lines
            result.checks.append(check)
    header.append(f"total bench time {time.perf_counter() - started:.0f} s")
    path = report.write(result)
    print(report.render(result), end="")
    log(f"written to {path.relative_to(path.parent.parent.parent)}")
    return 0 if all(c.ok for c in result.checks if c.primary) else 1


if __name__ == "__main__":
    sys.exit(main())
