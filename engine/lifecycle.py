"""The claim layer on top of SpiffWorkflow's task states: open, claimed, completed, cancelled.

Each transition checks the current state and who acts; an illegal one raises
``InvalidTransition`` (a conflict: someone else got there first, or the task is done), with a
Dutch message a page can show as it is. Completing requires holding the claim: a task nobody
holds, or one a lead has just put back in the queue, cannot be completed by whoever still has
its form open. A caller that means to take an open task and finish it at once says so
(``take_open``): one step that claims and completes, never a completion of a task someone holds.
"""

from __future__ import annotations

from engine.access import Actor, claimable, may_assign
from engine.errors import InvalidTransition, NotAllowed
from engine.models import HumanTask

CLAIMED_BY_OTHER = "Een collega heeft deze taak opgepakt; alleen die collega kan hem afronden."
NOT_CLAIMED = ("Deze taak is niet (meer) door jou opgepakt, bijvoorbeeld omdat de teamleider "
               "hem heeft teruggezet. Pak de taak op om hem af te ronden.")


def _assert_live(task: HumanTask) -> None:
    if task.state == "completed":
        raise InvalidTransition("Deze taak is al afgerond.")
    if task.state == "cancelled":
        raise InvalidTransition("Deze taak is ingetrokken: de casus is verder gegaan.")


def claim(task: HumanTask, actor: Actor) -> None:
    _assert_live(task)
    if not claimable(actor, task):
        raise NotAllowed("Deze taak hoort niet bij jouw rol.")
    if task.state == "claimed" and task.assignee_id != actor.user_id:
        raise InvalidTransition(CLAIMED_BY_OTHER)
    task.state = "claimed"
    task.assignee_id = actor.user_id


def release(task: HumanTask, actor: Actor) -> None:
    _assert_live(task)
    if task.state != "claimed":
        raise InvalidTransition("Deze taak staat al in de teamwachtrij: niemand had hem "
                                "opgepakt.")
    if task.assignee_id != actor.user_id and not may_assign(actor):
        raise InvalidTransition(CLAIMED_BY_OTHER)
    task.state = "open"
    task.assignee_id = None


def assign(task: HumanTask, actor: Actor, assignee_id: int) -> None:
    """Team leads hand a task to a member of their team."""
    _assert_live(task)
    if not may_assign(actor):
        raise NotAllowed("Alleen een teamleider kan taken toewijzen.")
    task.state = "claimed"
    task.assignee_id = assignee_id


def check_complete(task: HumanTask, actor: Actor, *, take_open: bool = False) -> None:
    """Only the holder of the claim completes a task (a machine token claims as its
    organisation: ``assignee_id`` None). With ``take_open`` an open task counts as held: the
    caller claims and completes it in one step, as a claim followed by a completion would.
    Changes nothing."""
    _assert_live(task)
    if not claimable(actor, task):
        raise NotAllowed("Deze taak hoort niet bij jouw rol.")
    if take_open and task.state == "open":
        return
    if task.state != "claimed":
        raise InvalidTransition(NOT_CLAIMED)
    if task.assignee_id != actor.user_id:
        raise InvalidTransition(CLAIMED_BY_OTHER)


def complete(task: HumanTask, actor: Actor, *, take_open: bool = False) -> None:
    check_complete(task, actor, take_open=take_open)
    if task.state == "open":
        claim(task, actor)
    task.state = "completed"
    task.completed_by = actor.username
