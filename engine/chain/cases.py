"""Cases as each role may see them: list, detail, timeline, milestones, corporation reports.

Every read goes through ``access.case_scope``, so another scope's case is ``NotFound``; the
shape of what comes back follows ``access.case_view_kind`` (``full`` for the social team,
``milestones`` for the corporation, ``referral`` for SDD and the Meldpunt). Every read that
shows a household's personal data writes access-log rows in the caller's transaction.

The milestone a corporation sees is derived from the chain's own variables (``picked_up``,
``contact_made``, ``help_wanted``, ``case_closed``) by ``after_step``, a hook the runtime calls
after every step on a case's instance.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NoReturn, cast
from uuid import UUID

from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import Select, Table, and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from engine import cursors, messages, notifications, runtime
from engine.access import (
    Actor,
    case_lanes,
    case_scope,
    case_view_kind,
    list_case_scope,
    may,
    own_package_scope,
    record_access,
    record_refusal,
    referral_lane,
    referral_lanes,
    roles_that,
    task_scope,
)
from engine.chain import (
    arrangements,
    case_file,
    figures,
    households,
    policy,
    referral_packages,
)
from engine.chain.municipalities import normalise_postcode
from engine.chain.national_results import corporation_outcome, is_national_result
from engine.context import EngineContext
from engine.errors import InvalidInput, NotAllowed, NotFound
from engine.forms import validate
from engine.models import Case, Event, HumanTask, Organisation, ProcessInstance, User
from engine.search import name_or_address, starts_with
from engine.views import Page

MAX_PAGE = 200
MAX_TIMELINE = 500

#: Dutch and English labels of the milestones (domain.md §6; the corporation sees these).
MILESTONE_LABELS: dict[str, tuple[str, str]] = {
    "received": ("Ontvangen", "Received"),
    "picked_up": ("Opgepakt", "Picked up"),
    "contact_made": ("Contact gelegd", "Contact made"),
    "help_accepted": ("Hulp geaccepteerd", "Help accepted"),
    "help_declined": ("Geen hulp gewenst", "Help declined"),
    "closed": ("Afgesloten", "Closed"),
    "not_picked_up": ("Niet opgepakt", "Not picked up"),
}

#: The generic outcomes of a closed case a corporation may learn (domain.md §1.4 and §6): the
#: process's ``corporation_feedback`` is taken only when it is one of these, so a reason
#: behind "not picked up" or anything of the assessment never reaches the corporation, even
#: from a changed diagram. Dutch text as the process writes it -> English.
OUTCOME_LABELS: dict[str, str] = {
    "Afgesloten: achterstand ingelopen": "Closed: arrears paid",
    "Afgesloten: hulp geaccepteerd": "Closed: help accepted",
    "Afgesloten: geen hulp gewenst": "Closed: help declined",
    "Afgesloten: geen contact": "Closed: no contact",
    "Afgesloten: verhuisd": "Closed: moved",
    "Afgesloten: ontruimd": "Closed: evicted",
    "Afgesloten": "Closed",
    "Niet opgepakt: herhaalde melding": "Not picked up: repeated signal",
    "Niet opgepakt": "Not picked up",
}

#: How a tenant left the home without an eviction (message ``tenant_left``): (NL, EN).
LEFT_HOW: dict[str, tuple[str, str]] = {
    "keys_handed_in": ("Sleutels ingeleverd", "Keys handed in"),
    "left_without_notice": ("Met onbekende bestemming vertrokken", "Left without notice"),
}

#: What a corporation reports on its tenant's case: message name -> (NL, EN, payload schema).
CORPORATION_MESSAGES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "arrears_resolved": ("Achterstand ingelopen", "Arrears paid", {}),
    "arrangement_payment_received": (
        "Termijn betalingsregeling ontvangen", "Arrangement instalment received",
        {"properties": {"received_on": {"type": "string", "format": "date"},
                        "amount": {"type": "number", "minimum": 0, "maximum": 100000}}}),
    "arrangement_broken": ("Betalingsregeling niet nagekomen", "Payment arrangement broken",
                           {"properties": {"broken_on": {"type": "string", "format": "date"}}}),
    "court_summons": ("Dagvaarding uitgebracht", "Court summons issued",
                      {"required": ["hearing_date"],
                       "properties": {"hearing_date": {"type": "string", "format": "date"}}}),
    "judgment": ("Vonnis gewezen", "Judgment given",
                 {"properties": {"judgment_date": {"type": "string", "format": "date"},
                                 "outcome": {"type": "string", "maxLength": 100}}}),
    "eviction_date_set": ("Ontruimingsdatum bepaald", "Eviction date set",
                          {"required": ["eviction_date"],
                           "properties": {"eviction_date": {"type": "string",
                                                            "format": "date"}}}),
    "eviction_postponed": ("Ontruiming uitgesteld", "Eviction postponed",
                           {"required": ["eviction_date"],
                            "properties": {"eviction_date": {"type": "string",
                                                             "format": "date"}}}),
    "eviction_cancelled": ("Ontruiming geannuleerd", "Eviction cancelled", {}),
    "eviction_executed": ("Ontruiming uitgevoerd", "Eviction executed", {}),
    "tenant_left": ("Huurder vertrokken", "Tenant left",
                    {"required": ["how"],
                     "properties": {"how": {"enum": list(LEFT_HOW)},
                                    "left_on": {"type": "string", "format": "date"}}}),
    # a move within the same municipality keeps the case (issue 10): say where to, if known
    "tenant_moved": ("Huurder verhuisd", "Tenant moved",
                     {"properties": {"new_municipality": {"type": "string", "minLength": 1,
                                                          "maxLength": 100}}}),
}
#: Events that cannot be undone: the corporation's page asks for explicit confirmation
#: (``CONFIRM_FIELD``) before sending one.
IRREVERSIBLE_EVENTS = frozenset({"eviction_executed"})
CONFIRM_FIELD = "confirm_irreversible"
_PAYLOADS = {name: Draft202012Validator({"type": "object", "additionalProperties": False,
                                         "properties": {}, **schema},
                                        format_checker=FormatChecker())
             for name, (_nl, _en, schema) in CORPORATION_MESSAGES.items()}


@dataclass(frozen=True)
class CaseView:
    """A case as one role may see it; a field the role may not see is None."""

    case_number: str
    view: str
    municipality: str
    corporation: str
    milestone: str
    closed: bool
    created_at: datetime
    synthetic: bool
    external_id: str | None = None
    tenant_name: str | None = None
    street: str | None = None
    house_number: str | None = None
    postcode: str | None = None
    city: str | None = None
    phone: str | None = None
    email: str | None = None
    date_of_birth: date | None = None
    arrears_amount: Decimal | None = None
    arrears_months: int | None = None
    arrears_since: date | None = None
    monthly_rent: Decimal | None = None
    crisis: bool | None = None
    warm_handover: bool | None = None
    duplicate: bool | None = None
    hearing_date: date | None = None
    eviction_date: date | None = None
    #: a signal for an address whose case closed in the last 12 months (engine.chain.households)
    repeat: bool | None = None
    #: how the case began: ``reopened:<event>``, ``legal_event:<event>``, ``arrears_increased``
    opened_by: str | None = None
    known_sdd_trajectory: bool | None = None
    #: the household's earlier cases this one links back to, newest first (case detail only)
    history: tuple[households.EarlierCase, ...] = ()
    referred_to_sdd: bool | None = None
    referred_to_care: bool | None = None
    #: the referral packages the reader may see, newest first (case detail only)
    referrals: tuple[case_file.FileRecord, ...] = ()
    #: the services asked of the SDD, (Dutch, English), oldest first (case detail only)
    sdd_services: tuple[tuple[str, str], ...] = ()
    #: the generic outcome of a closed case (``OUTCOME_LABELS``), for everyone who sees it
    outcome: str | None = None
    #: the national result (DDAS ``EnumEindresultaat``) of a closed case: the social team only
    national_result: str | None = None
    #: who holds the case (the social team only): None is the team queue
    holder_id: int | None = None
    holder_name: str | None = None


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    label: str
    actor: str | None = None


@dataclass(frozen=True)
class OpenTask:
    id: str
    name: str
    role: str | None
    state: str
    due_at: datetime | None


@dataclass(frozen=True)
class CaseDetail:
    case: CaseView
    timeline: list[TimelineEntry]
    open_tasks: list[OpenTask] = field(default_factory=list)
    #: what every completed task recorded, as far as the reader may see (``engine.chain.case_file``)
    file: list[case_file.FileRecord] = field(default_factory=list)
    #: the referral packages the reader may read, every version, newest first per recipient
    packages: list[referral_packages.PackageView] = field(default_factory=list)
    #: where the case's payment arrangement stands (those who read arrangements)
    arrangement: arrangements.ArrangementStatus | None = None

    @property
    def file_sections(self) -> list[case_file.Section]:
        """The file grouped for showing (a run of contact attempts is one list)."""
        return case_file.sections(self.file)


#: A desk's referral that is over on a closed case: its own package, no household data.
PACKAGE = "package"


def _view_key(actor: Actor) -> str:
    kind = case_view_kind(actor)
    if kind is None:
        raise NotFound("case not found")
    return f"referral_{actor.role}" if kind == "referral" else kind


def case_view(case: Case, actor: Actor, key: str | None = None) -> CaseView:
    """The case cut down to what ``actor``'s role may see (or to the view ``key``)."""
    key = key or _view_key(actor)
    # The fields of the case's own data categories the role reads (domain.md §6).
    names = () if key == PACKAGE else policy.header_fields(actor.role)
    shown = {name: getattr(case, name) for name in names}
    return CaseView(case_number=case.case_number, view=key.split("_")[0],
                    municipality=case.municipality, corporation=case.corporation,
                    milestone=case.milestone, closed=case.closed, created_at=case.created_at,
                    synthetic=case.synthetic, **shown)


def _scoped(ctx: EngineContext, session: Session, actor: Actor, case_number: str,
            what: str) -> Case:
    """The case, if the actor may see it; else the attempt is logged (see ``record_refusal``)
    and the answer is the same ``NotFound`` as for a missing case."""
    case = _in_scope(session, actor, case_number)
    if case is None:
        _refuse(ctx, session, actor, case_number, what)
    return case


def _in_scope(session: Session, actor: Actor, case_number: str,
              now: datetime | None = None) -> Case | None:
    """The case if in the actor's scope (given ``now``: or under an active break-glass
    grant, which opens a case to read, not to act on)."""
    if case_view_kind(actor) is None:
        return None
    return session.scalars(select(Case).where(Case.case_number == case_number,
                                              case_scope(actor, now))).first()


def _refuse(ctx: EngineContext, session: Session, actor: Actor, case_number: str,
            what: str) -> NoReturn:
    """Log the refused attempt (``record_refusal``) and answer as for a missing case."""
    existing = session.scalar(select(Case.case_number).where(Case.case_number == case_number))
    record_refusal(ctx, actor, what, case_number, existing)
    raise NotFound("case not found")


def search_filter(query: str, dialect: str) -> Any:
    """Case number (prefix), postcode (prefix) or name or address (part), decided by the
    query's shape; each through an index on ``dialect`` (``engine.search``)."""
    text = query.strip()
    postcode = normalise_postcode(text)
    if postcode is not None:
        return Case.postcode == postcode
    # ASCII digits only ("²".isdigit() is true); % and _ are matched as themselves.
    if re.fullmatch("[0-9]{4}", text):
        # normalised "1234 AB": a range on the address index
        return Case.postcode.between(f"{text} AA", f"{text} ZZ")
    if re.search("[0-9]", text) and "-" in text:
        return starts_with(Case.case_number, text.upper())
    return name_or_address(text, dialect)


def list_cases(ctx: EngineContext, session: Session, actor: Actor, search: str | None = None,
               milestone: str | None = None, open_only: bool = False,
               cursor: str | None = None, limit: int = 50,
               what: str = "case list") -> Page[CaseView]:
    """The actor's cases, newest first, keyset-paged on (created_at, id)."""
    if case_view_kind(actor) is None:
        return Page([], None)
    limit = max(1, min(limit, MAX_PAGE))
    query: Select[tuple[Case]] = select(Case).where(
        list_case_scope(session, actor, ctx.clock.now()))
    if search and search.strip():
        query = query.where(search_filter(search, session.get_bind().dialect.name))
    if milestone:
        query = query.where(Case.milestone == milestone)
    if open_only:
        query = query.where(Case.closed.is_(False))
    if cursor:
        after, after_id = cursors.moment_and_id(cursor)
        query = query.where(or_(Case.created_at < after,
                                and_(Case.created_at == after, Case.id < after_id)))
    rows = session.scalars(query.order_by(Case.created_at.desc(), Case.id.desc())
                           .limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    record_access(session, actor, ctx.clock.now(), [r.case_number for r in rows], what)
    next_cursor = (f"{rows[-1].created_at.isoformat()}|{rows[-1].id}" if more and rows
                   else None)
    return Page([case_view(r, actor) for r in rows], next_cursor)


def get_case(ctx: EngineContext, session: Session, actor: Actor, case_number: str,
             what: str = "case detail") -> CaseDetail:
    """One case with its timeline, as the actor's role may see it.

    :raise NotFound: no such case in the actor's scope (also for roles that see no households).
    """
    case = _in_scope(session, actor, case_number, ctx.clock.now())
    if case is None and referral_lane(actor) is not None:
        ended = session.scalars(select(Case).where(Case.case_number == case_number,
                                                   own_package_scope(actor))).first()
        if ended is not None:
            return _own_package(ctx, session, actor, ended)
    if case is None:
        _refuse(ctx, session, actor, case_number, what)
    record_access(session, actor, ctx.clock.now(), [case.case_number], what)
    records = case_file.case_file(ctx, session, actor, case.case_number)
    shown = case_view(case, actor)
    earlier = (households.history(session, case, None if shown.view == "full"
                                  else case.corporation)
               if shown.view in ("full", "milestones") else [])
    view = dataclasses.replace(shown, referrals=tuple(case_file.referral_packages(records)),
                               sdd_services=tuple(case_file.sdd_services(records)),
                               history=tuple(earlier))
    # Every task of the case, once: the open ones are listed, all of them name timeline rows.
    tasks = session.execute(
        select(HumanTask.id, HumanTask.name, HumanTask.role, HumanTask.state,
               HumanTask.due_at)
        .where(HumanTask.case_number == case.case_number)
        .order_by(HumanTask.created_at)).all()
    lanes = _timeline_lanes(actor)
    open_tasks = [OpenTask(t.id, t.name, t.role, t.state, t.due_at) for t in tasks
                  if t.state in runtime.OPEN_STATES and (lanes is None or t.role in lanes)]
    return CaseDetail(view, timeline(session, actor, case, tasks), open_tasks, file=records,
                      packages=referral_packages.visible(ctx, session, actor,
                                                         case.case_number),
                      arrangement=arrangements.status(session, actor, case.case_number))


#: What the access log says of a desk's read of its own package after its access ended.
OWN_PACKAGE_READ = "own referral package"
_TASK_EVENTS = ("task_ready", "task_completed", "task_assigned")


def _own_package(ctx: EngineContext, session: Session, actor: Actor, case: Case) -> CaseDetail:
    """A closed case whose referral to the actor's desk is over: no household data (name,
    address, contact, arrears, other records), only the desk's own referral package and what
    the desk recorded itself, and its own tasks in the timeline. The read is logged."""
    record_access(session, actor, ctx.clock.now(), [case.case_number], OWN_PACKAGE_READ)
    lanes = _timeline_lanes(actor) or ()
    records = [r for r in case_file.case_file(ctx, session, actor, case.case_number)
               if r.display == "referral" or r.role in lanes]
    view = dataclasses.replace(case_view(case, actor, PACKAGE),
                               referrals=tuple(case_file.referral_packages(records)),
                               sdd_services=tuple(case_file.sdd_services(records)))
    tasks = session.execute(
        select(HumanTask.id, HumanTask.name, HumanTask.role)
        .where(HumanTask.case_number == case.case_number, HumanTask.role.in_(lanes))
        .order_by(HumanTask.created_at)).all()
    entries = [e for e in timeline(session, actor, case, tasks) if e.kind in _TASK_EVENTS]
    return CaseDetail(view, entries, [], file=records,
                      packages=referral_packages.visible(ctx, session, actor,
                                                         case.case_number))


def _timeline_lanes(actor: Actor) -> tuple[str, ...] | None:
    """Whose tasks an actor sees on a case: all (None), or those of the lanes the policy
    gives its limited view (``case_lanes``: a desk's lead sees its desk's, the corporation's
    staff its team lead's)."""
    kind = case_view_kind(actor)
    if kind == "full":
        return None
    return case_lanes(actor.role)


_EVENT_LABELS = {
    "instance_started": ("Casus gestart", "Case started"),
    "instance_completed": ("Proces afgerond", "Process finished"),
    "timer_fired": ("Termijn verstreken", "Deadline passed"),
    "error": ("Fout in het proces", "Process error"),
}


def timeline(session: Session, actor: Actor, case: Case,
             tasks: Sequence[Any]) -> list[TimelineEntry]:
    """The case's history from its events, filtered to what the role may know; ``tasks`` are
    the case's human tasks (rows with id, name and role) that name the task events."""
    kind = case_view_kind(actor)
    lanes = _timeline_lanes(actor)
    names: dict[str, str] = {t.id: t.name for t in tasks}
    roles: dict[str, str | None] = {t.id: t.role for t in tasks}
    rows = session.scalars(
        select(Event).join(ProcessInstance, ProcessInstance.id == Event.instance_id)
        .where(ProcessInstance.business_key == case.case_number,
               Event.kind.in_(("instance_started", "instance_completed", "task_ready",
                               "task_completed", "task_assigned", "message_delivered",
                               "timer_fired", "error", "milestone", "case_reported",
                               RESULT_CORRECTED)))
        .order_by(Event.id).limit(MAX_TIMELINE)).all()
    entries = [TimelineEntry(case.created_at, "milestone", "received")]
    for event in rows:
        detail = event.detail or {}
        if event.kind == "milestone":
            entries.append(TimelineEntry(event.at, "milestone", str(detail.get("milestone"))))
        elif event.kind == RESULT_CORRECTED:
            if kind == "full":  # the national result is the social team's
                entries.append(TimelineEntry(event.at, "result_corrected",
                                             str(detail.get("to")), event.actor))
        elif event.kind == "case_reported":
            entries.append(TimelineEntry(event.at, "reported", str(detail.get("message")),
                                         event.actor))
        elif kind != "full" and (event.task_id is None or roles.get(event.task_id)
                                 not in (lanes or ())):
            continue
        elif event.kind in ("task_ready", "task_completed", "task_assigned"):
            label = names.get(event.task_id or "", event.element_id or "")
            entries.append(TimelineEntry(event.at, event.kind, label,
                                         event.actor if event.kind != "task_ready" else None))
        elif event.kind == "message_delivered":
            entries.append(TimelineEntry(event.at, "message", str(detail.get("message"))))
        else:
            entries.append(TimelineEntry(event.at, event.kind, event.kind))
    return entries


def after_step(ctx: EngineContext, session: Session, row: ProcessInstance,
               workflow: Any, ready: list[Any]) -> None:
    """Step hook: keep the case's milestone and referral flags in step with its instance,
    from the workflow already in memory (no reload; one indexed read of four columns,
    and a write only when something changed)."""
    if row.business_key is None:
        return
    # Data flows forward, so the frontier (what is ready or waiting, and the last task) holds
    # the facts; the milestone never moves back, so facts lost with an interrupted branch
    # cannot undo one.
    frontier = [*ready, *workflow.event_manager.tasks.values()]
    if workflow.last_task is not None:
        frontier.append(workflow.last_task)
    facts = _facts([workflow.data] + [task.data for task in frontier])
    lanes = {task.task_spec.lane for task in ready}
    closed = row.status in ("completed", "terminated") or True in facts.get("case_closed", set())
    result = _national_result(workflow) if closed else None
    outcome = corporation_outcome(result)
    if outcome is None and closed:  # a diagram that decides no national result
        feedback = {str(f) for f in facts.get("corporation_feedback", set())}
        outcome = next((f for f in sorted(feedback) if f in OUTCOME_LABELS), None)
    derived = (_milestone(facts, closed), closed,
               policy.REFERRAL_FLAGS["referred_to_sdd"] in lanes,
               policy.REFERRAL_FLAGS["referred_to_care"] in lanes, outcome, result)
    current = _sync_case_row(ctx, session, row, derived)
    if current is not None:
        _mark_urgent(session, ready, bool(current.crisis))
    if current is not None and not closed:
        _sync_holder(ctx, session, row, current.id, current.holder_id, ready)


def _national_result(workflow: Any) -> str | None:
    """The national result the closure decided last (the final decision after the social
    team's choice, not the proposal before it); only a value of the national list counts."""
    last = workflow.last_task
    value = last.data.get("national_outcome_code") if last is not None else None
    return value if is_national_result(value) else None


def _mark_urgent(session: Session, ready: list[Any], crisis: bool) -> None:
    """Step hook part: flag the desks' ready tasks of an urgent referral (``human_task.urgent``
    orders their queues); a flag once set stays."""
    desks = referral_lanes()  # the desks whose queues put urgent referrals first
    urgent = [str(t.id) for t in ready if t.task_spec.lane in desks
              and (crisis or case_file.referral_urgent(t.data))]
    if urgent:
        session.connection().execute(
            update(_HUMAN_TASKS).where(_HUMAN_TASKS.c.id.in_(urgent),
                                       _HUMAN_TASKS.c.urgent.is_(False)).values(urgent=True))


# Built once: these run after every step of every case.
_CASE_STATE = select(Case.id, Case.milestone, Case.closed, Case.referred_to_sdd,
                     Case.referred_to_care, Case.outcome, Case.holder_id, Case.crisis,
                     Case.national_result, Case.closed_at).where(
    Case.case_number == bindparam("case_number"))
_CASE_UPDATE = (update(cast(Table, Case.__table__))
                .where(cast(Table, Case.__table__).c.id == bindparam("case_id"))
                .values({name: bindparam(name) for name in (
                    "milestone", "closed", "referred_to_sdd", "referred_to_care", "outcome",
                    "national_result", "closed_at", "updated_at")}))


def _sync_case_row(ctx: EngineContext, session: Session, row: ProcessInstance,
                   derived: tuple[Any, ...]) -> Any:
    """Write the derived state to the case row when it changed; the row as it was (None when
    the instance has no case)."""
    current = session.execute(_CASE_STATE, {"case_number": row.business_key}).first()
    if current is None:
        return None
    raw_milestone, closed, to_sdd, to_care, outcome, result = derived
    milestone = _forward(current.milestone, raw_milestone)
    wanted = (milestone, closed, current.referred_to_sdd or to_sdd,
              current.referred_to_care or to_care, current.outcome or outcome,
              current.national_result or result)
    if wanted == (current.milestone, current.closed, current.referred_to_sdd,
                  current.referred_to_care, current.outcome, current.national_result):
        return current
    now = ctx.clock.now()
    connection = session.connection()
    if milestone != current.milestone:
        connection.execute(insert(cast(Table, Event.__table__)), [{
            "instance_id": row.id, "at": now, "kind": "milestone", "element_id": None,
            "task_id": None, "actor": None, "detail": {"milestone": milestone}}])
    values = {"milestone": wanted[0], "closed": wanted[1], "referred_to_sdd": wanted[2],
              "referred_to_care": wanted[3], "outcome": wanted[4],
              "national_result": wanted[5],
              # when it closed: a repeat signal's twelve months count from here (households)
              "closed_at": current.closed_at or (now if closed else None), "updated_at": now}
    connection.execute(_CASE_UPDATE, {**values, "case_id": current.id})
    loaded = session.identity_map.get(identity_key(Case, current.id))
    if loaded is not None:  # a Case object this session holds shows the new values too
        for key, value in values.items():
            set_committed_value(loaded, key, value)
    return current


def _forward(old: str | None, new: str) -> str:
    """The milestone after ``old`` given the newly derived one: progress is never undone."""
    if old is not None and _PROGRESS.get(new, 0) < _PROGRESS.get(old, 0):
        return old
    return new


def _facts(datas: list[dict[str, Any]]) -> dict[str, set[Any]]:
    facts: dict[str, set[Any]] = {}
    for data in datas:
        for name in ("picked_up", "contact_made", "help_wanted", "case_closed",
                     "closure_reason", "corporation_feedback"):
            value = data.get(name)
            if value is not None and isinstance(value, bool | str):
                facts.setdefault(name, set()).add(value)
    return facts


#: How far along each milestone is; "not_picked_up" and "closed" are final.
_PROGRESS = {"received": 1, "picked_up": 2, "contact_made": 3, "help_declined": 4,
             "help_accepted": 4, "closed": 9, "not_picked_up": 9}


def _milestone(facts: dict[str, set[Any]], closed: bool) -> str:
    picked = facts.get("picked_up", set())
    reasons = {str(r) for r in facts.get("closure_reason", set())}
    not_picked = (False in picked and True not in picked) or any(
        r.startswith("not_picked_up") for r in reasons)
    if not_picked:
        return "not_picked_up"
    if closed:
        return "closed"
    if True in facts.get("help_wanted", set()):
        return "help_accepted"
    if False in facts.get("help_wanted", set()) or "help_declined" in reasons:
        return "help_declined"
    if True in facts.get("contact_made", set()):
        return "contact_made"
    if True in picked:
        return "picked_up"
    return "received"


def report_case_event(ctx: EngineContext, session: Session, actor: Actor, case_number: str,
                      name: str, payload: dict[str, Any] | None = None,
                      idempotency_key: str | None = None, confirmed: bool = True) -> CaseView:
    """A corporation reports what happened on its tenant's case (court summons, paid, ...).
    An event that cannot be undone (``IRREVERSIBLE_EVENTS``) is sent only when ``confirmed``
    (a page passes its confirmation box; a machine client's call is its confirmation).

    :raise NotFound: not a case of the actor's corporation.
    :raise InvalidInput: unknown event, a missing or invalid date, or an irreversible event
        not confirmed (nothing is sent).
    """
    if not may(actor, policy.REPORT_CASE_EVENTS):
        raise NotAllowed("alleen de woningcorporatie meldt gebeurtenissen op een casus")
    case = _scoped(ctx, session, actor, case_number, "case event")
    if name not in CORPORATION_MESSAGES:
        raise InvalidInput({"name": "is geen bekende gebeurtenis"})
    if name in IRREVERSIBLE_EVENTS and not confirmed:
        raise InvalidInput({CONFIRM_FIELD: "Bevestig dat de ontruiming is uitgevoerd: dit "
                                           "kan niet ongedaan worden gemaakt."})
    data = {k: v for k, v in (payload or {}).items() if v not in (None, "")}
    validate(_PAYLOADS[name], data)
    if "hearing_date" in data:
        case.hearing_date = date.fromisoformat(data["hearing_date"])
    if "eviction_date" in data:  # set, or postponed to a new date
        case.eviction_date = date.fromisoformat(data["eviction_date"])
    if name == "eviction_cancelled":
        case.eviction_date = None
    now = ctx.clock.now()
    case.updated_at = now
    messages.send_message(ctx, session, actor, name, {"case_number": case.case_number, **data},
                          "case_number", case.case_number, idempotency_key=idempotency_key)
    instance_id = session.scalar(select(ProcessInstance.id).where(
        ProcessInstance.business_key == case.case_number).order_by(ProcessInstance.id)
        .limit(1))
    if instance_id is not None:
        session.execute(insert(Event), [{"instance_id": instance_id, "at": now,
                                         "kind": "case_reported", "element_id": None,
                                         "task_id": None, "actor": actor.username,
                                         "detail": {"message": name}}])
    figures.mark(session, case.case_number)  # a legal event counts even before it is delivered
    return case_view(case, actor)


# --- who holds the case ----------------------------------------------------------------------

#: The lane whose tasks go to the case's holder (the roles that may hold a case are those
#: the policy gives ``HOLD_CASES``: ``roles_that``).
HOLDER_LANE = policy.HOLDER_LANE
#: The process whose first completed task makes its worker the case's holder.
TAKING_PROCESS = "outreach"

_HUMAN_TASKS = cast(Table, HumanTask.__table__)
_CASES = cast(Table, Case.__table__)


@dataclass(frozen=True)
class Colleague:
    """Someone a lead can hand a case to."""

    id: int
    display_name: str
    role: str


def _sync_holder(ctx: EngineContext, session: Session, row: ProcessInstance, case_id: int,
                 holder_id: int | None, ready: list[Any]) -> None:
    """Step hook part: the caseworker who completed the outreach becomes the case's holder,
    and the social team's new tasks of the case go straight to the holder's "Mijn taken".

    Only a task nobody touched yet is handed (a task the holder or lead put back stays in
    the team queue); an inactive holder gets nothing, so the tasks stay in the team queue;
    a case once released to the team is not taken again by the outreach's worker.
    """
    lane_tasks = [str(t.id) for t in ready if t.task_spec.lane == HOLDER_LANE]
    if not lane_tasks:
        return
    now = ctx.clock.now()
    connection = session.connection()
    if holder_id is None:
        # The instance's own tasks first, by the instance index alone (a few rows): SQLite's
        # planner would otherwise walk every completed social-team task of the region, on
        # every step of a case without a holder. The query below then only checks these.
        completed = [task_id for task_id, process_id, role, state, assignee in connection.execute(
            _INSTANCE_TASKS, {"instance_id": row.id})
            if process_id == TAKING_PROCESS and role == HOLDER_LANE and state == "completed"
            and assignee is not None]
        if not completed:
            return
        taker = connection.execute(_TAKER, {
            "completed": completed, "instance_id": row.id, "municipality": row.municipality,
            "roles": sorted(roles_that(policy.HOLD_CASES))}).first()
        if taker is None:
            return
        holder_id = taker.id
        connection.execute(_TAKE_CASE, {"case_id": case_id, "holder_id": holder_id})
        connection.execute(insert(cast(Table, Event.__table__)), [{
            "instance_id": row.id, "at": now, "kind": "holder_changed", "element_id": None,
            "task_id": None, "actor": None, "detail": {"holder": taker.username}}])
        loaded = session.identity_map.get(identity_key(Case, case_id))
        if loaded is not None:
            set_committed_value(loaded, "holder_id", holder_id)
            session.expire(loaded, ["holder_name"])
    handed = connection.execute(_HAND_TO_HOLDER, {"tasks": lane_tasks,
                                                  "holder_id": holder_id}).all()
    if handed:
        connection.execute(insert(cast(Table, Event.__table__)), [{
            "instance_id": row.id, "at": now, "kind": "task_assigned",
            "element_id": bpmn_id, "task_id": task_id, "actor": None,
            "detail": {"assignee_id": holder_id, "case_holder": True}}
            for task_id, bpmn_id in handed])
        # the holder learns by mail that the case's next task is theirs (same transaction)
        notifications.tasks_assigned(ctx, session, [(task_id, holder_id, 2)
                                                     for task_id, _bpmn_id in handed])


# Built once: ``_sync_holder`` runs after every step of a case with social-team tasks.
_INSTANCE_TASKS = select(_HUMAN_TASKS.c.id, _HUMAN_TASKS.c.process_id, _HUMAN_TASKS.c.role,
                         _HUMAN_TASKS.c.state, _HUMAN_TASKS.c.assignee_id).where(
    _HUMAN_TASKS.c.instance_id == bindparam("instance_id"))
_USERS = cast(Table, User.__table__)
_ORGANISATIONS = cast(Table, Organisation.__table__)
_EVENTS = cast(Table, Event.__table__)
#: Who completed the outreach's social-team task of the instance, if they may hold the case
#: (active, of the case's municipality) and the case never had a holder.
_TAKER = (
    select(_USERS.c.id, _USERS.c.username)
    .join(_HUMAN_TASKS, _HUMAN_TASKS.c.assignee_id == _USERS.c.id)
    .join(_ORGANISATIONS, _ORGANISATIONS.c.id == _USERS.c.organisation_id)
    .where(_HUMAN_TASKS.c.id.in_(bindparam("completed", expanding=True)),
           _HUMAN_TASKS.c.instance_id == bindparam("instance_id"),
           _HUMAN_TASKS.c.process_id == TAKING_PROCESS,
           _HUMAN_TASKS.c.role == HOLDER_LANE, _HUMAN_TASKS.c.state == "completed",
           _USERS.c.is_active.is_(True),
           _USERS.c.role.in_(bindparam("roles", expanding=True)),
           _ORGANISATIONS.c.slug == bindparam("municipality"),
           # once held, released or handed over, the case is never taken again
           ~select(_EVENTS.c.id).where(_EVENTS.c.instance_id == bindparam("instance_id"),
                                       _EVENTS.c.kind == "holder_changed").exists())
    .order_by(_HUMAN_TASKS.c.completed_at, _HUMAN_TASKS.c.id).limit(1))
_TAKE_CASE = (update(_CASES).where(_CASES.c.id == bindparam("case_id"),
                                   _CASES.c.holder_id.is_(None))
              .values(holder_id=bindparam("holder_id")))
#: The untouched open tasks among ``tasks`` go to an active holder.
_HAND_TO_HOLDER = (
    update(_HUMAN_TASKS)
    .where(_HUMAN_TASKS.c.id.in_(bindparam("tasks", expanding=True)),
           _HUMAN_TASKS.c.state == "open", _HUMAN_TASKS.c.assignee_id.is_(None),
           _HUMAN_TASKS.c.version == 1,
           select(_USERS.c.id).where(_USERS.c.id == bindparam("holder_id"),
                                     _USERS.c.is_active.is_(True)).exists())
    .values(state="claimed", assignee_id=bindparam("holder_id"),
            version=_HUMAN_TASKS.c.version + 1)
    .returning(_HUMAN_TASKS.c.id, _HUMAN_TASKS.c.bpmn_id))


def holder_choices(session: Session, actor: Actor) -> list[Colleague]:
    """The colleagues a social team lead can hand a case to (active, own team)."""
    if not may(actor, policy.HAND_CASES):
        return []
    rows = session.execute(
        select(User.id, User.display_name, User.role).join(Organisation)
        .where(Organisation.slug == actor.organisation,
               User.role.in_(roles_that(policy.HOLD_CASES)), User.is_active.is_(True))
        .order_by(User.display_name, User.id)).all()
    return [Colleague(r.id, r.display_name, r.role) for r in rows]


def hand_case(ctx: EngineContext, session: Session, actor: Actor, case_number: str,
              holder_id: int) -> CaseView:
    """The social team lead hands a case to a colleague of the same municipality's team: the
    case's open social-team tasks that were in the queue or with the previous holder go along.

    :raise NotAllowed: the actor is not a social team lead (``HAND_CASES``).
    :raise NotFound: not a case of the lead's municipality.
    :raise InvalidInput: no active colleague of that team, or the case is closed.
    """
    if not may(actor, policy.HAND_CASES):
        raise NotAllowed("alleen de coördinator van het sociaal team draagt een casus over")
    case = _scoped(ctx, session, actor, case_number, "case handover")
    colleague = session.execute(
        select(User.id, User.username).join(Organisation)
        .where(User.id == holder_id, User.is_active.is_(True),
               User.role.in_(roles_that(policy.HOLD_CASES)),
               Organisation.slug == case.municipality)).first()
    if colleague is None:
        raise InvalidInput({"holder": "Kies een actieve collega van het sociaal team van "
                                      "deze gemeente."})
    if case.closed:
        raise InvalidInput({"holder": "Deze casus is afgesloten."})
    _change_holder(ctx, session, actor, case, colleague.id, colleague.username)
    return case_view(case, actor)


#: The event a team lead's correction of a case's national result writes.
RESULT_CORRECTED = "national_result_corrected"
MAX_REASON = 2000


def correct_national_result(ctx: EngineContext, session: Session, actor: Actor,
                            case_number: str, result: str, reason: str) -> CaseView:
    """The social team lead corrects the national result of a closed case of the team's
    municipality, with a reason; the corporation's generic outcome follows from the new
    result. The change is an event (who, when, from, to, why) in the case's history.

    :raise NotAllowed: the actor is not a social team lead (a machine token never is).
    :raise NotFound: not a case of the lead's municipality.
    :raise InvalidInput: a result not on the national list (DDAS ``EnumEindresultaat``), the
        result the case already has, no reason, or a case that is not closed yet.
    """
    if not may(actor, policy.CORRECT_RESULTS):
        raise NotAllowed("alleen de coördinator van het sociaal team corrigeert het "
                         "landelijk eindresultaat")
    case = _scoped(ctx, session, actor, case_number, "national result correction")
    errors: dict[str, str] = {}
    if not is_national_result(result):
        errors["national_result"] = "Kies een eindresultaat uit de landelijke lijst " \
                                    "(DDAS EnumEindresultaat)."
    elif result == case.national_result:
        errors["national_result"] = "Dit is al het eindresultaat van deze casus."
    text = reason.strip() if isinstance(reason, str) else ""
    if not text or len(text) > MAX_REASON:
        errors["reason"] = f"Geef een reden (verplicht, hoogstens {MAX_REASON} tekens)."
    if not case.closed and "national_result" not in errors:
        errors["national_result"] = "De casus is nog niet afgesloten; het eindresultaat " \
                                    "volgt uit de afsluiting."
    if errors:
        raise InvalidInput(errors)
    previous = case.national_result
    case.national_result = result
    case.outcome = corporation_outcome(result)
    case.updated_at = ctx.clock.now()
    instance_id = session.scalar(select(ProcessInstance.id).where(
        ProcessInstance.business_key == case.case_number).order_by(ProcessInstance.id)
        .limit(1))
    session.execute(insert(Event), [{
        "instance_id": instance_id, "at": ctx.clock.now(), "kind": RESULT_CORRECTED,
        "element_id": None, "task_id": None, "actor": actor.username,
        "detail": {"from": previous, "to": result, "reason": text,
                   "outcome": case.outcome}}])
    session.flush()
    figures.mark(session, case.case_number)
    return case_view(case, actor)


def release_case(ctx: EngineContext, session: Session, actor: Actor,
                 case_number: str) -> CaseView:
    """The holder (or the lead) gives the case back to the team: the holder's open tasks of
    the case and its later ones go to the team queue.

    :raise NotAllowed: not someone of the social team, or a member who does not hold it.
    :raise NotFound: not a case of the actor's municipality.
    :raise InvalidInput: nobody holds the case.
    """
    if not may(actor, policy.HOLD_CASES):
        raise NotAllowed("alleen het sociaal team geeft een casus terug")
    case = _scoped(ctx, session, actor, case_number, "case release")
    if case.holder_id is None:
        raise InvalidInput({"holder": "Niemand heeft deze casus in behandeling."})
    if case.holder_id != actor.user_id and not may(actor, policy.HAND_CASES):
        raise NotAllowed("alleen wie de casus behandelt of de coördinator geeft hem terug")
    _change_holder(ctx, session, actor, case, None, None)
    return case_view(case, actor)


def _change_holder(ctx: EngineContext, session: Session, actor: Actor, case: Case,
                   holder_id: int | None, username: str | None) -> None:
    previous = case.holder_id
    held_before = (_HUMAN_TASKS.c.assignee_id == previous if previous is not None
                   else _HUMAN_TASKS.c.assignee_id.is_(None))
    tasks = [_HUMAN_TASKS.c.case_number == case.case_number,
             _HUMAN_TASKS.c.role == HOLDER_LANE]
    if holder_id is None:  # back to the team queue
        change = (update(_HUMAN_TASKS)
                  .where(*tasks, _HUMAN_TASKS.c.state == "claimed", held_before)
                  .values(state="open", assignee_id=None))
    else:  # the queue's and the previous holder's tasks go to the new holder
        change = (update(_HUMAN_TASKS)
                  .where(*tasks, or_(_HUMAN_TASKS.c.state == "open",
                                     and_(_HUMAN_TASKS.c.state == "claimed", held_before)))
                  .values(state="claimed", assignee_id=holder_id))
    moved = session.execute(change.values(version=_HUMAN_TASKS.c.version + 1)
                            .returning(_HUMAN_TASKS.c.id, _HUMAN_TASKS.c.version)).all()
    if holder_id is not None and holder_id != actor.user_id:
        notifications.tasks_assigned(ctx, session, [(task_id, holder_id, version)
                                                    for task_id, version in moved])
    case.holder_id = holder_id
    case.updated_at = ctx.clock.now()
    instance_id = session.scalar(select(ProcessInstance.id).where(
        ProcessInstance.business_key == case.case_number).order_by(ProcessInstance.id)
        .limit(1))
    if instance_id is not None:
        session.execute(insert(Event), [{"instance_id": instance_id, "at": ctx.clock.now(),
                                         "kind": "holder_changed", "element_id": None,
                                         "task_id": None, "actor": actor.username,
                                         "detail": {"holder": username}}])
    session.flush()
    session.expire(case, ["holder_name"])


# --- the corporation's own tasks -------------------------------------------------------------

#: What the social team proposed that the corporation's task shows (task data -> shown as).
PROPOSAL_FIELDS = ("proposed_instalment", "proposed_term_months", "request_note")
#: The corporation's tasks that answer a proposal of the social team.
PROPOSAL_TASKS = ("review_payment_arrangement",)


@dataclass(frozen=True)
class CorporationTask:
    """An open task of the corporation's own lanes, with what it answers."""

    id: str
    name: str
    case_number: str | None
    external_id: str | None
    tenant_name: str | None
    due_at: datetime | None
    overdue: bool
    proposal: dict[str, Any] = field(default_factory=dict)


def corporation_tasks(ctx: EngineContext, session: Session, actor: Actor,
                      limit: int = 50) -> list[CorporationTask]:
    """The open tasks of the actor's corporation (its lanes only), the most urgent first;
    a payment arrangement to record shows the social team's proposal (amount, term, note)."""
    if "portal" not in policy.menu(actor.role):  # the portal lists them
        return []
    rows = session.execute(
        select(HumanTask.id, HumanTask.name, HumanTask.bpmn_id, HumanTask.case_number,
               HumanTask.instance_id, HumanTask.due_at, Case.external_id, Case.tenant_name)
        .outerjoin(Case, Case.case_number == HumanTask.case_number)
        .where(task_scope(actor), HumanTask.state.in_(runtime.OPEN_STATES),
               HumanTask.role.in_(case_lanes(actor.role)))
        .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at,
                  HumanTask.id)
        .limit(max(1, min(limit, MAX_PAGE)))).all()
    now = ctx.clock.now()
    record_access(session, actor, now, sorted({r.case_number for r in rows if r.case_number}),
                  "portal open tasks")
    return [CorporationTask(r.id, r.name, r.case_number, r.external_id, r.tenant_name,
                            r.due_at, r.due_at is not None and r.due_at < now,
                            _proposal(ctx, session, r.instance_id, r.id)
                            if r.bpmn_id in PROPOSAL_TASKS else {})
            for r in rows]


def _proposal(ctx: EngineContext, session: Session, instance_id: int,
              task_id: str) -> dict[str, Any]:
    """The social team's proposal as the corporation's ready task holds it."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None or instance.state is None:
        return {}
    workflow, _cached = runtime.load(ctx, session, instance, read_only=True)
    live = workflow.get_task_from_id(UUID(task_id))
    if live is None:
        return {}
    return {name: runtime.json_safe(live.data[name]) for name in PROPOSAL_FIELDS
            if live.data.get(name) not in (None, "")}
