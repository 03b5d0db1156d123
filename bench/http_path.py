"""Ketenflow through the HTTP API as in production: ``ketenflow serve`` (gunicorn, 2 workers).

The server runs as a subprocess on a fresh database (``ketenflow init --no-deploy`` then
``ketenflow deploy bench/workload``; users and tokens through the engine). One sequential
client on loopback uses ``http.client`` with a keep-alive connection (gunicorn's sync workers
answer ``Connection: close``, so ``http.client`` reconnects; the count is reported). The API is
called with bearer tokens; the caseworker's HTML inbox with the session cookie of a login
through the real form (``POST /login``, with an ``Origin`` header as a browser sends).
The server sets no ``Server-Timing`` header and ``ketenflow serve`` fixes gunicorn's access-log
format (no ``%(D)s``), so list times are client-side round trips; beside them stand the server
CPU per request and the app's own time in-process (Flask test client on the same database).
Server CPU comes from ``/proc`` (each thread's time on a CPU, ``cpu_seconds``) of the master
and every process under it (workers and their script sandboxes), RSS from ``/proc/<pid>/status``.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench.common import (
    ADVISE_DATA,
    ASSESS_DATA,
    PASSWORD,
    PROCESS_ID,
    ROOT,
    START_DATA,
    TEAM_USER,
    Lifecycles,
    check_end_data,
    gc_collected,
    median,
    ms,
    now,
    p95,
    percentile,
)

API = "/api/v1"
Call = Callable[..., tuple[int, Any]]
INBOX_PAGE = "/inbox?" + urlencode({"queue": "team"})   # the team queue, 25 a page
INBOX_PAGE_SIZE = 25
#: One signing key for all gunicorn workers: without KETENFLOW_SECRET_KEY every worker makes
#: its own, and a session cookie from one worker is refused by the other.
SECRET_KEY = "bench-" + secrets.token_hex(16)
USER_AGENT = "ketenflow-bench"
ROW = re.compile(rb'<tr class="row-')


# --- the server ------------------------------------------------------------------------------

def ketenflow_command() -> str:
    beside = Path(sys.executable).parent / "ketenflow"
    if beside.exists():
        return str(beside)
    found = shutil.which("ketenflow")
    if found is None:
        raise RuntimeError("the ketenflow command is not installed (run make install)")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"KETENFLOW_DATABASE_URL": url, "KETENFLOW_EMBEDDED_WORKER": "false"})
    env.setdefault("KETENFLOW_SECRET_KEY", SECRET_KEY)
    # The console script puts .venv/bin first on sys.path, not the repository; put the
    # repository first so ``webui`` and ``engine`` import as this checkout's regular packages
    # (a stale editable install can otherwise see them as namespace packages).
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def cli(url: str, *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [ketenflow_command(), *args], env=server_env(url), cwd=ROOT, capture_output=True,
        text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ketenflow {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


class Server:
    """``ketenflow serve`` on a free loopback port; stopped with SIGTERM to its own pid."""

    def __init__(self, url: str, log_path: Path) -> None:
        self.url = url
        self.port = free_port()
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
            [ketenflow_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", "2"],
            env=server_env(self.url), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("ketenflow serve exited:\n" + self.log_tail())
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", f"{API}/health")
                if conn.getresponse().status == 200:
                    conn.close()
                    if len(self.workers()) >= 2:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"ketenflow serve did not answer in {timeout:g} s:\n"
                           + self.log_tail())

    def _log_lines(self) -> list[str]:
        try:
            return self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ["(no log)"]

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self._log_lines()[-lines:])

    def first_error(self, lines: int = 40) -> str:
        """The log from its first traceback on (what went wrong first), else its tail."""
        text = self._log_lines()
        tail = max(0, len(text) - lines)
        start = next((i for i, line in enumerate(text) if "Traceback" in line), tail)
        return "\n".join(text[start:start + lines])

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def workers(self) -> list[int]:
        return children(self.pid)

    def tree(self) -> list[int]:
        found, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children(pid))
        return found

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.tree())


def children(pid: int) -> list[int]:
    found: list[int] = []
    task_dir = Path(f"/proc/{pid}/task")
    try:
        for task in task_dir.iterdir():
            text = (task / "children").read_text()
            found.extend(int(p) for p in text.split())
        return sorted(set(found))
    except OSError:
        pass
    for entry in Path("/proc").iterdir():  # no /proc/.../children: scan the parent pids
        if entry.name.isdigit() and stat_fields(int(entry.name))[1:2] == [str(pid)]:
            found.append(int(entry.name))
    return found


def stat_fields(pid: int) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name (state is [0], ppid [1])."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return raw[raw.rindex(")") + 2:].split()


def cpu_seconds(pid: int) -> float:
    """The CPU time of ``pid`` so far: the nanoseconds on a CPU of each of its threads
    (``/proc/<pid>/task/*/schedstat``), else utime + stime from ``/proc/<pid>/stat``.

    Both count the same time, but stat's in clock ticks of 10 ms: a round of ten 20 ms
    lifecycles would be read to ±5 %.
    """
    try:
        return sum(int((task / "schedstat").read_text().split()[0])
                   for task in Path(f"/proc/{pid}/task").iterdir()) / 1e9
    except (OSError, ValueError, IndexError):
        pass
    fields = stat_fields(pid)
    if not fields:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


# --- the client ------------------------------------------------------------------------------

class Client:
    """One sequential HTTP/1.1 client with a keep-alive connection and a cookie jar."""

    def __init__(self, port: int) -> None:
        self.origin = f"http://127.0.0.1:{port}"
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.requests = 0
        self.connects = 0
        self.cookies: dict[str, str] = {}

    def send(self, method: str, path: str, headers: dict[str, str],
             payload: bytes | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
        headers = {"Connection": "keep-alive", "User-Agent": USER_AGENT, **headers}
        if self.conn.sock is None:
            self.connects += 1
        self.conn.request(method, path, body=payload, headers=headers)
        response = self.conn.getresponse()
        raw = response.read()
        self.requests += 1
        return response.status, response.headers, raw

    def call(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        status, _headers, raw = self.send(method, path, headers, payload)
        return status, json.loads(raw) if raw else None

    # --- the pages, as a browser uses them ----------------------------------------------

    def _keep_cookies(self, headers: http.client.HTTPMessage) -> None:
        for line in headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(line)
            for name, morsel in jar.items():
                if not morsel.value or morsel["max-age"] == "0" \
                        or "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def page(self, method: str, path: str, form: dict[str, str] | None = None
             ) -> tuple[int, http.client.HTTPMessage, bytes]:
        headers = {"Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        payload = None
        if method not in ("GET", "HEAD"):
            headers["Origin"] = self.origin  # what a browser sends; webui.csrf checks it
        if form is not None:
            payload = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        status, response_headers, raw = self.send(method, path, headers, payload)
        self._keep_cookies(response_headers)
        return status, response_headers, raw

    def login(self, username: str, password: str) -> None:
        """Sign in through the login form; the session cookie is kept for later pages."""
        status, headers, raw = self.page("POST", "/login", {
            "username": username, "password": password, "next": INBOX_PAGE})
        if status != 303 or not self.cookies:
            raise AssertionError(f"HTTP login as {username}: status {status}, cookies "
                                 f"{sorted(self.cookies)}: {raw[:300]!r}")
        where = urlsplit(headers.get("Location", ""))
        if f"{where.path}?{where.query}" != INBOX_PAGE:
            raise AssertionError(f"HTTP login: redirected to {headers.get('Location')}")

    def close(self) -> None:
        self.conn.close()


def _expect(status: int, body: Any, wanted: int, what: str) -> Any:
    if status != wanted:
        raise AssertionError(f"HTTP {what}: status {status}, expected {wanted}: {body}")
    return body


def _find(call: Call, token: str, instance_id: int, bpmn_id: str) -> str:
    body = _expect(*call("GET", f"{API}/tasks?queue=team&limit=50", token), 200, "inbox")
    for item in body["items"]:
        if item["instance_id"] == instance_id and item["bpmn_id"] == bpmn_id:
            return str(item["id"])
    raise AssertionError(f"HTTP: {bpmn_id} of instance {instance_id} not in the team queue")


def api_lifecycle(call: Call, team_token: str, owner_token: str) -> tuple[dict[str, float], int]:
    """One whole case through the API; seconds per step and the instance id.

    (c) as the README defines it: start, find, complete Assess, complete Advise (the task the
    first completion names as made ready for the caller, ``next_task_id``). An open task is
    taken and completed in one call (``"claim": true``), so there is no claim request in it.
    """
    times: dict[str, float] = {}
    t = now()
    started = _expect(*call("POST", f"{API}/instances", owner_token,
                            {"process_id": PROCESS_ID, "data": dict(START_DATA)}), 201, "start")
    t2 = now()
    times["start"], t = t2 - t, t2
    instance_id = int(started["id"])
    if "Task_Assess" not in started["current_elements"]:
        raise AssertionError(f"HTTP: started instance is at {started['current_elements']}")
    task_id = _find(call, team_token, instance_id, "Task_Assess")
    t2 = now()
    times["find"], t = t2 - t, t2
    assessed = _expect(*call("POST", f"{API}/tasks/{task_id}/complete", team_token,
                             {"data": dict(ASSESS_DATA), "claim": True}), 200, "complete Assess")
    t2 = now()
    times["assess"], t = t2 - t, t2
    next_id = assessed["next_task_id"]
    if next_id is None:
        raise AssertionError("HTTP: completing Assess named no next task")
    done = _expect(*call("POST", f"{API}/tasks/{next_id}/complete", team_token,
                         {"data": dict(ADVISE_DATA), "claim": True}), 200, "complete Advise")
    times["advise"] = now() - t
    if done["instance_status"] != "completed":
        raise AssertionError(f"HTTP: instance ended {done['instance_status']}")
    return times, instance_id


@dataclass
class ListResult:
    name: str
    instances: int
    times: list[float] = field(default_factory=list)
    cpu_ms: float = float("nan")   # server CPU per request (master+workers), HTTP only
    http: bool = True              # False: the app in-process, no gunicorn and no socket
    inbox: bool = False            # a caseworker's inbox (API or page): the 50 ms budget

    @property
    def median(self) -> float:
        return median(self.times)

    @property
    def p95(self) -> float:
        return p95(self.times)


@dataclass
class HttpResult(Lifecycles):
    claim: list[float] = field(default_factory=list)   # extra: not part of (c)
    server_cpu_rounds: list[float] = field(default_factory=list)   # ms per lifecycle, a round
    db_cpu_rounds: list[float] = field(default_factory=list)   # the PostgreSQL server; 0 on SQLite
    #: the raw engine's samples taken in the round beside each of the above
    raw_rounds: list[Lifecycles] = field(default_factory=list)
    connects: int = 0
    requests: int = 0
    worker_rss_mb: list[float] = field(default_factory=list)
    master_rss_mb: float = 0.0
    sandbox_rss_mb: list[float] = field(default_factory=list)
    lists: list[ListResult] = field(default_factory=list)

    @property
    def cpu_ms_per_lifecycle(self) -> float:
        """The server's CPU per lifecycle (median of the rounds)."""
        return median(self.server_cpu_rounds) if self.server_cpu_rounds else 0.0

    @property
    def db_cpu_ms_per_lifecycle(self) -> float:
        return median(self.db_cpu_rounds) if self.db_cpu_rounds else 0.0

    @property
    def raw_cpu_rounds(self) -> list[float]:
        """The raw engine's CPU per lifecycle (median) in each round beside the API's."""
        return [median(r.cpu) for r in self.raw_rounds]

    def raw_beside(self) -> Lifecycles:
        """All the raw samples taken between the API's rounds, as one set."""
        joined = Lifecycles()
        for one in self.raw_rounds:
            joined.extend(one)
        return joined

    def round_ratios(self) -> list[float]:
        """Each round's CPU per lifecycle (``cpu``: server and database) ÷ the raw engine's
        beside it: their spread shows how far the machine's noise moves the ratio."""
        return [cpu / raw for cpu, raw in zip(self.cpu, self.raw_cpu_rounds, strict=True)
                if raw > 0]

    @property
    def cpu_ratio(self) -> float:
        """The lifecycle's CPU ÷ the raw engine's: the median of the rounds' own ratios."""
        ratios = self.round_ratios()
        return median(ratios) if ratios else float("nan")

    def cpu_ratio_spread(self) -> str:
        """The rounds' ratios as quartiles and extremes, e.g. ``24.1× (21.0–26.3×, 17–31×)``."""
        ratios = self.round_ratios()
        if not ratios:
            return "—"
        return (f"{self.cpu_ratio:.1f}× (quartiles {percentile(ratios, 25):.1f}–"
                f"{percentile(ratios, 75):.1f}×, {len(ratios)} rounds "
                f"{min(ratios):.0f}–{max(ratios):.0f}×)")

    @property
    def requests_per_lifecycle(self) -> float:
        return self.requests / len(self.lifecycle) if self.lifecycle else 0.0


def check_instance(client: Client, admin_token: str, instance_id: int) -> None:
    body = _expect(*client.call("GET", f"{API}/instances/{instance_id}", admin_token), 200,
                   "get instance")
    if body["status"] != "completed":
        raise AssertionError(f"HTTP: instance {instance_id} is {body['status']}")
    check_end_data(body.get("data"), "HTTP path")


def measure_lifecycles(server: Server, client: Client, team_token: str, owner_token: str,
                       admin_token: str, n: int, warmup: int, result: HttpResult,
                       db_cpu: Callable[[], float] = lambda: 0.0) -> None:
    """One round of ``n`` lifecycles through the API, added to ``result`` (times, and the CPU
    per lifecycle of the round); ``db_cpu`` gives the database server's CPU seconds so far
    (the whole PostgreSQL server; SQLite works inside the server's workers)."""
    instance_id = None
    for _ in range(warmup):
        _times, instance_id = api_lifecycle(client.call, team_token, owner_token)
    if instance_id is not None:
        check_instance(client, admin_token, instance_id)
    requests0, connects0 = client.requests, client.connects
    with gc_collected():
        cpu0, db0 = server.cpu_seconds(), db_cpu()
        for _ in range(n):
            times, instance_id = api_lifecycle(client.call, team_token, owner_token)
            result.add(times["start"], times["assess"], times["advise"], sum(times.values()))
        cpu1, db1 = server.cpu_seconds(), db_cpu()
    result.server_cpu_rounds.append(ms(cpu1 - cpu0) / n)
    result.db_cpu_rounds.append(ms(db1 - db0) / n)
    result.cpu.append(result.server_cpu_rounds[-1] + result.db_cpu_rounds[-1])
    result.requests += client.requests - requests0
    result.connects += client.connects - connects0
    check_instance(client, admin_token, instance_id)


def measure_claim(client: Client, team_token: str, owner_token: str, admin_token: str,
                  n: int, warmup: int) -> list[float]:
    """POST .../claim on an open task (timed), then .../release (untimed); not part of (c)."""
    started = _expect(*client.call("POST", f"{API}/instances", owner_token,
                                   {"process_id": PROCESS_ID, "data": dict(START_DATA)}),
                      201, "start")
    instance_id = int(started["id"])
    task_id = _find(client.call, team_token, instance_id, "Task_Assess")
    times: list[float] = []
    with gc_collected():
        for i in range(warmup + n):
            t = now()
            status, body = client.call("POST", f"{API}/tasks/{task_id}/claim", team_token)
            if i >= warmup:
                times.append(ms(now() - t))
            _expect(status, body, 200, "claim")
            _expect(*client.call("POST", f"{API}/tasks/{task_id}/release", team_token), 200,
                    "release")
    _expect(*client.call("POST", f"{API}/tasks/{task_id}/claim", team_token), 200, "claim")
    _expect(*client.call("POST", f"{API}/tasks/{task_id}/complete", team_token,
                         {"data": dict(ASSESS_DATA)}), 200, "complete Assess")
    next_id = _find(client.call, team_token, instance_id, "Task_Advise")
    _expect(*client.call("POST", f"{API}/tasks/{next_id}/claim", team_token), 200, "claim")
    _expect(*client.call("POST", f"{API}/tasks/{next_id}/complete", team_token,
                         {"data": dict(ADVISE_DATA)}), 200, "complete Advise")
    check_instance(client, admin_token, instance_id)
    return times


def record_memory(server: Server, result: HttpResult) -> None:
    workers = server.workers()
    result.master_rss_mb = rss_mb(server.pid)
    rss = [rss_mb(pid) for pid in workers]
    result.worker_rss_mb = [max(a, b) for a, b in zip(result.worker_rss_mb, rss, strict=False)] \
        if len(result.worker_rss_mb) == len(rss) else rss
    # A server that ran no script has no sandbox: keep what an earlier server showed.
    result.sandbox_rss_mb = [rss_mb(pid) for w in workers for pid in children(w)
                             if "engine.sandbox.script_host" in command_of(pid)] or \
        result.sandbox_rss_mb


#: (name, path, who, inbox): ``who`` is a token's owner, or "page" for the signed-in team
#: member's session cookie (the HTML page).
LISTS: tuple[tuple[str, str, str, bool], ...] = (
    ("instance list (process owner), API", f"{API}/instances?limit=50", "owner", False),
    ("instance list (team member), API", f"{API}/instances?limit=50", "team", False),
    ("task inbox, team queue, API", f"{API}/tasks?queue=team&limit=50", "team", True),
    ("inbox page, team queue (HTML, 25)", INBOX_PAGE, "page", True),
)
IN_PROCESS = " in-process"


def _get_list(client: Client, path: str, who: str, tokens: dict[str, str]
              ) -> tuple[int, Any]:
    if who == "page":
        status, _headers, raw = client.page("GET", path)
        return status, raw
    return client.call("GET", path, tokens[who])


def _check_list(name: str, status: int, body: Any) -> None:
    _expect(status, body if status != 200 else None, 200, name)
    if isinstance(body, bytes):
        rows = len(ROW.findall(body))
        if rows != INBOX_PAGE_SIZE:
            raise AssertionError(f"HTTP {name}: page has {rows} rows, not {INBOX_PAGE_SIZE}")
    elif len(body["items"]) != 50:
        raise AssertionError(f"HTTP {name}: page has {len(body['items'])} items, not 50")


def _warm_list(name: str, get: Callable[[], tuple[int, Any]], warmup: int) -> None:
    for _ in range(warmup):
        _check_list(name, *get())


def _time_list(result: ListResult, name: str, get: Callable[[], tuple[int, Any]],
               n: int) -> None:
    """``n`` timed requests of one list, each answer checked."""
    for _ in range(n):
        t = now()
        status, body = get()
        result.times.append(ms(now() - t))
        _check_list(name, status, body)


def measure_lists(server: Server, client: Client, tokens: dict[str, str], instances: int,
                  n: int, warmup: int) -> list[ListResult]:
    """Page 1 of every list, ``n`` sequential round trips each, with server CPU per request."""
    found = []
    for name, path, who, inbox in LISTS:
        result = ListResult(name, instances, inbox=inbox)

        def get(p: str = path, w: str = who) -> tuple[int, Any]:
            return _get_list(client, p, w, tokens)

        _warm_list(name, get, warmup)
        with gc_collected():
            cpu0 = server.cpu_seconds()
            _time_list(result, name, get, n)
            result.cpu_ms = ms(server.cpu_seconds() - cpu0) / n
        found.append(result)
    return found


class InProcessApp:
    """The web app in this process (Flask test client) on the bench database: the app's own
    time for the inbox API and page, without gunicorn, sockets or the client's parsing."""

    def __init__(self, ctx: Any, team_token: str) -> None:
        from webui import create_app

        self.app = create_app({"TESTING": True, "SECRET_KEY": SECRET_KEY}, ctx=ctx)
        self.client = self.app.test_client()
        self.team_token = team_token
        response = self.client.post("/login", data={"username": TEAM_USER,
                                                    "password": PASSWORD,
                                                    "next": INBOX_PAGE},
                                    headers={"Origin": "http://localhost"})
        if response.status_code != 303:
            raise AssertionError(f"in-process login: status {response.status_code}")

    def get(self, path: str, who: str) -> tuple[int, Any]:
        if who == "page":
            response = self.client.get(path, headers={"Accept": "text/html"})
            return response.status_code, response.get_data()
        response = self.client.get(path, headers={"Authorization": f"Bearer {self.team_token}"})
        return response.status_code, response.get_json(silent=True)

    def measure(self, instances: int, n: int, warmup: int) -> list[ListResult]:
        found = []
        for name, path, who, inbox in LISTS:
            if not inbox:
                continue
            result = ListResult(name + IN_PROCESS, instances, http=False, inbox=True)

            def get(p: str = path, w: str = who) -> tuple[int, Any]:
                return self.get(p, w)

            _warm_list(name, get, warmup)
            with gc_collected():
                _time_list(result, name, get, n)
            found.append(result)
        return found
