"""The claim layer on top of SpiffWorkflow's task states: open, claimed, completed, cancelled.

Each transition checks the current state and who acts; an illegal one raises
``InvalidTransition`` (a conflict: someone else got there first, or the task is done).
"""

from __future__ import annotations

from engine.access import Actor, claimable, may_assign
from engine.errors import InvalidTransition, NotAllowed
from engine.models import HumanTask


def _assert_live(task: HumanTask) -> None:
    if task.state == "completed":
        raise InvalidTransition("this task has already been completed")
    if task.state == "cancelled":
        raise InvalidTransition("this task was withdrawn (the case moved on)")


def claim(task: HumanTask, actor: Actor) -> None:
    _assert_live(task)
    if not claimable(actor, task):
        raise NotAllowed("your role cannot take this task")
    if task.state == "claimed" and task.assignee_id != actor.user_id:
        raise InvalidTransition("this task is already claimed by someone else")
    task.state = "claimed"
    task.assignee_id = actor.user_id


def release(task: HumanTask, actor: Actor) -> None:
    _assert_live(task)
    if task.state != "claimed":
        raise InvalidTransition("this task is not claimed")
    if task.assignee_id != actor.user_id and not may_assign(actor):
        raise InvalidTransition("this task is claimed by someone else")
    task.state = "open"
    task.assignee_id = None


def assign(task: HumanTask, actor: Actor, assignee_id: int) -> None:
    """Team leads hand a task to a member of their team."""
    _assert_live(task)
    if not may_assign(actor):
        raise NotAllowed("only a team lead can reassign tasks")
    task.state = "claimed"
    task.assignee_id = assignee_id


def complete(task: HumanTask, actor: Actor) -> None:
    _assert_live(task)
    if not claimable(actor, task):
        raise NotAllowed("your role cannot complete this task")
    if task.state == "claimed" and task.assignee_id != actor.user_id:
        raise InvalidTransition("this task is claimed by someone else")
    task.state = "completed"
    task.assignee_id = actor.user_id if actor.user_id is not None else task.assignee_id
    task.completed_by = actor.username
