"""What a script or expression leaves in task data is capped where the sandbox answers: a giant
result puts the instance in ``error`` (element and size named) and never reaches the server."""

from __future__ import annotations

import io
import struct
from datetime import UTC, datetime

import pytest

from engine import chain, deployments, instances
from engine.access import SYSTEM
from engine.bundles import BundleFile
from engine.context import EngineContext, build_context
from engine.models import ProcessInstance
from engine.sandbox.script_host import FrameTooLarge, read_frame
from engine.sandbox.scripting import (
    SandboxEnvironment,
    ScriptError,
    ScriptHost,
    is_bounded_expression,
)
from engine.settings import EngineSettings
from tests.bpmn_builder import FORM, script_process

MOMENT = datetime(2026, 4, 23, 9, tzinfo=UTC)


def _run(ctx: EngineContext, script: str) -> instances.InstanceView:
    with ctx.sessionmaker.begin() as session:
        deployments.deploy(ctx, session, SYSTEM, [BundleFile("probe.bpmn", script_process(script)),
                                                  BundleFile("check.json", FORM)])
    with ctx.sessionmaker.begin() as session:
        return instances.start_instance(ctx, session, SYSTEM, "probe")


def _stored_state_size(ctx: EngineContext, instance_id: int) -> int:
    with ctx.sessionmaker() as session:
        row = session.get(ProcessInstance, instance_id)
        assert row is not None
        return len(row.state or "")


def test_a_150_mb_script_result_ends_in_error_naming_element_and_size(
        ctx: EngineContext) -> None:
    view = _run(ctx, "big = 'a' * (150 * 10**6)")
    assert view.status == "error"
    assert view.error is not None and view.error.element == "attack"
    message = view.error.message or ""
    assert "'big'" in message and "150000004 bytes" in message
    assert str(ctx.settings.max_task_data_bytes) in message
    assert _stored_state_size(ctx, view.id) < 100_000  # the giant value was never stored
    # The sandbox keeps serving the next script.
    healthy = _run(ctx, "answer = 6 * 7")
    assert healthy.status == "running"


def test_a_result_under_the_cap_is_kept(ctx: EngineContext) -> None:
    view = _run(ctx, "note = 'a' * 900000")
    assert view.status == "running"
    assert _stored_state_size(ctx, view.id) > 900_000


def test_many_small_variables_count_together(ctx: EngineContext) -> None:
    script = "\n".join(f"part_{n} = 'a' * 200000" for n in range(8))
    view = _run(ctx, script)
    assert view.status == "error"
    assert view.error is not None and view.error.element == "attack"
    assert "'part_4'" in (view.error.message or "")


def test_a_giant_error_message_cannot_smuggle_the_value_out(ctx: EngineContext) -> None:
    view = _run(ctx, "raise ValueError('x' * (10 * 10**6))")
    assert view.status == "error"
    assert view.error is not None and view.error.element == "attack"
    assert len(view.error.message or "") < 2000
    assert _stored_state_size(ctx, view.id) < 100_000


def test_a_giant_expression_result_is_refused_in_the_sandbox(script_host: ScriptHost) -> None:
    env = SandboxEnvironment(script_host, now=lambda: MOMENT)
    with pytest.raises(ScriptError) as refused:
        env.evaluate("'a' * (150 * 10**6)", {})
    assert refused.value.kind == "DataTooLarge" and "150000002 bytes" in str(refused.value)
    assert env.evaluate("'a' * 3", {}) == "aaa"  # the sandbox is still there


def test_an_in_process_expression_is_held_to_the_same_cap(script_host: ScriptHost) -> None:
    env = SandboxEnvironment(script_host, now=lambda: MOMENT)
    data = {"s": "x" * 600_000}
    assert is_bounded_expression("s + s")
    with pytest.raises(ScriptError) as refused:
        env.evaluate("s + s", data)
    assert refused.value.kind == "DataTooLarge"
    # Thousands of ``+ s`` would build gigabytes before any check: they go to the sandbox.
    assert not is_bounded_expression(" + ".join(["s"] * 1000))
    with pytest.raises(ScriptError):
        env.evaluate(" + ".join(["s"] * 1000), data)
    assert env.evaluate("s == s", data) is True


def test_the_engine_never_reads_an_oversized_answer() -> None:
    body = b"x" * 5000
    stream = io.BytesIO(struct.pack("!I", len(body)) + body)
    with pytest.raises(FrameTooLarge) as refused:
        read_frame(stream, max_length=1000)
    assert refused.value.length == 5000
    assert stream.tell() == 4  # only the header was read
    assert read_frame(io.BytesIO(struct.pack("!I", 3) + b"abc"), max_length=1000) == b"abc"


def test_the_cap_is_a_setting_that_reaches_the_sandbox(ctx: EngineContext) -> None:
    settings = EngineSettings.from_env({"KETENFLOW_MAX_TASK_DATA_BYTES": "5000"},
                                       database_url=ctx.settings.database_url)
    assert settings.max_task_data_bytes == 5000
    assert EngineSettings().max_task_data_bytes == 1_000_000
    small = chain.install(build_context(settings, db=ctx.db))
    try:
        assert small.scripts.max_data_bytes == 5000
        env = SandboxEnvironment(small.scripts, now=lambda: MOMENT)
        data: dict[str, object] = {}
        env.execute("fits = 'a' * 4000", data)
        assert data == {"fits": "a" * 4000}
        with pytest.raises(ScriptError) as refused:
            env.execute("too_much = 'a' * 6000", data)
        assert "'too_much'" in str(refused.value) and "5000 bytes" in str(refused.value)
    finally:
        small.scripts.close()
