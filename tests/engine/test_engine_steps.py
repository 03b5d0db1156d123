"""Our engine-step loop runs the same tasks in the same order as SpiffWorkflow's own
``do_engine_steps``: a parallel split (several ready tasks: the library's walk decides the
order), single ready tasks (run directly), an embedded subprocess and a waiting user task."""

from __future__ import annotations

from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.task import Task, TaskState

from engine.engine_steps import run_engine_steps

DIAGRAM = Path(__file__).parent / "fixtures" / "engine_steps.bpmn"


def _workflow() -> BpmnWorkflow:
    parser = BpmnParser()
    parser.add_bpmn_file(str(DIAGRAM))
    return BpmnWorkflow(parser.get_spec("engine_steps"),
                        parser.get_subprocess_specs("engine_steps"))


def _drive(run: object) -> list[str]:
    """Run the diagram to its end with ``run`` as the engine loop; the completed tasks."""
    workflow = _workflow()
    trail: list[str] = []

    def completed(task: Task) -> None:
        trail.append(task.task_spec.name)

    def engine() -> None:
        if run == "library":
            workflow.do_engine_steps(did_complete_task=completed)
        else:
            run_engine_steps(workflow, completed)

    engine()
    for _ in range(5):  # complete whichever user task waits, then let the engine go on
        waiting = workflow.get_tasks(state=TaskState.READY, manual=True)
        if not waiting:
            break
        trail.append(f"user:{waiting[0].task_spec.name}")
        waiting[0].run()
        engine()
    assert workflow.completed, trail
    return trail


def test_the_loop_runs_what_the_library_runs_in_the_same_order():
    ours, library = _drive("ours"), _drive("library")
    assert ours == library
    # the test reaches the cases it is about: parallel branches, a subprocess, user tasks
    assert {"a", "b", "inner", "join", "user:inner_wait", "user:wait"} <= set(ours)


def test_nothing_ready_runs_nothing():
    workflow = _workflow()
    run_engine_steps(workflow)
    states = {t.task_spec.name: t.state for t in workflow.get_tasks()}
    run_engine_steps(workflow)
    assert {t.task_spec.name: t.state for t in workflow.get_tasks()} == states
