"""What only shows at run time: a runaway script ends the instance in error within a second."""

from __future__ import annotations

import re
import time

import pytest

from engine import deployments, instances
from engine.access import SYSTEM
from engine.bundles import BundleFile
from engine.context import EngineContext
from tests.bpmn_builder import FORM, script_process

RUNAWAYS = {
    "endless_loop": "while True:\n    pass",
    "huge_allocation": "blob = 'x' * (10 ** 10)",
    "huge_list": "items = [0] * (10 ** 9)",
    "endless_computation": "total = sum(range(10 ** 12))",
}


def _run(ctx: EngineContext, script: str) -> tuple[instances.InstanceView, float]:
    with ctx.sessionmaker.begin() as session:
        deployments.deploy(ctx, session, SYSTEM, [BundleFile("probe.bpmn",
                                                             script_process(script)),
                                                  BundleFile("check.json", FORM)])
    started = time.monotonic()
    with ctx.sessionmaker.begin() as session:
        view = instances.start_instance(ctx, session, SYSTEM, "probe")
    return view, time.monotonic() - started


@pytest.mark.parametrize("name", sorted(RUNAWAYS))
def test_runaway_script_ends_in_error_within_a_second(ctx: EngineContext, name: str) -> None:
    view, seconds = _run(ctx, RUNAWAYS[name])
    assert view.status == "error"
    assert view.error is not None and view.error.element == "attack"
    assert seconds < 1.5  # the 1 s limit plus process restart
    # The sandbox comes back for the next script.
    healthy, _ = _run(ctx, "answer = 6 * 7")
    assert healthy.status == "running"


def test_scripts_keep_working_with_ordinary_python(ctx: EngineContext) -> None:
    script = ("total = 0\nfor n in [1, 2, 3]:\n    total += n\n"
              "due = add_working_days('2026-04-23', 3).isoformat()\n"
              "names = sorted({'b': 1, 'a': 2})")
    view, _ = _run(ctx, script)
    assert view.status == "running"
    with ctx.sessionmaker() as session:
        from engine.models import ProcessInstance
        row = session.get(ProcessInstance, view.id)
        assert row is not None and row.state is not None
        # Koningsdag and the weekend skipped
        assert re.search(r'"due":\s*"2026-04-29"', row.state)
        assert re.search(r'"total":\s*6\b', row.state)


def test_loop_cap_turns_a_silent_stop_into_an_error(ctx: EngineContext) -> None:
    from tests.bpmn_builder import loop_process

    with ctx.sessionmaker.begin() as session:
        deployments.deploy(ctx, session, SYSTEM, [BundleFile("loop.bpmn", loop_process(600))])
    with ctx.sessionmaker.begin() as session:
        view = instances.start_instance(ctx, session, SYSTEM, "loop")
    assert view.status == "error"
    assert view.error is not None and "looped" in (view.error.message or "")


def test_only_named_variables_cross_to_the_sandbox_and_back(script_host: object) -> None:
    from engine.sandbox.scripting import SandboxEnvironment, ScriptHost

    assert isinstance(script_host, ScriptHost)
    env = SandboxEnvironment(script_host)
    data = {"keep": 1, "temp": 2, "other": {"nested": [1, 2]}, "due": "2026-04-23"}
    env.execute("del temp\nresult = keep + 1\nnext_due = add_working_days(due, 3).isoformat()",
                data)
    assert data == {"keep": 1, "other": {"nested": [1, 2]}, "due": "2026-04-23",
                    "result": 2, "next_due": "2026-04-29"}
    assert env.evaluate("len(other['nested']) + keep", data) == 3


def test_task_data_never_shadows_a_helper_in_either_evaluator(script_host: object) -> None:
    from datetime import UTC, datetime

    from engine.sandbox.scripting import SandboxEnvironment, ScriptHost, is_bounded_expression

    assert isinstance(script_host, ScriptHost)
    moment = datetime(2026, 4, 23, 9, tzinfo=UTC)
    env = SandboxEnvironment(script_host, now=lambda: moment)
    data = {"today": "not a function", "n": 2}
    in_process, sandboxed = "today", "today().isoformat()"
    assert is_bounded_expression(in_process) and not is_bounded_expression(sandboxed)
    assert callable(env.evaluate(in_process, data))
    assert env.evaluate(sandboxed, data) == "2026-04-23"
