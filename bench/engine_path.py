"""Ketenflow through the engine's service functions, one transaction per step.

Each step is what one web request does: ``with ctx.sessionmaker.begin() as s: <service call>``
(authentication excluded). The lifecycle (c) is the README's: start, find the task, complete
Assess, complete Advise (the task that completion names as made ready, ``next_task_id``). An
open task is taken and completed in one step (``take_open``, the API's ``"claim": true``), so
there is no claim step in it. Claiming is timed on its own (claim, then an untimed release).

SQL statements are counted with a ``before_cursor_execute`` listener and transactions with a
``commit`` listener on the SQLAlchemy engine.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, func, select, text

from bench import databases
from bench.common import (
    ADVISE_DATA,
    ASSESS_DATA,
    PROCESS_ID,
    START_DATA,
    Lifecycles,
    check_end_data,
    gc_collected,
    ms,
    now,
)
from bench.people import People, prepare
from engine import chain, inbox, instances, tasks
from engine.access import Actor
from engine.context import EngineContext, build_context
from engine.models import ProcessInstance
from engine.settings import EngineSettings


class Counter:
    """Statements and commits seen on an engine, with the text of every statement kept."""

    def __init__(self) -> None:
        self.statements = 0
        self.commits = 0
        self.keep = False
        self.log: list[str] = []
        self.driver_seconds = 0.0
        self._started = 0.0

    def attach(self, ctx: EngineContext) -> None:
        event.listen(ctx.db, "before_cursor_execute", self._on_statement)
        event.listen(ctx.db, "after_cursor_execute", self._after_statement)
        event.listen(ctx.db, "commit", self._on_commit)

    def _on_statement(self, _conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        self.statements += 1
        if self.keep:
            self.log.append(" ".join(statement.split()))
        self._started = now()

    def _after_statement(self, *_args: Any) -> None:
        self.driver_seconds += now() - self._started

    def _on_commit(self, _conn: Any) -> None:
        self.commits += 1
        if self.keep:
            self.log.append("COMMIT")


@dataclass
class EngineResult(Lifecycles):
    claim: list[float] = field(default_factory=list)   # extra: not part of (c)
    statements: list[int] = field(default_factory=list)
    commits: list[int] = field(default_factory=list)
    driver: list[float] = field(default_factory=list)  # ms in cursor.execute per lifecycle
    step_statements: dict[str, int] = field(default_factory=dict)
    api_statements: int = 0
    api_commits: int = 0

    def extend(self, other: Lifecycles) -> None:
        super().extend(other)
        assert isinstance(other, EngineResult)
        for name in ("claim", "statements", "commits", "driver"):
            getattr(self, name).extend(getattr(other, name))
        self.step_statements = other.step_statements or self.step_statements


class EnginePath:
    def __init__(self, url: str) -> None:
        self.ctx = chain.install(build_context(EngineSettings(database_url=url,
                                                              embedded_worker=False)))
        self.counter = Counter()
        self.counter.attach(self.ctx)
        self.people: People | None = None

    def close(self) -> None:
        self.ctx.close()

    def prepare(self) -> People:
        self.people = prepare(self.ctx)
        return self.people

    # --- one step = one transaction -----------------------------------------------------

    def start(self, owner: Actor) -> int:
        with self.ctx.sessionmaker.begin() as s:
            view = instances.start_instance(self.ctx, s, owner, PROCESS_ID, dict(START_DATA))
        if view.status != "running" or "Task_Assess" not in view.current_elements:
            raise AssertionError(f"engine: started instance is {view.status} at "
                                 f"{view.current_elements}")
        return view.id

    def find(self, team: Actor, instance_id: int, bpmn_id: str) -> str:
        with self.ctx.sessionmaker.begin() as s:
            page = inbox.inbox(self.ctx, s, team, queue="team", sort="created", limit=50,
                               summary=False)
        for item in (i.task for i in page.items):
            if item.instance_id == instance_id and item.bpmn_id == bpmn_id:
                return item.id
        raise AssertionError(f"engine: {bpmn_id} of instance {instance_id} not in the queue")

    def claim(self, team: Actor, task_id: str) -> None:
        with self.ctx.sessionmaker.begin() as s:
            tasks.claim_task(self.ctx, s, team, task_id)

    def release(self, team: Actor, task_id: str) -> None:
        with self.ctx.sessionmaker.begin() as s:
            tasks.release_task(self.ctx, s, team, task_id)

    def complete(self, team: Actor, task_id: str, data: dict[str, Any]) -> Any:
        with self.ctx.sessionmaker.begin() as s:
            return tasks.complete_task(self.ctx, s, team, task_id, dict(data), take_open=True)

    def lifecycle(self) -> tuple[dict[str, float], dict[str, int], int]:
        """One whole case; returns seconds and statements per step, and the instance id."""
        assert self.people is not None
        team, owner = self.people.team, self.people.owner
        times: dict[str, float] = {}
        counts: dict[str, int] = {}
        c = self.counter

        def mark(name: str, t: float, n: int) -> tuple[float, int]:
            t2, n2 = now(), c.statements
            times[name], counts[name] = t2 - t, n2 - n
            return t2, n2

        t, n = now(), c.statements
        instance_id = self.start(owner)
        t, n = mark("start", t, n)
        task_id = self.find(team, instance_id, "Task_Assess")
        t, n = mark("find", t, n)
        result = self.complete(team, task_id, ASSESS_DATA)
        t, n = mark("assess", t, n)
        if result.next_task_id is None:
            raise AssertionError("engine: completing Assess made no task ready for the team")
        done = self.complete(team, result.next_task_id, ADVISE_DATA)
        mark("advise", t, n)
        if done.instance_status != "completed":
            raise AssertionError(f"engine: instance ended {done.instance_status}")
        return times, counts, instance_id

    def check(self, instance_id: int) -> None:
        assert self.people is not None
        with self.ctx.sessionmaker.begin() as s:
            view = instances.get_instance(self.ctx, s, self.people.admin, instance_id)
        if view.status != "completed":
            raise AssertionError(f"engine: instance {instance_id} is {view.status}")
        check_end_data(view.data, "engine path")

    def cpu_seconds(self) -> float:
        """CPU so far of this process, its script sandboxes and the PostgreSQL server."""
        from bench.http_path import children, command_of, cpu_seconds

        sandboxes = sum(cpu_seconds(pid) for pid in children(os.getpid())
                        if "engine.sandbox.script_host" in command_of(pid))
        return time.process_time() + sandboxes + databases.server_cpu_seconds(self.ctx.db)

    def measure(self, n: int, warmup: int) -> EngineResult:
        result = EngineResult()
        for _ in range(warmup):
            _times, _counts, instance_id = self.lifecycle()
        self.check(instance_id)
        with gc_collected():
            cpu0 = self.cpu_seconds()
            for _ in range(n):
                s0, k0 = self.counter.statements, self.counter.commits
                d0 = self.counter.driver_seconds
                times, counts, instance_id = self.lifecycle()
                result.statements.append(self.counter.statements - s0)
                result.commits.append(self.counter.commits - k0)
                result.driver.append(ms(self.counter.driver_seconds - d0))
                result.add(times["start"], times["assess"], times["advise"],
                           sum(times.values()))
                result.step_statements = counts
            result.cpu.append(ms(self.cpu_seconds() - cpu0) / n)
        self.check(instance_id)
        result.claim = self.measure_claim(n, warmup)
        return result

    def measure_claim(self, n: int, warmup: int) -> list[float]:
        """Claim an open task (timed), release it (untimed), n times; not part of (c)."""
        assert self.people is not None
        team = self.people.team
        instance_id = self.start(self.people.owner)
        task_id = self.find(team, instance_id, "Task_Assess")
        times: list[float] = []
        for _ in range(warmup):
            self.claim(team, task_id)
            self.release(team, task_id)
        with gc_collected():
            for _ in range(n):
                t = now()
                self.claim(team, task_id)
                times.append(ms(now() - t))
                self.release(team, task_id)
        self.complete(team, task_id, ASSESS_DATA)
        self.complete(team, self.find(team, instance_id, "Task_Advise"), ADVISE_DATA)
        self.check(instance_id)
        return times

    def count_api_statements(self, result: EngineResult) -> None:
        """Statements of one lifecycle through the Flask app in this process (auth included)."""
        from bench.http_path import api_lifecycle
        from webui import create_app

        assert self.people is not None
        app = create_app({"TESTING": True}, ctx=self.ctx)
        client = app.test_client()

        def call(method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
            response = client.open(path, method=method, json=body,
                                   headers={"Authorization": f"Bearer {token}"})
            return response.status_code, response.get_json(silent=True)

        api_lifecycle(call, self.people.team_token, self.people.owner_token)
        s0, k0 = self.counter.statements, self.counter.commits
        api_lifecycle(call, self.people.team_token, self.people.owner_token)
        result.api_statements = self.counter.statements - s0
        result.api_commits = self.counter.commits - k0

    # --- filling for the list measures --------------------------------------------------

    def count_instances(self) -> int:
        with self.ctx.sessionmaker.begin() as s:
            return int(s.scalar(select(func.count()).select_from(ProcessInstance)) or 0)

    def fill_to(self, total: int, batch: int = 100) -> int:
        """Start instances (measure (a) alone) until ``total`` exist; batched transactions."""
        assert self.people is not None
        have = self.count_instances()
        while have < total:
            size = min(batch, total - have)
            with self.ctx.sessionmaker.begin() as s:
                for _ in range(size):
                    instances.start_instance(self.ctx, s, self.people.owner, PROCESS_ID,
                                             dict(START_DATA))
            have += size
        if self.ctx.db.dialect.name == "postgresql":
            # What autovacuum does after a bulk load; the list plans then see real row counts.
            with self.ctx.db.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        return have

