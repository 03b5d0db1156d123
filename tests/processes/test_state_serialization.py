"""Our one-pass writer of workflow state (``engine.serialization.dump_workflow``) writes what
SpiffWorkflow's own converters and encoder write, for the chain's real states: the same
dictionary, and JSON that reads back to the same value. Every step of every case is written
by it, so a difference would be a state the library cannot restore the way it wrote it.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine import runtime
from engine.context import EngineContext
from engine.models import ProcessInstance
from engine.serialization import (
    _SERIALIZER,
    dump_workflow,
    load_spec,
    load_workflow,
    workflow_to_dict,
)
from tests.processes.chain import Chain

STORED_STATES = Path(__file__).resolve().parents[1] / "engine" / "fixtures" / "stored_states"


def _library_dict(workflow: Any) -> dict[str, Any]:
    registry = _SERIALIZER.registry
    registry._encoder_mode = True
    try:
        return dict(_SERIALIZER.to_dict(workflow))
    finally:
        registry._encoder_mode = False


def _assert_written_as_the_library_does(workflow: Any) -> None:
    assert workflow_to_dict(workflow) == _library_dict(workflow)
    assert json.loads(dump_workflow(workflow)) == json.loads(_SERIALIZER.serialize_json(workflow))


def _stored_workflow(ctx: EngineContext, chain: Chain) -> Any:
    with ctx.sessionmaker() as session:
        row = session.get(ProcessInstance, chain.instance_id)
        assert row is not None and row.state is not None
        workflow, _cached = runtime.load(ctx, session, row, read_only=True)
        return workflow


def test_every_stage_of_a_case_is_written_as_the_library_writes_it(
        ctx: EngineContext, chain: Chain) -> None:
    stages = [
        lambda: chain.signal(),
        lambda: chain.reach(),
        lambda: (chain.at("2026-04-28 09:00"), chain.talk(True, True)),
        lambda: chain.zrm(),
        lambda: chain.plan(),
    ]
    seen = set()
    for stage in stages:
        stage()
        workflow = _stored_workflow(ctx, chain)
        _assert_written_as_the_library_does(workflow)
        seen.add(len(workflow.subprocesses))
    assert max(seen) > 0  # the called processes (subprocesses) were written too


def test_the_frozen_stored_states_are_written_as_the_library_writes_them() -> None:
    files = sorted(STORED_STATES.glob("*.json"))
    assert files
    for path in files:
        fixture = json.loads(path.read_text())
        spec, subprocess_specs = load_spec(fixture["spec_json"])
        workflow = load_workflow(fixture["state"], spec, subprocess_specs)
        _assert_written_as_the_library_does(workflow)


def test_values_json_has_no_type_for_keep_their_type(ctx: EngineContext, chain: Chain) -> None:
    chain.signal()
    workflow = _stored_workflow(ctx, chain)
    task = workflow.get_tasks()[-1]
    task.data.update({
        "on": date(2026, 5, 4), "at": datetime(2026, 7, 1, 15, 0, tzinfo=UTC),
        "amount": Decimal("1234.56"), "huge": 2 ** 80, "seven": 7,
    })
    _assert_written_as_the_library_does(workflow)
    spec, subprocess_specs = workflow.spec, workflow.subprocess_specs
    restored = load_workflow(dump_workflow(workflow), spec, subprocess_specs)
    data = restored.get_task_from_id(task.id).data
    assert (data["on"], data["at"], data["amount"], data["huge"]) == (
        date(2026, 5, 4), datetime(2026, 7, 1, 15, 0, tzinfo=UTC),
        Decimal("1234.56"), 2 ** 80)
