"""Running Ketenflow (issue 13, item 7): /metrics, JSON logs with a request id, readiness, the
worker's heartbeat, and the three processes of docker-compose.yml (PostgreSQL, ``ketenflow
serve`` without its embedded worker, ``ketenflow worker``) working together."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url

from engine import chain, deployments, heartbeat, logs
from engine.access import SYSTEM
from engine.clock import ManualClock
from engine.context import EngineContext, build_context
from engine.messages import LIVE_STATUSES
from engine.models import HumanTask, OutboxMail, ProcessInstance
from engine.sandbox.scripting import ScriptHost
from engine.settings import EngineSettings
from engine.worker import run_forever
from tests.casework import complete_claimed, report
from tests.conftest import PG_URL, ROOT
from tests.factories import make_user
from webui import create_app


@pytest.fixture
def app(ctx: EngineContext) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret"}, ctx=ctx)


def _instance_of(ctx: EngineContext, case_number: str) -> int:
    with ctx.sessionmaker() as session:
        return session.scalars(select(HumanTask.instance_id)
                               .where(HumanTask.case_number == case_number)).first() or 0


def _samples(app: Flask, **kwargs: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = app.test_client().get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for s in family.samples}


def _value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_show_steps_completions_queues_timer_lag_and_errors(
        ctx: EngineContext, app: Flask) -> None:
    with ctx.sessionmaker.begin() as session:
        deployments.deploy_path(ctx, session, SYSTEM, ctx.settings.processes_dir)
    worker = make_user(ctx, "st", "social_team", "dordrecht")
    corporation = make_user(ctx, "corp", "corporation", "woonbron")
    broken = report(ctx, corporation, external_id="WB-1").case_number
    late = report(ctx, corporation, external_id="WB-2", crisis=True,
                  tenant={"house_number": "80", "name": "P. Bakker (synthetisch)"}).case_number
    before = _samples(app)
    assert _value(before, "ketenflow_queue_depth", role="social_team", state="open") >= 2
    assert _value(before, "ketenflow_instances_in_error") == 0
    assert _value(before, "ketenflow_timer_lag_seconds") == 0
    assert _value(before, "ketenflow_worker_heartbeat_age_seconds") == -1
    assert _value(before, "ketenflow_mails_waiting") == 0

    with ctx.sessionmaker.begin() as session:
        task_id = session.scalars(select(HumanTask.id).where(
            HumanTask.case_number == late, HumanTask.state == "open",
            HumanTask.bpmn_id == "record_first_contact_attempt")).first()
        assert task_id is not None
        complete_claimed(ctx, session, worker, task_id, {
            "attempt_type": "Telefoon", "attempt_date": "2026-04-23", "day_part": "evening",
            "contact_made": False})
    heartbeat.beat(ctx)
    assert isinstance(ctx.clock, ManualClock)
    ctx.clock.advance(timedelta(seconds=7))
    broken_id, late_id = _instance_of(ctx, broken), _instance_of(ctx, late)
    with ctx.sessionmaker.begin() as session:  # one instance broken, one timer overdue
        session.execute(update(ProcessInstance).where(ProcessInstance.id == broken_id)
                        .values(status="error"))
        session.execute(update(ProcessInstance).where(ProcessInstance.id != broken_id)
                        .values(next_timer_due=None))
        session.execute(update(ProcessInstance).where(ProcessInstance.id == late_id)
                        .values(next_timer_due=ctx.clock.now() - timedelta(seconds=90)))
        assert session.scalar(select(ProcessInstance.status)
                              .where(ProcessInstance.id == late_id)) in LIVE_STATUSES
        now = ctx.clock.now()
        session.add_all([OutboxMail(
            cause_key=f"task_assigned:{n}:st", cause=f"task_assigned:{n}", kind="task_assigned",
            subject="Taak", body="-", message_id=f"<{n}@example.org>", state=state,
            created_at=now, next_attempt_at=now) for n, state in enumerate(
                ("pending", "sending", "handed_over", "sent", "in_doubt", "failed"))])
    after = _samples(app)

    completions = "ketenflow_task_completions_total"
    assert _value(after, completions, role="social_team") == \
        _value(before, completions, role="social_team") + 1
    steps = "ketenflow_step_duration_seconds_count"
    assert _value(after, steps, trigger="actor", outcome="ok") > \
        _value(before, steps, trigger="actor", outcome="ok")
    assert _value(after, "ketenflow_step_duration_seconds_sum", trigger="actor",
                  outcome="ok") > _value(before, "ketenflow_step_duration_seconds_sum",
                                         trigger="actor", outcome="ok")
    assert _value(after, "ketenflow_instances_in_error") == 1
    assert _value(after, "ketenflow_instances", status="error") == 1
    assert _value(after, "ketenflow_timer_lag_seconds") == 90
    assert _value(after, "ketenflow_worker_heartbeat_age_seconds") == 7
    assert _value(after, "ketenflow_mails_waiting") == 3  # pending and being sent
    assert _value(after, "ketenflow_mails_in_doubt") == 1
    assert _value(after, "ketenflow_queue_depth", role="social_team", state="open") >= 1


def test_metrics_answer_only_the_token_or_this_machine(ctx: EngineContext) -> None:
    open_app = create_app({"TESTING": True, "SECRET_KEY": "x"}, ctx=ctx)
    remote = {"environ_base": {"REMOTE_ADDR": "10.1.2.3"}}
    assert open_app.test_client().get("/metrics", **remote).status_code == 403
    assert open_app.test_client().get("/metrics").status_code == 200  # loopback

    guarded = create_app({"TESTING": True, "SECRET_KEY": "x", "METRICS_TOKEN": "s3cret"},
                         ctx=ctx)
    client = guarded.test_client()
    assert client.get("/metrics").status_code == 403  # a token is set: loopback is not enough
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    right = client.get("/metrics", headers={"Authorization": "Bearer s3cret"}, **remote)
    assert right.status_code == 200
    assert b"ketenflow_queue_depth" in right.data


@pytest.fixture
def json_lines() -> Iterator[list[str]]:
    """Every line the app logs, formatted as ``ketenflow serve`` formats them."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Keep()
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lines
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_request_id_is_echoed_and_in_every_json_line(app: Flask,
                                                     json_lines: list[str]) -> None:
    client = app.test_client()
    given = client.get("/api/v1/health?q=Jansen", headers={"X-Request-Id": "lb-42.abc"})
    assert given.headers["X-Request-Id"] == "lb-42.abc"
    access = [json.loads(line) for line in json_lines]
    assert access[-1]["request_id"] == "lb-42.abc"
    assert access[-1]["logger"] == "ketenflow.access"
    assert access[-1]["path"] == "/api/v1/health" and access[-1]["status"] == 200
    assert "Jansen" not in json_lines[-1]  # the query string may hold a name: never logged

    made = client.get("/api/v1/health").headers["X-Request-Id"]
    insane = client.get("/api/v1/health", headers={"X-Request-Id": "x" * 200}).headers[
        "X-Request-Id"]
    assert len(made) == 32 and len(insane) == 32 and made != insane
    assert json.loads(json_lines[-1])["request_id"] == insane
    with app.test_request_context():  # outside a request, lines carry no id
        logging.getLogger("ketenflow.worker").info("a round")
    assert "request_id" not in json.loads(json_lines[-1])


def test_ready_needs_the_database_and_a_worker_heartbeat(ctx: EngineContext, app: Flask
                                                          ) -> None:
    client = app.test_client()
    waiting = client.get("/api/v1/ready")
    assert waiting.status_code == 503
    assert waiting.json["database"] == "ok" and "no heartbeat" in waiting.json["worker"]
    heartbeat.beat(ctx)
    assert client.get("/api/v1/ready").json == {"status": "ready", "database": "ok",
                                                 "worker": "ok"}
    assert isinstance(ctx.clock, ManualClock)
    ctx.clock.advance(heartbeat.alive_within(ctx) + timedelta(seconds=1))
    assert client.get("/api/v1/ready").status_code == 503  # the worker stopped beating


def test_ready_is_503_when_the_database_is_down(tmp_path: Path, script_host: ScriptHost
                                                 ) -> None:
    settings = EngineSettings(database_url=f"sqlite:///{tmp_path / 'missing' / 'k.db'}")
    down = chain.install(build_context(settings, scripts=script_host))
    try:
        response = create_app({"TESTING": True, "SECRET_KEY": "x"}, ctx=down).test_client() \
            .get("/api/v1/ready")
    finally:
        down.db.dispose()
    assert response.status_code == 503
    assert response.json["database"].startswith("unreachable")
    assert response.json["status"] == "not ready"


def test_the_timer_loop_beats_every_round(ctx: EngineContext) -> None:
    assert not heartbeat.worker_alive(ctx)
    fast = EngineContext(**{**vars(ctx), "settings": EngineSettings(
        database_url=ctx.settings.database_url, worker_interval_seconds=0.05)})
    stop = threading.Event()
    loop = threading.Thread(target=run_forever, args=(fast, stop))
    loop.start()
    try:
        deadline = time.monotonic() + 10
        while heartbeat.last_beat(ctx) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert heartbeat.worker_alive(ctx)
        assert isinstance(ctx.clock, ManualClock)
        ctx.clock.advance(timedelta(minutes=5))
        first = heartbeat.last_beat(ctx)
        deadline = time.monotonic() + 10
        while heartbeat.last_beat(ctx) == first and time.monotonic() < deadline:
            time.sleep(0.05)
        assert heartbeat.last_beat(ctx) == ctx.clock.now()  # it beats again, at the new time
    finally:
        stop.set()
        loop.join(timeout=10)
    ctx.clock.advance(timedelta(minutes=5))
    assert not heartbeat.worker_alive(ctx)


# --- the three processes together ------------------------------------------------------------

TIMER_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="defs_ops" targetNamespace="http://ketenflow.example/test">
  <bpmn:process id="ops_probe" name="Probe" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_team" name="social_team">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>wait</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>finish</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="wait" name="Even wachten">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition id="wait_timer">
        <bpmn:timeDuration>"PT1S"</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:userTask id="finish" name="Afronden">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="forms/finish.json" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="finish" />
    <bpmn:sequenceFlow id="f3" sourceRef="finish" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""
FINISH_FORM = {"title": "Afronden", "type": "object", "required": ["done"],
               "properties": {"done": {"type": "boolean", "title": "Klaar",
                                       "x-title-en": "Done"}}}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _fresh_database(name: str) -> str:
    """An empty PostgreSQL database beside the test database; returns its URL."""
    assert PG_URL is not None
    from engine.db import make_engine

    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _ketenflow(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run([sys.executable, "-m", "webui.cli", *args], cwd=ROOT, env=env,
                            input=stdin, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _call(url: str, method: str = "GET", body: Any = None, token: str | None = None
          ) -> tuple[int, Any, str]:
    import urllib.error
    import urllib.request

    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            raw = response.read().decode()
            kind = response.headers.get("Content-Type", "")
            return response.status, json.loads(raw) if "json" in kind else raw, kind
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), ""


def _until(check: Any, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.25)
    return check()


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs KETENFLOW_TEST_DATABASE_URL (PostgreSQL)")
def test_postgres_serve_and_a_separate_worker_complete_a_case(tmp_path: Path) -> None:
    """docker-compose.yml's three services without Docker: the documented settings, a case
    whose timer only the separate worker can fire, completed through the API, and /metrics."""
    url = _fresh_database(f"{make_url(PG_URL).database}_ops")
    metrics_dir = tmp_path / "metrics"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KETENFLOW_DATABASE_URL": url,
           "KETENFLOW_SECRET_KEY": "ops-test", "KETENFLOW_EMBEDDED_WORKER": "false",
           "KETENFLOW_METRICS_TOKEN": "scrape-me", "KETENFLOW_WORKER_INTERVAL_SECONDS": "0.5",
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
           "KETENFLOW_PROCESSES_DIR": str(ROOT / "processes")}
    bundle = tmp_path / "probe"
    (bundle / "forms").mkdir(parents=True)
    (bundle / "probe.bpmn").write_text(TIMER_PROCESS)
    (bundle / "forms" / "finish.json").write_text(json.dumps(FINISH_FORM))
    _ketenflow(env, "init")
    _ketenflow(env, "deploy", str(bundle))
    _ketenflow(env, "user", "add", "po", "--role", "process_owner", "--org", "regio",
               "--password-stdin", stdin="geheim-wachtwoord-1\n")
    _ketenflow(env, "user", "add", "anna", "--role", "social_team", "--org", "dordrecht",
               "--password-stdin", stdin="geheim-wachtwoord-2\n")
    owner = _ketenflow(env, "token", "create", "--user", "po").strip()
    anna = _ketenflow(env, "token", "create", "--user", "anna").strip()

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    logs_dir = tmp_path / "logs"
    logs_dir.mkdir()
    web_log = (logs_dir / "serve.log").open("w")
    worker_log = (logs_dir / "worker.log").open("w")
    serve = subprocess.Popen([sys.executable, "-m", "webui.cli", "serve", "--port", str(port),
                              "--workers", "2"], cwd=ROOT, env=env, stdout=web_log,
                             stderr=subprocess.STDOUT, start_new_session=True)
    worker = None
    try:
        assert _until(lambda: _status(f"{base}/api/v1/health") == 200), "serve did not start"
        # without the worker: the web app is up and not ready (nobody fires timers)
        assert _status(f"{base}/api/v1/ready") == 503
        worker = subprocess.Popen([sys.executable, "-m", "webui.cli", "worker"], cwd=ROOT,
                                  env=env, stdout=worker_log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        assert _until(lambda: _status(f"{base}/api/v1/ready") == 200), "worker never beat"

        status, started, _ = _call(f"{base}/api/v1/instances", "POST",
                                   {"process_id": "ops_probe",
                                    "data": {"municipality": "dordrecht"}}, owner)
        assert status == 201, started
        instance = started["id"]
        # the timer is only fired by the separate worker (serve's loop is off)
        task = _until(lambda: next(iter(_call(f"{base}/api/v1/tasks?queue=team", token=anna)
                                         [1]["items"]), None))
        assert task is not None, "the worker did not fire the timer"
        assert _call(f"{base}/api/v1/tasks/{task['id']}/claim", "POST", {}, anna)[0] == 200
        status, done, _ = _call(f"{base}/api/v1/tasks/{task['id']}/complete", "POST",
                                {"data": {"done": True}}, anna)
        assert status == 200, done
        assert _call(f"{base}/api/v1/instances/{instance}", token=owner)[1]["status"] == \
            "completed"

        assert _status(f"{base}/metrics") == 403  # a token is configured
        status, body, kind = _call(f"{base}/metrics", token="scrape-me")
        assert status == 200 and kind.startswith("text/plain")
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for family in text_string_to_metric_families(body)
                   for s in family.samples}
        assert samples[("ketenflow_task_completions_total", (("role", "social_team"),))] == 1
        # the worker's timer step and the web's steps, added up across processes
        assert samples[("ketenflow_step_duration_seconds_count",
                        (("outcome", "ok"), ("trigger", "timer")))] >= 1
        assert samples[("ketenflow_step_duration_seconds_count",
                        (("outcome", "ok"), ("trigger", "actor")))] >= 2
        assert samples[("ketenflow_instances", (("status", "completed"),))] == 1
        assert 0 <= samples[("ketenflow_worker_heartbeat_age_seconds", ())] < 30

        # The web workers keep tokens and the newest definitions (engine.change_notices): a
        # deployment and a revocation made by another process reach them at the next request.
        for _ in range(4):
            assert _call(f"{base}/api/v1/tasks?queue=team", token=anna)[0] == 200
        (bundle / "probe.bpmn").write_text(TIMER_PROCESS.replace('name="', 'name="v2 ', 1))
        _ketenflow(env, "deploy", str(bundle))
        status, again, _ = _call(f"{base}/api/v1/instances", "POST",
                                 {"process_id": "ops_probe",
                                  "data": {"municipality": "dordrecht"}}, owner)
        assert status == 201 and again["deployment_version"] == \
            started["deployment_version"] + 1, again
        tokens = [line.split("\t") for line in _ketenflow(env, "token", "list").splitlines()]
        _ketenflow(env, "token", "revoke", next(r[0] for r in tokens if r[2] == "anna"))
        for _ in range(4):
            assert _call(f"{base}/api/v1/tasks?queue=team", token=anna)[0] == 401
    finally:
        for process in (worker, serve):
            if process is not None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
        web_log.close()
        worker_log.close()
        shutil.copytree(logs_dir, ROOT / "test-artifacts" / "operations", dirs_exist_ok=True)
    access = [json.loads(line) for line in (logs_dir / "serve.log").read_text().splitlines()
              if '"ketenflow.access"' in line]
    assert access and all(len(line["request_id"]) == 32 for line in access)


def _status(url: str) -> int:
    try:
        return _call(url)[0]
    except OSError:
        return 0
