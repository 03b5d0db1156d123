"""``make bench-scale``: the long run at national volume, on PostgreSQL.

Four parts, each table printed with the machine's load average when it was taken:

1. Lists, searches and the referral scopes at 1,000 / 10,000 / 100,000 open cases: one
   database per size, its cases generated directly into the tables (``bench.scale_data``);
   every request through the web app in this process (Flask test client), timed in wall
   time and in this process's CPU time, all sizes measured in alternating rounds.
2. Intake per signal against the raw engine with save and load on the real chain, in
   alternating rounds; the batch path beside it.
3. ``ketenflow serve`` (2 web workers) and 2 ``ketenflow worker`` processes on the largest
   database, driven by 4 clients at once; then each web worker's RSS read from
   ``/proc/<pid>/status`` (the real processes, not this one).
4. The managers' dashboard at 1,000,000 finished cases (``bench.dashboard_path``).

Needs ``KETENFLOW_BENCH_PG_URL`` (a database name with "bench" in it is used as the prefix
of the databases this run drops and recreates: ``<name>_open1000``, ``<name>_intake``, ...).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import text

from bench import dashboard_path, databases, scale_data
from bench.common import PASSWORD, ROOT, median, ms, p95
from bench.http_path import (
    SECRET_KEY,
    Client,
    Server,
    cli,
    command_of,
    ketenflow_command,
    rss_mb,
    server_env,
)
from bench.intake_path import signal
from bench.run import revision

ROUNDS = 5
P95_MS = 50.0
GROWTH = 1.5
RSS_MB = 100.0
INTAKE_OVER_RAW = 3.0
TEAM, SDD, MZO = "scale_team", "scale_sdd", "scale_mzo"
PEOPLE = ((TEAM, "social_team", "dordrecht"), (SDD, "budget_advice", "sdd"),
          (MZO, "care_referral", "veilig-thuis"))
NO_MATCH = "Qwertyzaal"
#: API pages of 25 followed for the deep pages (tasks; cases go 4 pages further)
DEEP_PAGES = 8


def log(message: str) -> None:
    print(f"[bench-scale {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} ({os.cpu_count()} cores)"


@dataclass
class Timing:
    """Wall and CPU times (ms) of one request kind at one size."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    #: the database server's CPU (ms) per request, one figure per batch of requests
    db_cpu: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Request:
    group: str   # "list", "search", "scope"
    name: str
    who: str     # a person's session (HTML) or "api" (the team member's token)
    path: str


def requests_for(found: scale_data.Generated) -> list[Request]:
    """What is timed at every size; the deep pages are added per site (their cursors)."""
    team_q = "/inbox?" + urlencode({"queue": "team"})
    return [
        Request("list", "inbox page, team queue (HTML, 25)", TEAM, team_q),
        Request("list", "inbox page, my tasks (HTML, 25)", TEAM, "/inbox"),
        Request("list", "task inbox API, team queue, by due (50)", "api",
                "/api/v1/tasks?queue=team&limit=50"),
        Request("list", "task inbox API, team queue, by created (50)", "api",
                "/api/v1/tasks?queue=team&sort=created&limit=50"),
        Request("list", "case list page (HTML, 25)", TEAM, "/cases"),
        Request("list", "case list page, milestone filter (HTML)", TEAM,
                "/cases?milestone=contact_made"),
        Request("list", "case list API (50)", "api", "/api/v1/cases?limit=50"),
        Request("list", "instance list API (50)", "api", "/api/v1/instances?limit=50"),
        Request("search", "case search: number prefix (hit)", TEAM,
                "/cases?" + urlencode({"q": found.number_prefix})),
        Request("search", "case search: name (hit)", TEAM,
                "/cases?" + urlencode({"q": found.name})),
        Request("search", "case search: address (hit)", TEAM,
                "/cases?" + urlencode({"q": found.address})),
        Request("search", "case search: no match", TEAM, "/cases?" + urlencode({"q": NO_MATCH})),
        Request("search", "inbox search: number prefix (hit)", TEAM,
                "/inbox?" + urlencode({"queue": "team", "q": found.number_prefix})),
        Request("search", "inbox search: name (hit)", TEAM,
                "/inbox?" + urlencode({"queue": "team", "q": found.name})),
        Request("search", "inbox search: no match", TEAM,
                "/inbox?" + urlencode({"queue": "team", "q": NO_MATCH})),
        Request("scope", "SDD case list (HTML)", SDD, "/cases"),
        Request("scope", "SDD inbox, team queue (HTML)", SDD, team_q),
        Request("scope", "Meldpunt case list (HTML)", MZO, "/cases"),
        Request("scope", "Meldpunt inbox, team queue (HTML)", MZO, team_q),
    ]


class OpenSite:
    """One database with ``size`` open cases and the web app on it, in this process."""

    def __init__(self, target: databases.Target, work: Path, size: int,
                 deep: int = DEEP_PAGES) -> None:
        from engine import chain, users
        from engine.context import build_context
        from engine.settings import EngineSettings
        from webui import create_app

        self.size = size
        self.url = databases.fresh_url(target, f"open{size}", work)
        cli(self.url, "init")
        self.ctx = chain.install(build_context(EngineSettings(database_url=self.url,
                                                              embedded_worker=False)))
        with self.ctx.sessionmaker.begin() as session:
            team_id = 0
            for username, role, org in PEOPLE:
                user = users.add_user(self.ctx, session, username, role, org, PASSWORD)
                team_id = team_id or user.id
            self.token = users.create_token(self.ctx, session, username=TEAM,
                                            label="scale").token
        t = time.perf_counter()
        self.generated = scale_data.generate(self.ctx, size, team_id, log)
        log(f"  {size:,} open cases in {time.perf_counter() - t:.0f} s")
        self.app = create_app({"TESTING": True, "SECRET_KEY": SECRET_KEY}, ctx=self.ctx)
        self.clients: dict[str, Any] = {}
        for username, _role, _org in PEOPLE:
            client = self.app.test_client()
            answer = client.post("/login", data={"username": username, "password": PASSWORD},
                                 headers={"Origin": "http://localhost"})
            if answer.status_code not in (302, 303):
                raise AssertionError(f"login {username}: {answer.status_code}")
            self.clients[username] = client
        self.api = self.app.test_client()
        self.requests = requests_for(self.generated) + self._deep_pages(deep)

    def get(self, request: Request) -> Any:
        if request.who == "api":
            return self.api.get(request.path, headers={"Authorization": f"Bearer {self.token}"})
        return self.clients[request.who].get(request.path, headers={"Accept": "text/html"})

    def _deep(self, path: str, pages: int) -> str:
        here = path
        for _ in range(pages):
            body = self.api.get(here, headers={"Authorization": f"Bearer {self.token}"}).get_json()
            if not body or not body.get("next"):
                raise AssertionError(f"{path}: fewer than {pages + 1} pages at {self.size:,}")
            here = f"{path}&{urlencode({'cursor': body['next']})}"
        return here

    def _deep_pages(self, deep: int) -> list[Request]:
        return [
            Request("list", f"task inbox API, team queue, page {deep + 1} (deep)",
                    "api", self._deep("/api/v1/tasks?queue=team&limit=25", deep)),
            Request("list", f"case list API, page {deep + 5} (deep)", "api",
                    self._deep("/api/v1/cases?limit=25", deep + 4)),
        ]

    def check(self) -> None:
        """Every request answers 200, and the hits find what they look for."""
        for request in self.requests:
            answer = self.get(request)
            if answer.status_code != 200:
                raise AssertionError(f"{request.name} at {self.size:,}: {answer.status_code}")
            body = answer.get_data(as_text=True)
            if "(hit)" in request.name:
                wanted = (self.generated.number_prefix if "number" in request.name
                          else self.generated.name.split()[-1] if "name" in request.name
                          else self.generated.address.split()[0])
                if wanted not in body:
                    raise AssertionError(f"{request.name} at {self.size:,}: {wanted!r} not in "
                                         "the answer")
            if "no match" in request.name and "/cases" in request.path \
                    and re.search(r'<tr class="row-', body):
                raise AssertionError(f"{request.name}: rows found")

    def db_cpu(self) -> float:
        """CPU seconds of the backends answering the reads so far."""
        return databases.backend_cpu_seconds(self.ctx.db)

    def measure(self, timings: dict[tuple[str, int], Timing], n: int, warmup: int) -> None:
        for request in self.requests:
            for _ in range(warmup):
                self.get(request)
            timing = timings.setdefault((request.name, self.size), Timing())
            gc.collect()
            db0 = self.db_cpu()
            for _ in range(n):
                cpu, wall = time.process_time(), time.perf_counter()
                answer = self.get(request)
                timing.wall.append(ms(time.perf_counter() - wall))
                timing.cpu.append(ms(time.process_time() - cpu))
                if answer.status_code != 200:
                    raise AssertionError(f"{request.name}: {answer.status_code}")
            timing.db_cpu.append(ms(self.db_cpu() - db0) / n)

    def close(self) -> None:
        self.ctx.close()


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for number, row in enumerate(rows):
        out.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if number == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


@dataclass
class Verdicts:
    met: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    def add(self, ok: bool, text_: str) -> None:
        (self.met if ok else self.missed).append(text_)


def lists_table(sites: list[OpenSite], timings: dict[tuple[str, int], Timing],
                verdicts: Verdicts) -> list[str]:
    sizes = [s.size for s in sites]
    small, big = _short(sizes[0]), _short(sizes[-1])
    lines = []
    for group, title in (("list", "Lists"), ("search", "Search"),
                         ("scope", "Referral scopes (SDD, Meldpunt)")):
        head = ["request (in-process app)"] + [f"p95 @{s:,}" for s in sizes] + [
            f"{big}÷{small} p95", "med ratio", f"wall med @{big}", f"app CPU @{big}",
            f"DB CPU @{big}", f"{big}÷{small} CPU", "target"]
        rows = [head]
        for request in sites[0].requests:
            if request.group != group:
                continue
            by = [timings[(request.name, s)] for s in sizes]
            first, last = by[0], by[-1]
            ratio = p95(last.wall) / p95(first.wall)
            med_ratio = median(last.wall) / median(first.wall)
            ok = p95(last.wall) < P95_MS and ratio <= GROWTH
            verdicts.add(ok, f"{request.name}: p95 {p95(last.wall):.1f} ms @{sizes[-1]:,}, "
                             f"ratio {ratio:.2f}")
            cpu_ratio = ((median(last.cpu) + mean(last.db_cpu))
                         / (median(first.cpu) + mean(first.db_cpu)))
            rows.append([request.name] + [f"{p95(t.wall):.1f} ms" for t in by] + [
                f"{ratio:.2f}", f"{med_ratio:.2f}", f"{median(last.wall):.1f} ms",
                f"{median(last.cpu):.1f} ms", f"{mean(last.db_cpu):.1f} ms",
                f"{cpu_ratio:.2f}", _verdict(p95(last.wall) < P95_MS, ratio <= GROWTH)])
        lines += [f"{title} — p95 < {P95_MS:g} ms and {sizes[-1]:,}÷{sizes[0]:,} ≤ {GROWTH}×; "
                  f"{load_average()}:"]
        lines += _table(rows) + [""]
    lines += ["  p95 and medians are wall time of the app in this process; app CPU = this "
              "process's CPU per request (median), DB CPU = the PostgreSQL backends' CPU per "
              "request (/proc, mean over the batches); the CPU ratio compares app + DB CPU "
              "medians, which the machine's load does not inflate.", ""]
    return lines


def _verdict(fast: bool, flat: bool) -> str:
    if fast and flat:
        return "met"
    return "MISSED: " + " and ".join(w for w, bad in (("p95", not fast), ("ratio", not flat))
                                     if bad)


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def _short(size: int) -> str:
    return f"{size // 1000}k" if size >= 1000 and size % 1000 == 0 else f"{size:,}"


# --- intake --------------------------------------------------------------------------------

@dataclass
class IntakeTimes:
    raw: Timing = field(default_factory=Timing)
    engine: Timing = field(default_factory=Timing)
    batch: Timing = field(default_factory=Timing)   # one figure per batch, per row


def measure_intake(target: databases.Target, work: Path, per_round: int,
                   batch_rows: int) -> IntakeTimes:
    """The real chain's intake, one signal per transaction, against the raw engine on the
    same deployed chain (SpiffWorkflow with the engine's script engine, no database: create,
    deliver the start message, run to the first wait, save to JSON and load back)."""
    from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
    from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition

    from engine import chain, users
    from engine.chain import intake, signal_batches
    from engine.context import build_context
    from engine.deployments import definition_for_start_message
    from engine.engine_steps import run_engine_steps
    from engine.serialization import dump_workflow, load_workflow
    from engine.settings import EngineSettings

    url = databases.fresh_url(target, "intake", work)
    cli(url, "init")
    ctx = chain.install(build_context(EngineSettings(database_url=url, embedded_worker=False)))
    result = IntakeTimes()
    try:
        with ctx.sessionmaker.begin() as session:
            token = users.create_token(ctx, session, org_slug="woonbron", label="bench").token
        with ctx.sessionmaker.begin() as session:
            actor = users.actor_for_token(session, token)
            definition = definition_for_start_message(session, intake.START_MESSAGE)
            assert actor is not None and definition is not None
            cached = ctx.specs.get(session, definition.id)
        counter = iter(range(10**9))

        def raw_signal() -> None:
            number = next(counter)
            payload = {"case_number": f"RAW-{number}", "municipality": "dordrecht",
                       "corporation": "woonbron", "arrears_amount": 812.5, "arrears_months": 2,
                       "monthly_rent": 640.0, "crisis": False, "warm_handover": False,
                       "duplicate": False, "repeat": False, "arrears_increased": False,
                       "known_sdd_trajectory": False, "reopened": False,
                       "received_on": "2026-11-30"}
            workflow = BpmnWorkflow(cached.spec, cached.subprocess_specs,
                                    script_engine=ctx.script_engine)
            run_engine_steps(workflow)
            workflow.send_event(BpmnEvent(MessageEventDefinition(intake.START_MESSAGE),
                                          payload=payload, correlations={
                                              "case_key": {"case_number": f"RAW-{number}"}}))
            run_engine_steps(workflow)
            if not workflow.get_tasks(manual=True):
                raise AssertionError("raw intake: no user task after the start message")
            load_workflow(dump_workflow(workflow), cached.spec, cached.subprocess_specs)

        def engine_signal() -> None:
            number = next(counter)
            with ctx.sessionmaker.begin() as session:
                done = intake.report_signal(ctx, session, actor, signal(f"E-{number}", number))
            if not done.created:
                raise AssertionError("engine intake: no case created")

        def timed(run: Callable[[], None], into: Timing, n: int) -> None:
            gc.collect()
            db0 = databases.server_cpu_seconds(ctx.db)
            for _ in range(n):
                cpu, wall = time.process_time(), time.perf_counter()
                run()
                into.wall.append(ms(time.perf_counter() - wall))
                into.cpu.append(ms(time.process_time() - cpu))
            into.db_cpu.append(ms(databases.server_cpu_seconds(ctx.db) - db0) / n)

        for _ in range(5):  # warm both
            raw_signal()
            engine_signal()
        for _ in range(ROUNDS):
            timed(raw_signal, result.raw, per_round)
            timed(engine_signal, result.engine, per_round)
            rows = [signal(f"B-{next(counter)}", n) for n in range(batch_rows // ROUNDS)]
            gc.collect()
            cpu, wall = time.process_time(), time.perf_counter()
            db0 = databases.server_cpu_seconds(ctx.db)
            results = signal_batches.report_batch(ctx, actor, rows)
            result.batch.wall.append(ms(time.perf_counter() - wall) / len(rows))
            result.batch.cpu.append(ms(time.process_time() - cpu) / len(rows))
            result.batch.db_cpu.append(ms(databases.server_cpu_seconds(ctx.db) - db0)
                                       / len(rows))
            if sum(1 for r in results if r.status == "created") != len(rows):
                raise AssertionError("batch intake: not every row created a case")
        return result
    finally:
        ctx.close()


def intake_table(found: IntakeTimes, verdicts: Verdicts) -> list[str]:
    raw_wall, raw_cpu = median(found.raw.wall), median(found.raw.cpu)
    rows = [["per signal (median)", "wall", "app CPU", "DB CPU", "÷ raw wall",
             "÷ raw CPU (app+DB)", "target ≤ 3× (wall)"]]
    for label, timing in (("raw engine, save+load (real chain)", found.raw),
                          ("engine path, one signal per transaction", found.engine),
                          ("batch path (report_batch), per row", found.batch)):
        wall, cpu = median(timing.wall), median(timing.cpu) + mean(timing.db_cpu)
        ratio = wall / raw_wall
        verdict = "—"
        if timing is not found.raw:
            ok = ratio <= INTAKE_OVER_RAW
            verdict = "met" if ok else "MISSED"
            verdicts.add(ok, f"intake {label}: {ratio:.1f}× raw (wall), {cpu / raw_cpu:.1f}× "
                             "(CPU)")
        rows.append([label, f"{wall:.2f} ms", f"{median(timing.cpu):.2f} ms",
                     f"{mean(timing.db_cpu):.2f} ms", f"{ratio:.1f}×", f"{cpu / raw_cpu:.1f}×",
                     verdict])
    return ([f"Intake on PostgreSQL, {len(found.engine.wall)} signals per path in {ROUNDS} "
             f"alternating rounds ({len(found.batch.wall)} batches); {load_average()}:"]
            + _table(rows)
            + ["  raw = SpiffWorkflow on the deployed chain with the engine's script engine, "
               "start message delivered, run to the first wait, serialize_json + "
               "deserialize_json; app CPU = this process (median), DB CPU = PostgreSQL's "
               "server (/proc, mean per signal); the raw engine has no database.", ""])


# --- several processes: ketenflow serve and ketenflow worker ----------------------------------

def _spawn_worker(url: str, log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as sink:
        return subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
            [ketenflow_command(), "worker"], env=server_env(url), cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=sink)


def load_test(site: OpenSite, work: Path, clients: int, per_client: int,
              verdicts: Verdicts) -> list[str]:
    server = Server(site.url, work / "serve-scale.log")
    timer_workers: list[subprocess.Popen[bytes]] = []
    times: list[float] = []
    failures: list[str] = []
    try:
        server.start()
        timer_workers = [_spawn_worker(site.url, work / f"worker{n}.log") for n in range(2)]
        paths = [r for r in site.requests if r.who in ("api", TEAM)]

        def drive(number: int) -> None:
            client = Client(server.port)
            try:
                status, _headers, _raw = client.page(
                    "POST", "/login", {"username": TEAM, "password": PASSWORD})
                if status not in (302, 303):
                    failures.append(f"login {status}")
                    return
                for i in range(per_client):
                    request = paths[(i + number) % len(paths)]
                    t = time.perf_counter()
                    if request.who == "api":
                        status, _body = client.call("GET", request.path, site.token)
                    else:
                        status, _headers, _raw = client.page("GET", request.path)
                    times.append(ms(time.perf_counter() - t))
                    if status != 200:
                        failures.append(f"{request.name} {status}")
            finally:
                client.close()

        cpu0 = server.cpu_seconds()
        wall0 = time.perf_counter()
        threads = [threading.Thread(target=drive, args=(n,)) for n in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - wall0
        cpu = server.cpu_seconds() - cpu0
        web = server.workers()
        rss = {pid: rss_mb(pid) for pid in web}
        workers_rss = [rss_mb(p.pid) for p in timer_workers]
        alive = [p.poll() is None for p in timer_workers]
        sandboxes = [rss_mb(pid) for w in web for pid in _children(w)
                     if "engine.sandbox.script_host" in command_of(pid)]
    finally:
        for process in timer_workers:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        server.stop()
    if failures:
        raise AssertionError(f"load test: {len(failures)} failed: {failures[:5]}")
    worst = max(rss.values())
    verdicts.add(worst <= RSS_MB, f"RSS per web worker after the load test: max {worst:.0f} MB")
    count = len(times)
    return [
        f"Several processes on PostgreSQL @{site.size:,} open cases: ketenflow serve (2 web "
        f"workers) + 2 ketenflow worker processes ({sum(alive)} still running at the end); "
        f"{clients} clients at once, {count} requests (lists and searches, pages and API); "
        f"{load_average()}:",
        f"  round trip p95 {p95(times):.1f} ms, median {median(times):.1f} ms; "
        f"{count / wall:.0f} requests/s; server CPU {ms(cpu) / count:.1f} ms per request "
        "(master + web workers, time on a CPU from /proc)",
        "  RSS per web worker after the load test (VmRSS of the real processes in /proc): "
        + ", ".join(f"{v:.0f} MB" for v in rss.values())
        + f" (target ≤ {RSS_MB:g} MB: {'met' if worst <= RSS_MB else 'MISSED'}); "
        "timer workers " + ", ".join(f"{v:.0f} MB" for v in workers_rss)
        + ("; script sandboxes " + ", ".join(f"{v:.0f} MB" for v in sandboxes)
           if sandboxes else ""),
        ""]


def _children(pid: int) -> list[int]:
    from bench.http_path import children
    return children(pid)


# --- the run -------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000],
                        metavar="N", help="open cases per database (default 1000 10000 100000)")
    parser.add_argument("--requests", type=int, default=50,
                        help="timed requests per request kind and size (default 50)")
    parser.add_argument("--intake-signals", type=int, default=200,
                        help="timed signals per intake path (default 200)")
    parser.add_argument("--batch-rows", type=int, default=500,
                        help="rows of the batch path, over the rounds (default 500)")
    parser.add_argument("--load-requests", type=int, default=150,
                        help="requests per client in the load test (4 clients; default 150)")
    parser.add_argument("--dashboard-cases", type=int, default=dashboard_path.CASES,
                        help="finished cases for the dashboard (0 skips it; default "
                             f"{dashboard_path.CASES:,})")
    parser.add_argument("--dashboard-requests", type=int, default=30)
    parser.add_argument("--deep", type=int, default=DEEP_PAGES,
                        help=f"pages of 25 followed for the deep pages (default {DEEP_PAGES}; "
                             "the smallest size must have that many)")
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=["lists", "intake", "load", "dashboard"],
                        help="parts to leave out")
    args = parser.parse_args(argv)
    args.sizes = sorted(set(args.sizes))
    return args


def _hits(sites: list[Any], field: str) -> str:
    """How many generated households a search term matches at each size."""
    return " / ".join(f"{getattr(site.generated, field):,} @{site.size:,}" for site in sites)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    targets = [t for t in databases.targets() if t.kind == "postgresql"]
    if not targets:
        print("bench-scale runs on PostgreSQL: set KETENFLOW_BENCH_PG_URL (e.g. "
              "postgresql+psycopg://postgres@127.0.0.1/ketenflow_bench_scale)", file=sys.stderr)
        return 2
    target = targets[0]
    started = time.perf_counter()
    work = databases.workdir()
    verdicts = Verdicts()
    from sqlalchemy import create_engine
    probe = create_engine(target.pg_url or "")
    with probe.connect() as connection:
        settings = {name: connection.execute(text(f"SHOW {name}")).scalar()
                    for name in ("server_version", "synchronous_commit", "fsync",
                                 "shared_buffers")}
    probe.dispose()
    out = [
        "Ketenflow bench-scale: national volume on PostgreSQL (bench/scale.py)",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores "
        f"(shared), Python {platform.python_version()}, SpiffWorkflow "
        f"{version('SpiffWorkflow')}, {revision()}",
        f"PostgreSQL {settings['server_version']}: synchronous_commit="
        f"{settings['synchronous_commit']}, fsync={settings['fsync']}, "
        f"shared_buffers={settings['shared_buffers']} (every "
        "commit waits for its WAL flush); SQLite is not part of this run (make bench states "
        "its journal_mode=WAL, synchronous=NORMAL).",
        f"start: {load_average()}", ""]
    for line in out:
        log(line)
    sections: list[str] = []
    sites: list[OpenSite] = []
    try:
        if "lists" not in args.skip or "load" not in args.skip:
            for size in args.sizes:
                log(f"generating {size:,} open cases directly into the tables (COPY and "
                    "INSERT … SELECT from real cases; not through the engine)")
                sites.append(OpenSite(target, work, size, args.deep))
        if "lists" not in args.skip:
            for site in sites:
                site.check()
            timings: dict[tuple[str, int], Timing] = {}
            per_round = max(1, args.requests // ROUNDS)
            log(f"lists: {len(sites[0].requests)} request kinds × {len(sites)} sizes, "
                f"{ROUNDS} alternating rounds of {per_round}")
            for number in range(ROUNDS):
                for site in sites:
                    site.measure(timings, per_round, 3 if number == 0 else 1)
                log(f"  round {number + 1} done; {load_average()}")
            sections += [
                "Open cases generated directly into the tables (not through the engine): "
                + ", ".join(f"{s.size:,} in {s.generated.seconds:.0f} s" for s in sites)
                + f"; {TEAM} = social team Dordrecht, {SDD} = SDD, {MZO} = Meldpunt. "
                f"Wall and CPU per request are the app in this process (Flask test client); "
                f"{args.requests} requests per kind and size.",
                f"Searches: number prefix {sites[0].generated.number_prefix!r}, name "
                f"{sites[0].generated.name!r} ({_hits(sites, 'name_hits')} households), "
                f"address {sites[0].generated.address!r} "
                f"({_hits(sites, 'address_hits')} households), no match {NO_MATCH!r}.", ""]
            sections += lists_table(sites, timings, verdicts)
            print("\n".join(sections[-40:]), file=sys.stderr)
        if "load" not in args.skip:
            log("load test: ketenflow serve + ketenflow worker on the largest database")
            sections += load_test(sites[-1], work, 4, args.load_requests, verdicts)
    finally:
        for site in sites:
            site.close()
    if "intake" not in args.skip:
        log("intake: raw engine vs engine path vs batch, alternating rounds")
        found = measure_intake(target, work, max(1, args.intake_signals // ROUNDS),
                               args.batch_rows)
        sections += intake_table(found, verdicts)
    if "dashboard" not in args.skip and args.dashboard_cases:
        log(f"dashboard: {args.dashboard_cases:,} finished cases generated directly into the "
            "tables")
        url = databases.fresh_url(target, "dashboard", work)
        found_d = dashboard_path.measure_dashboard(url, args.dashboard_cases,
                                                   args.dashboard_requests, log)
        worst = dashboard_path.worst(found_d)
        verdicts.add(worst < dashboard_path.BUDGET_MS,
                     f"dashboard @{args.dashboard_cases:,} finished cases: worst p95 "
                     f"{worst:.0f} ms")
        sections += [f"{load_average()}:"] + dashboard_path.lines("PostgreSQL", found_d) + [""]
    sections += [f"Targets met ({len(verdicts.met)}):"] + [f"  met     {v}" for v in verdicts.met]
    sections += [f"Targets missed ({len(verdicts.missed)}):"] + [
        f"  MISSED  {v}" for v in verdicts.missed]
    sections.append(f"total {time.perf_counter() - started:.0f} s; end: {load_average()}")
    text_ = "\n".join(out + sections) + "\n"
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    (results / "scale-latest.txt").write_text(text_, encoding="utf-8")
    print(text_, end="")
    return 0 if not verdicts.missed else 1


if __name__ == "__main__":
    sys.exit(main())
