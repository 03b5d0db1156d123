"""The physical limit: plain SpiffWorkflow 3.2 on the same BPMN, in this process.

Parse once, then per instance: create, run to Assess, complete Assess (gateway and script run,
Advise becomes ready), complete Advise. Two variants:

- in memory: the workflow object lives through the whole lifecycle;
- with a JSON save and load at each of the 3 wait points (at Assess, at Advise, completed):
  ``BpmnWorkflowSerializer`` configured with ``SPIFF_CONFIG`` (the full blob, spec included),
  ``serialize_json`` then ``deserialize_json``, and the run goes on with the loaded object.

The default ``PythonScriptEngine`` is used (no sandbox): that is the limit we compare against.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from bench.common import (
    ADVISE_DATA,
    ASSESS_DATA,
    BPMN_FILE,
    PROCESS_ID,
    START_DATA,
    Lifecycles,
    check_end_data,
    gc_collected,
    now,
)


@dataclass
class RawResult(Lifecycles):
    mode: str = ""


def parse() -> tuple[Any, dict[str, Any]]:
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(BPMN_FILE))
    return parser.get_spec(PROCESS_ID), parser.get_subprocess_specs(PROCESS_ID)


def serializer() -> BpmnWorkflowSerializer:
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))


def _ready_user_task(workflow: BpmnWorkflow, bpmn_id: str) -> Any:
    for task in workflow.get_tasks(state=TaskState.READY, manual=True):
        if task.task_spec.bpmn_id == bpmn_id:
            return task
    raise AssertionError(f"raw: {bpmn_id} is not ready")


def _end_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    final = workflow.last_task.data if workflow.last_task is not None else {}
    return {**workflow.data, **final}


def _wait_point(workflow: BpmnWorkflow, ser: BpmnWorkflowSerializer | None) -> BpmnWorkflow:
    """With ``ser``: save the workflow and load it back, as a waiting instance would be."""
    return workflow if ser is None else ser.deserialize_json(ser.serialize_json(workflow))


def _complete(workflow: BpmnWorkflow, bpmn_id: str, data: dict[str, Any],
              ser: BpmnWorkflowSerializer | None) -> BpmnWorkflow:
    task = _ready_user_task(workflow, bpmn_id)
    task.set_data(**data)
    task.run()
    workflow.do_engine_steps()
    return _wait_point(workflow, ser)


def one_lifecycle(spec: Any, subprocess_specs: dict[str, Any],
                  ser: BpmnWorkflowSerializer | None) -> tuple[float, float, float, Any]:
    """One instance start to end; returns the seconds of the 3 steps and the last workflow.

    With ``ser`` each step ends with a save and a load of the workflow (the wait point).
    """
    t0 = now()
    workflow = BpmnWorkflow(spec, subprocess_specs)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.set_data(**START_DATA)
    workflow.do_engine_steps()
    workflow = _wait_point(workflow, ser)
    t1 = now()
    workflow = _complete(workflow, "Task_Assess", ASSESS_DATA, ser)
    t2 = now()
    workflow = _complete(workflow, "Task_Advise", ADVISE_DATA, ser)
    t3 = now()
    return t1 - t0, t2 - t1, t3 - t2, workflow


def measure(n: int = 1000, warmup: int = 100, save_load: bool = False) -> RawResult:
    spec, subprocess_specs = parse()
    ser = serializer() if save_load else None
    result = RawResult(mode="save+load" if save_load else "in memory")
    for _ in range(warmup):
        one_lifecycle(spec, subprocess_specs, ser)
    with gc_collected():
        for _ in range(n):
            cpu = time.process_time()
            a, b1, b2, workflow = one_lifecycle(spec, subprocess_specs, ser)
            result.cpu.append((time.process_time() - cpu) * 1000.0)
            result.add(a, b1, b2, a + b1 + b2)
    if not workflow.is_completed():
        raise AssertionError("raw: the instance did not complete")
    check_end_data(_end_data(workflow), f"raw {result.mode}")
    return result
