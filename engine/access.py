"""Need-to-know: who is acting, and which rows they may see, as SQL filters.

Every read function applies these filters, so a row an actor may not see is simply not found
(and the edge answers 404, never 403, so its existence does not leak).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    exists,
    false,
    insert,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from engine.models import AccessLog, Case, HumanTask, ProcessInstance

if TYPE_CHECKING:
    from engine.context import EngineContext

ROLES = ("corporation", "corporation_lead", "social_team", "social_team_lead",
         "budget_advice", "budget_advice_lead", "care_referral", "care_referral_lead",
         "process_owner", "manager", "privacy_officer", "admin")
#: The roles whose members work tasks, and the task lanes each may see in its team queue.
QUEUE_LANES: dict[str, tuple[str, ...]] = {
    "corporation": ("corporation",),
    "corporation_lead": ("corporation", "corporation_lead"),
    "social_team": ("social_team",),
    "social_team_lead": ("social_team", "social_team_lead"),
    "budget_advice": ("budget_advice",),
    # the desks' leads: their team's tasks, and the escalations of their team's late tasks
    "budget_advice_lead": ("budget_advice", "budget_advice_lead"),
    "care_referral": ("care_referral",),
    "care_referral_lead": ("care_referral", "care_referral_lead"),
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
    return _task_scope(actor.role, actor.organisation)


#: The bound parameter that ``bound_task_scope`` leaves for the actor's organisation.
SCOPE_ORGANISATION = "scope_organisation"


@lru_cache(maxsize=32)
def bound_task_scope(role: str) -> ColumnElement[bool]:
    """``task_scope`` for every actor of ``role``, the organisation left as a bound parameter
    (see ``scope_parameters``), for statements built once and reused."""
    return _task_scope(role, bindparam(SCOPE_ORGANISATION))


def scope_parameters(actor: Actor) -> dict[str, str]:
    return {SCOPE_ORGANISATION: actor.organisation}


def _task_scope(role: str, organisation: Any) -> ColumnElement[bool]:
    if role == "admin":
        return true()
    lanes = QUEUE_LANES.get(role)
    if not lanes:
        return false()
    in_lanes = HumanTask.role.in_(lanes)
    if role.startswith("social_team"):
        return and_(in_lanes, HumanTask.municipality == organisation)
    if role.startswith("corporation"):
        return and_(in_lanes, HumanTask.corporation == organisation)
    return in_lanes


def task_visible(actor: Actor, role: str | None, municipality: str | None,
                 corporation: str | None) -> bool:
    """``task_scope`` for one task already in hand (no query)."""
    if actor.role == "admin":
        return True
    if role not in QUEUE_LANES.get(actor.role, ()):
        return False
    if actor.role.startswith("social_team"):
        return municipality == actor.organisation
    if actor.role.startswith("corporation"):
        return corporation == actor.organisation
    return True


def instance_scope(actor: Actor) -> ColumnElement[bool]:
    """Process instances the actor may list through the generic instance API.

    That API is the process's own view: which process runs, at which step, with which error.
    Only those who may see a case's steps get it: administrators, process owners (progress
    without data) and the social team of the case's municipality. A corporation sees a case as
    milestones only (domain.md §6), through the case API: a step name (``sdd_intake``) or a
    referral process's id would tell it of a referral, so it sees no instances here, like the
    referral desks, managers and machine tokens.
    """
    if actor.role in ("admin", "process_owner"):
        return true()
    if actor.role in ("social_team", "social_team_lead"):
        return ProcessInstance.municipality == actor.organisation
    return false()


def may_see_instance_data(actor: Actor) -> bool:
    """Process owners see diagrams and progress, never a household's data."""
    return actor.role == "admin"


def may_deploy(actor: Actor) -> bool:
    return actor.role in ("process_owner", "admin")


def may_start_instances(actor: Actor) -> bool:
    return actor.role in ("process_owner", "admin")


def may_send_messages(actor: Actor) -> bool:
    """Corporation staff, admins, and the machine tokens of corporations and municipalities
    send external messages; every other role (and any other organisation's token) may not."""
    if actor.role == "admin":
        return True
    if actor.organisation_kind == "corporation":
        return actor.role in ("corporation", "corporation_lead")
    return actor.organisation_kind == "municipality" and actor.is_machine


def message_case_scope(actor: Actor) -> ColumnElement[bool]:
    """Cases an actor may send a message about: a corporation's own, a municipality's own,
    all for an admin, none for anyone else (``may_send_messages`` refuses them first)."""
    if not may_send_messages(actor):
        return false()
    if actor.role == "admin":
        return true()
    if actor.organisation_kind == "corporation":
        return Case.corporation == actor.organisation
    return Case.municipality == actor.organisation


def claimable(actor: Actor, task: HumanTask) -> bool:
    lanes = QUEUE_LANES.get(actor.role, ())
    return actor.role == "admin" or task.role in lanes


# --- cases: who may see which household ---------------------------------------------------

#: How much of a case each role sees (domain.md §6). Roles not listed see no case at all.
CASE_VIEWS: dict[str, str] = {
    "social_team": "full",
    "social_team_lead": "full",
    "admin": "full",
    "corporation": "milestones",
    "corporation_lead": "milestones",
    "budget_advice": "referral",
    "budget_advice_lead": "referral",
    "care_referral": "referral",
    "care_referral_lead": "referral",
}
#: The task lane whose presence on a case refers it to a role (SDD and the Meldpunt).
REFERRAL_LANES = {"budget_advice": "budget_advice", "budget_advice_lead": "budget_advice",
                  "care_referral": "care_referral", "care_referral_lead": "care_referral"}


def case_view_kind(actor: Actor) -> str | None:
    """``full``, ``milestones``, ``referral``, or None when the role sees no households."""
    return CASE_VIEWS.get(actor.role)


def case_scope(actor: Actor) -> ColumnElement[bool]:
    """Cases (households) the actor may see at all; everything else is "not found"."""
    if actor.role == "admin":
        return true()
    if actor.role in ("social_team", "social_team_lead"):
        return Case.municipality == actor.organisation
    if actor.role in ("corporation", "corporation_lead"):
        return Case.corporation == actor.organisation
    lane = REFERRAL_LANES.get(actor.role)
    if lane is not None:
        # Referred, and the desk's part or the case still runs: once both are closed its
        # access to the household ends (``own_package_scope`` keeps its own package).
        return and_(_referred(lane), or_(Case.closed.is_(False), _lane_still_open(lane)))
    return false()


def own_package_scope(actor: Actor) -> ColumnElement[bool]:
    """Closed cases whose referral to the actor's desk is over (the case closed, every task
    of its lane done): the desk no longer sees the household, only its own referral package
    and what it recorded itself (``cases.get_case`` shows that cut, and logs the read)."""
    lane = REFERRAL_LANES.get(actor.role)
    if lane is None:
        return false()
    return and_(_referred(lane), Case.closed.is_(True), ~_lane_still_open(lane))


def _referred(lane: str) -> ColumnElement[bool]:
    """A task of ``lane`` exists on the case: the case was referred to that desk."""
    return exists(select(HumanTask.id).where(HumanTask.case_number == Case.case_number,
                                             HumanTask.role == lane))


def _lane_still_open(lane: str) -> ColumnElement[bool]:
    """A task of ``lane`` on the case is still to be done."""
    return exists(select(HumanTask.id).where(HumanTask.case_number == Case.case_number,
                                             HumanTask.role == lane,
                                             HumanTask.state.in_(("open", "claimed"))))


def may_report_signals(actor: Actor) -> bool:
    """Corporation staff and corporation machine tokens report tenants (never on behalf of
    another corporation)."""
    return actor.role in ("corporation", "corporation_lead") and \
        actor.organisation_kind == "corporation"


def may_assign(actor: Actor) -> bool:
    return actor.role in ("social_team_lead", "corporation_lead", "budget_advice_lead",
                          "care_referral_lead", "admin")


def record_access(session: Session, actor: Actor, at: datetime, case_numbers: list[str],
                  what: str) -> None:
    """Write one access-log row per case whose personal data the actor was shown."""
    if not case_numbers:
        return
    rows = [{"at": at, "user_id": actor.user_id, "username": actor.username[:100],
             "role": actor.role[:32], "organisation": actor.organisation[:64],
             "case_number": number[:100], "what": what[:200]} for number in case_numbers]
    session.execute(insert(AccessLog), rows)


#: How a refused attempt starts its ``what`` in the access log.
REFUSED = "refused: "
#: The case number of a refused attempt on an object that does not exist or has no case.
NO_CASE = "-"


def record_refusal(ctx: EngineContext, actor: Actor, what: str, reference: str,
                   case_number: str | None) -> None:
    """Log an attempt on an object outside the actor's scope, for the privacy officer.

    Called wherever a scoped lookup answers "not found", before raising ``NotFound``. The row
    is written in a transaction of its own: the refused request rolls back with its 404, the
    row must stay. It is written for a missing object too (``case_number`` None: the reference
    asked for is kept in ``what``), so the refusal costs the same work whether or not the
    object exists and neither the answer nor its timing tells them apart.
    """
    # The reference is whatever was asked for: keep only what every database can store.
    shown = "".join(c for c in reference[:100] if c.isprintable())
    with ctx.sessionmaker.begin() as own:
        record_access(own, actor, ctx.clock.now(), [case_number or NO_CASE],
                      f"{REFUSED}{what} {shown}")
