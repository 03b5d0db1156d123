"""SpiffWorkflow's ``do_engine_steps``, without walking the whole task tree for nothing.

The library finds the tasks to run by walking a workflow's task tree from its root, completed
tasks included, and it repeats that walk until one comes back empty: every step of a case
pays for every task the case ever ran, twice or more. A case that lives for a year (a payment
arrangement with its monthly messages, the legal track) makes that walk the largest cost of a
step.

This loop does what ``BpmnWorkflow.do_engine_steps`` does, in the same order, and looks first
at the flat task tables the library keeps beside the tree. When no task anywhere is ready to
run, the walk would have found none either, so it is skipped; when exactly one is ready, in
the workflow being updated, the walk would have returned just that task, so it is run
directly. With two or more the order matters (parallel branches), and the library's walk
decides it as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task, TaskState

TaskHook = Callable[[Task], None]


def run_engine_steps(workflow: BpmnWorkflow, did_complete_task: TaskHook | None = None) -> None:
    """Run every ready engine task (scripts, gateways, events) until only human tasks or
    waiting tasks are left, then refresh the timers — as ``do_engine_steps``."""
    while _engine_pass(workflow, did_complete_task):
        pass
    workflow.refresh_timers()


def _engine_pass(top: BpmnWorkflow, did_complete_task: TaskHook | None) -> bool:
    """One pass of ``BpmnWorkflow._do_engine_steps``: the active subprocesses, deepest first,
    each until it has nothing left to run, then the top workflow once."""
    active = top.get_active_subprocesses()
    for subprocess in sorted(active, key=lambda sub: sub.depth, reverse=True):
        while _update(top, subprocess, did_complete_task):
            pass
        if subprocess.parent_task_id is not None:
            task = top.get_task_from_id(subprocess.parent_task_id)
            task.task_spec._update(task)
    count = _update(top, top, did_complete_task)
    return count > 0 or len(top.get_active_subprocesses()) > len(active)


def _update(top: BpmnWorkflow, workflow: Any, did_complete_task: TaskHook | None) -> int:
    """Run the tasks of ``workflow`` that are ready and not manual; how many ran."""
    ready = _ready_engine_tasks(top, limit=2)
    if not ready:
        return 0
    if len(ready) == 1 and ready[0].workflow is workflow:
        tasks = ready
    else:  # several, or one elsewhere: the library's walk gives the set and the order
        tasks = [t for t in workflow.get_tasks(state=TaskState.READY) if not t.task_spec.manual]
    for task in tasks:
        task.run()
        if did_complete_task is not None:
            did_complete_task(task)
    return len(tasks)


def _ready_engine_tasks(top: BpmnWorkflow, limit: int) -> list[Task]:
    """Up to ``limit`` ready, non-manual tasks of the workflow and all its subprocesses (a
    superset of what a walk from any of them finds)."""
    found: list[Task] = []
    for tree in (top, *top.subprocesses.values()):
        for task in tree.tasks.values():
            if task.state == TaskState.READY and not task.task_spec.manual:
                found.append(task)
                if len(found) >= limit:
                    return found
    return found
