"""Need-to-know: who is acting, and which rows they may see, as SQL filters.

Every read function applies these filters, so a row an actor may not see is simply not found
(and the edge answers 404, never 403, so its existence does not leak).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, or_, true

from engine.models import HumanTask, ProcessInstance

ROLES = ("corporation", "corporation_lead", "social_team", "social_team_lead",
         "budget_advice", "care_referral", "process_owner", "manager", "privacy_officer",
         "admin")
#: The roles whose members work tasks, and the task lanes each may see in its team queue.
QUEUE_LANES: dict[str, tuple[str, ...]] = {
    "corporation": ("corporation",),
    "corporation_lead": ("corporation", "corporation_lead"),
    "social_team": ("social_team",),
    "social_team_lead": ("social_team", "social_team_lead"),
    "budget_advice": ("budget_advice",),
    "care_referral": ("care_referral",),
}


@dataclass(frozen=True)
class Actor:
    """Who is calling: a person, or an organisation's machine token (``user_id`` None)."""

    username: str
    role: str
    organisation: str
    organisation_kind: str
    user_id: int | None = None
    display_name: str = ""

    @property
    def is_machine(self) -> bool:
        return self.user_id is None


SYSTEM = Actor(username="system", role="admin", organisation="ketenflow",
               organisation_kind="system")


def task_scope(actor: Actor) -> ColumnElement[bool]:
    """Human tasks the actor may see at all (their own and their team's)."""
    if actor.role == "admin":
        return true()
    lanes = QUEUE_LANES.get(actor.role)
    if not lanes:
        return false()
    in_lanes = HumanTask.role.in_(lanes)
    if actor.role.startswith("social_team"):
        return and_(in_lanes, HumanTask.municipality == actor.organisation)
    if actor.role.startswith("corporation"):
        return and_(in_lanes, HumanTask.corporation == actor.organisation)
    return in_lanes


def instance_scope(actor: Actor) -> ColumnElement[bool]:
    """Process instances the actor may list through the generic instance API."""
    if actor.role in ("admin", "process_owner"):
        return true()
    if actor.role.startswith("social_team"):
        return ProcessInstance.municipality == actor.organisation
    if actor.role.startswith("corporation"):
        return ProcessInstance.corporation == actor.organisation
    return false()


def may_see_instance_data(actor: Actor) -> bool:
    """Process owners see diagrams and progress, never a household's data."""
    return actor.role == "admin"


def may_deploy(actor: Actor) -> bool:
    return actor.role in ("process_owner", "admin")


def may_start_instances(actor: Actor) -> bool:
    return actor.role in ("process_owner", "admin")


def may_send_messages(actor: Actor) -> bool:
    return actor.role in ("corporation", "corporation_lead", "admin") or actor.is_machine


def claimable(actor: Actor, task: HumanTask) -> bool:
    lanes = QUEUE_LANES.get(actor.role, ())
    return actor.role == "admin" or task.role in lanes


def visible_combined(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return or_(*conditions)
