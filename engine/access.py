"""Need-to-know: who is acting, and which rows they may see, as SQL filters.

The engine knows no roles of its own: the domain installs its policy (``install_policy``, one
``RoleRule`` per role; the chain's is ``engine.chain.policy``) and every filter and check here
reads it. Every read function applies these filters, so a row an actor may not see is simply
not found (and the edge answers 404, never 403, so its existence does not leak).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    exists,
    false,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from engine import access_log
from engine.models import BreakGlassGrant, Case, HumanTask, ProcessInstance

if TYPE_CHECKING:
    from engine.context import EngineContext

# --- the policy: installed by the domain on top of the engine -------------------------------

#: How far a role's rows reach: every row, its own corporation's, its own municipality's,
#: only what was referred to its desk, or none.
ALL_ROWS, OWN_CORPORATION, OWN_MUNICIPALITY, REFERRED, NO_ROWS = (
    "all", "own_corporation", "own_municipality", "referred", "none")

#: What a role may do beyond reading (``RoleRule.may``).
DEPLOY = "deploy"
START_INSTANCES = "start_instances"
INSTANCE_DATA = "instance_data"
SEND_MESSAGES = "send_messages"
REPORT_SIGNALS = "report_signals"
ASSIGN = "assign"
RETRY_INSTANCES = "retry_instances"
#: Suspend, resume and terminate an instance with a reason (the chain's policy gives it to the
#: administrator).
MANAGE_INSTANCES = "manage_instances"
#: Edit, approve, publish and migrate the process models (the process owners' workspace).
EDIT_PROCESSES = "edit_processes"
#: Read the chain's figures and follow every process instance by case number, without its
#: data (the cockpit's readers: counts and progress, never a household's name, address or
#: notes, domain.md §6).
READ_FIGURES = "read_figures"
#: Ask for time-limited access to one case outside one's own scope, with a reason (break-glass,
#: ``engine.break_glass``); ``case_scope`` then includes the case until the grant expires.
BREAK_GLASS = "break_glass"


@dataclass(frozen=True)
class RoleRule:
    """One role's row of the need-to-know policy, as the engine's filters read it.

    ``lanes``: the task lanes of its team queue (the first is the lane that refers a case to
    a ``REFERRED`` role); ``rows``: which cases and tasks it sees (``ALL_ROWS`` …);
    ``case_view``: how much of a case it sees (``full``, ``milestones``, ``referral``, or None
    for no households); ``instances``: which process instances it lists (``all``, ``rows`` by
    its row scope, ``none``); ``may``: what it may do; ``kinds``: the organisation kinds whose
    members hold the role's ``may`` and ``rows`` (empty: any).
    """

    lanes: tuple[str, ...] = ()
    rows: str = NO_ROWS
    case_view: str | None = None
    instances: str = "none"
    may: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    #: False for a role only machine tokens act in (no person is given it)
    persons: bool = True
    #: the lanes whose tasks a limited view of a case shows (None: ``lanes``)
    case_lanes: tuple[str, ...] | None = None


#: The rule of a role the installed policy does not know: nothing.
NOTHING = RoleRule()


@dataclass(frozen=True)
class Policy:
    roles: Mapping[str, RoleRule] = field(default_factory=dict)
    #: per referral lane, the boolean column of ``Case`` that records the referral (set when
    #: the lane's first task is made): the desk's scope reads it through its partial index
    #: instead of looking for the lane's tasks; a lane without one is looked up in the tasks
    referral_flags: Mapping[str, str] = field(default_factory=dict)


_installed: list[Policy] = [Policy()]


def install_policy(policy: Policy) -> None:
    """Make ``policy`` the one every filter and check reads (the domain installs it at
    start-up, ``engine.chain.install``); until then nobody may see or do anything."""
    _installed[0] = policy
    _task_scope_cached.cache_clear()


def policy() -> Policy:
    return _installed[0]


def rule(role: str) -> RoleRule:
    return _installed[0].roles.get(role, NOTHING)


def roles() -> tuple[str, ...]:
    """The roles a person can have, in the policy's order."""
    return tuple(name for name, r in _installed[0].roles.items() if r.persons)


def queue_lanes(role: str) -> tuple[str, ...]:
    return rule(role).lanes


def caseworker_lanes() -> tuple[str, ...]:
    """Every lane a task can be in: the roles whose members work tasks."""
    return tuple(role for role, r in _installed[0].roles.items() if r.lanes)


def receives_referrals(role: str) -> bool:
    """Whether ``role`` is a desk whose rows are what was referred to it (``REFERRED``): its
    queue spans the whole region (so it may narrow it to one municipality) and puts the tasks
    of urgent referrals first."""
    return rule(role).rows == REFERRED


def referral_lanes() -> tuple[str, ...]:
    """The lanes whose tasks refer a case to a desk (the first lane of each ``REFERRED``
    role), in the policy's order."""
    found: list[str] = []
    for r in _installed[0].roles.values():
        if r.rows == REFERRED and r.lanes and r.lanes[0] not in found:
            found.append(r.lanes[0])
    return tuple(found)


def case_lanes(role: str) -> tuple[str, ...]:
    """The lanes whose tasks a limited view of a case shows ``role`` (its timeline, its open
    tasks): ``RoleRule.case_lanes``, or else its own lanes."""
    found = rule(role)
    return found.case_lanes if found.case_lanes is not None else found.lanes


def team_roles(role: str) -> tuple[str, ...]:
    """The roles of ``role``'s team: those whose queue starts with the same lane (a desk and
    its lead, the social team and its coordinator); none for a role that works no lane."""
    own = rule(role).lanes
    if not own:
        return ()
    return tuple(name for name, r in _installed[0].roles.items()
                 if r.lanes and r.lanes[0] == own[0])


def roles_that(capability: str) -> tuple[str, ...]:
    """The roles whose rule holds ``capability`` (for a filter on people, ``User.role``)."""
    return tuple(name for name, r in _installed[0].roles.items() if capability in r.may)


def may(actor: Actor, capability: str) -> bool:
    """Whether ``actor``'s role holds ``capability`` (and the actor belongs to an organisation
    of a kind the role is for)."""
    found = rule(actor.role)
    return capability in found.may and (not found.kinds or actor.organisation_kind in found.kinds)


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


def bound_task_scope(role: str) -> ColumnElement[bool]:
    """``task_scope`` for every actor of ``role``, the organisation left as a bound parameter
    (see ``scope_parameters``), for statements built once and reused."""
    return _task_scope_cached(role)


@lru_cache(maxsize=32)
def _task_scope_cached(role: str) -> ColumnElement[bool]:
    return _task_scope(role, bindparam(SCOPE_ORGANISATION))


def scope_parameters(actor: Actor) -> dict[str, str]:
    return {SCOPE_ORGANISATION: actor.organisation}


def _task_scope(role: str, organisation: Any) -> ColumnElement[bool]:
    found = rule(role)
    if found.rows == ALL_ROWS:
        return true()
    if not found.lanes or found.rows == NO_ROWS:
        return false()
    in_lanes = HumanTask.role.in_(found.lanes)
    if found.rows == OWN_MUNICIPALITY:
        return and_(in_lanes, HumanTask.municipality == organisation)
    if found.rows == OWN_CORPORATION:
        return and_(in_lanes, HumanTask.corporation == organisation)
    return in_lanes


def task_visible(actor: Actor, role: str | None, municipality: str | None,
                 corporation: str | None) -> bool:
    """``task_scope`` for one task already in hand (no query)."""
    found = rule(actor.role)
    if found.rows == ALL_ROWS:
        return True
    if role not in found.lanes or found.rows == NO_ROWS:
        return False
    if found.rows == OWN_MUNICIPALITY:
        return municipality == actor.organisation
    if found.rows == OWN_CORPORATION:
        return corporation == actor.organisation
    return True


def instance_scope(actor: Actor) -> ColumnElement[bool]:
    """Process instances the actor may list through the generic instance API.

    That API is the process's own view: which process runs, at which step, with which error.
    Only roles whose rule lists instances get it (``RoleRule.instances``): ``all``, or
    ``rows`` — those of its municipality.
    """
    found = rule(actor.role)
    if found.instances == "all":
        return true()
    if found.instances == "rows" and found.rows == OWN_MUNICIPALITY:
        return ProcessInstance.municipality == actor.organisation
    return false()


def tracking_scope(actor: Actor) -> ColumnElement[bool]:
    """Instances the actor may follow: ``instance_scope``, and every instance for the readers
    of the figures (managers see case numbers and progress, never the data:
    ``may_see_instance_data``)."""
    if may(actor, READ_FIGURES):
        return true()
    return instance_scope(actor)


def may_manage_instances(actor: Actor) -> bool:
    return may(actor, MANAGE_INSTANCES)


def may_see_instance_data(actor: Actor) -> bool:
    """Process owners see diagrams and progress, never a household's data."""
    return may(actor, INSTANCE_DATA)


def may_deploy(actor: Actor) -> bool:
    return may(actor, DEPLOY)


def may_start_instances(actor: Actor) -> bool:
    return may(actor, START_INSTANCES)


def may_retry_instances(actor: Actor) -> bool:
    """Re-running a failed step: the role that runs the application."""
    return may(actor, RETRY_INSTANCES)


def may_send_messages(actor: Actor) -> bool:
    """External messages: only roles (and machine tokens) whose rule says so."""
    return may(actor, SEND_MESSAGES)


def message_case_scope(actor: Actor) -> ColumnElement[bool]:
    """Cases an actor may send a message about: its own rows (``may_send_messages`` refuses
    everyone else first)."""
    if not may_send_messages(actor):
        return false()
    rows = rule(actor.role).rows
    if rows == ALL_ROWS:
        return true()
    if rows == OWN_CORPORATION:
        return Case.corporation == actor.organisation
    if rows == OWN_MUNICIPALITY:
        return Case.municipality == actor.organisation
    return false()


#: Tasks only a person decides, never an organisation's machine token: accepting or refusing
#: a payment arrangement commits the corporation to a tenant's repayment for months.
PERSON_ONLY_TASKS = frozenset({"review_payment_arrangement"})


def claimable(actor: Actor, task: HumanTask) -> bool:
    if actor.is_machine and task.bpmn_id in PERSON_ONLY_TASKS:
        return False
    found = rule(actor.role)
    return found.rows == ALL_ROWS or task.role in found.lanes


# --- cases: who may see which household ---------------------------------------------------

def case_view_kind(actor: Actor) -> str | None:
    """``full``, ``milestones``, ``referral``, or None when the role sees no households."""
    return rule(actor.role).case_view


def referral_lane(actor: Actor) -> str | None:
    """The task lane whose presence on a case refers it to the actor's desk, or None when
    the role's cases are not referred to it."""
    found = rule(actor.role)
    return found.lanes[0] if found.rows == REFERRED and found.lanes else None


def case_scope(actor: Actor, now: datetime | None = None) -> ColumnElement[bool]:
    """Cases (households) the actor may see at all; everything else is "not found".

    Given ``now``, a case the actor holds an unexpired break-glass grant for is in scope too
    (``engine.break_glass``)."""
    own = _own_case_scope(actor)
    if now is None or actor.is_machine or not may(actor, BREAK_GLASS):
        return own
    granted = exists(select(BreakGlassGrant.id).where(
        BreakGlassGrant.user_id == actor.user_id,
        BreakGlassGrant.case_number == Case.case_number, BreakGlassGrant.expires_at > now))
    return or_(own, granted)


def list_case_scope(session: Session, actor: Actor, now: datetime) -> ColumnElement[bool]:
    """``case_scope`` for a list of cases: the actor's unexpired break-glass grants are read
    first (usually there are none), so the condition is the role's own alone and a list reads
    its index in order; an ``OR EXISTS`` over the grants made PostgreSQL scan and sort every
    case of the table instead (issue 14: 320 ms at 100,000 cases)."""
    own = _own_case_scope(actor)
    if actor.is_machine or not may(actor, BREAK_GLASS):
        return own
    granted = session.scalars(select(BreakGlassGrant.case_number).where(
        BreakGlassGrant.user_id == actor.user_id, BreakGlassGrant.expires_at > now)).all()
    return or_(own, Case.case_number.in_(granted)) if granted else own


def _own_case_scope(actor: Actor) -> ColumnElement[bool]:
    found = rule(actor.role)
    if found.case_view is None:
        return false()
    if found.rows == ALL_ROWS:
        return true()
    if found.rows == OWN_MUNICIPALITY:
        return Case.municipality == actor.organisation
    if found.rows == OWN_CORPORATION:
        return Case.corporation == actor.organisation
    lane = referral_lane(actor)
    if lane is not None:
        # Referred, and the desk's part or the case still runs: once both are closed its
        # access to the household ends (``own_package_scope`` keeps its own package).
        return and_(_referred(lane), or_(Case.closed.is_(False), _lane_still_open(lane)))
    return false()


def own_package_scope(actor: Actor) -> ColumnElement[bool]:
    """Closed cases whose referral to the actor's desk is over (the case closed, every task
    of its lane done): the desk no longer sees the household, only its own referral package
    and what it recorded itself (``cases.get_case`` shows that cut, and logs the read)."""
    lane = referral_lane(actor)
    if lane is None:
        return false()
    return and_(_referred(lane), Case.closed.is_(True), ~_lane_still_open(lane))


def _referred(lane: str) -> ColumnElement[bool]:
    """The case was referred to the desk of ``lane``: its flag (``Policy.referral_flags``,
    indexed), else a task of ``lane`` exists on the case."""
    flag = _installed[0].referral_flags.get(lane)
    if flag is not None:
        # the bare column (``= 1`` on SQLite): what the partial index's condition says
        column: ColumnElement[bool] = getattr(Case, flag)
        return column
    return exists(select(HumanTask.id).where(HumanTask.case_number == Case.case_number,
                                             HumanTask.role == lane))


def _lane_still_open(lane: str) -> ColumnElement[bool]:
    """A task of ``lane`` on the case is still to be done."""
    return exists(select(HumanTask.id).where(HumanTask.case_number == Case.case_number,
                                             HumanTask.role == lane,
                                             HumanTask.state.in_(("open", "claimed"))))


def may_report_signals(actor: Actor) -> bool:
    """Reporting tenants: the roles (and organisation kinds) whose rule says so."""
    return may(actor, REPORT_SIGNALS)


def may_assign(actor: Actor) -> bool:
    return may(actor, ASSIGN)


def record_access(session: Session, actor: Actor, at: datetime, case_numbers: list[str],
                  what: str) -> None:
    """Log one read that showed the actor these cases' personal data: one access-log row
    with its case numbers (``engine.access_log``); a read that showed none is not logged."""
    if not case_numbers:
        return
    access_log.append(session, _entry(actor, at, case_numbers, what))


def record_audit_read(session: Session, actor: Actor, at: datetime, case_numbers: list[str],
                      what: str) -> None:
    """Log a read of the access log itself (the privacy officer's searches, patterns and
    exports): always a row, with the case numbers it showed, even when it showed none."""
    access_log.append(session, _entry(actor, at, case_numbers, what))


def _entry(actor: Actor, at: datetime, case_numbers: list[str], what: str) -> access_log.Entry:
    numbers = tuple(dict.fromkeys(number[:100] for number in case_numbers))
    return access_log.Entry(at=at, user_id=actor.user_id, username=actor.username[:100],
                            role=actor.role[:32], organisation=actor.organisation[:64],
                            what=what[:200], case_numbers=numbers)


#: How a refused attempt starts its ``what`` in the access log.
REFUSED = "refused: "
#: How a search shows the case of a refused attempt on an object that does not exist or has
#: no case (the row has no case numbers).
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
        access_log.append(own, _entry(actor, ctx.clock.now(),
                                      [case_number] if case_number else [],
                                      f"{REFUSED}{what} {shown}"))
