"""The runner of the chain's scenarios (``engine.scenario_format``): one for pytest and the
publish gate alike.

A scenario drives one case from its signal to its closure through the real engine: every step
in its own transaction (so the engine reloads the case from the database, as behind the web
app), tasks found the way people find them (in the team queue of a user of the task's role and
organisation) and completed through ``tasks.complete_task`` (so forms are validated), timers
fired by moving a manual clock. The result says per step whether it passed, naming the step
and what differed; the runs' events give element and flow coverage (``scenario_coverage``).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import inbox, instance_control, instances, messages, scenario_coverage, tasks, users
from engine.access import SYSTEM, Actor
from engine.bundles import BundleFile
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.errors import EngineError, InvalidInput
from engine.models import Case, Event, HumanTask, ProcessInstance
from engine.scenario_format import ScenarioFormatError, is_scenario_file, parse, scenario_name
from engine.scenario_format import step_action as _action
from engine.views import MessageResult, TaskView
from engine.worker import fire_due_timers

LOCAL = ZoneInfo("Europe/Amsterdam")
DEFAULT_START = "2026-04-23 09:00"
ZRM_DOMAINS = ("finances", "work_education", "use_of_time", "housing", "domestic_relations",
               "mental_health", "physical_health", "substance_use", "basic_adl",
               "instrumental_adl", "social_network", "community_participation", "justice")
SIGNAL_DEFAULTS: dict[str, Any] = {
    "municipality": "dordrecht", "corporation": "woonbron", "arrears_amount": 1450.0,
    "arrears_months": 2, "monthly_rent": 725.0, "crisis": False, "warm_handover": False,
    "duplicate": False, "received_on": "2026-04-23",
}
#: The organisation of the desk roles (the social team's is the case's municipality, the
#: corporation's the case's corporation).
DESKS = {"budget_advice": "sdd", "budget_advice_lead": "sdd",
         "care_referral": "veilig-thuis", "care_referral_lead": "veilig-thuis"}


class StepFailed(Exception):
    """An expectation of a step did not hold (or its action was refused)."""


@dataclass(frozen=True)
class Check:
    step: int
    action: str
    ok: bool
    message: str


@dataclass
class ScenarioResult:
    name: str
    title: str
    checks: list[Check] = field(default_factory=list)
    #: the case's process instance (None when the signal never started one)
    instance_id: int | None = None
    events: list[scenario_coverage.EventRecord] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def failure(self) -> str | None:
        """``stap 4 (expect_open): …`` for the first failed step, or None."""
        failed = next((c for c in self.checks if not c.ok), None)
        return None if failed is None else f"stap {failed.step} ({failed.action}): " \
                                           f"{failed.message}"


@dataclass(frozen=True)
class Scenario:
    name: str
    data: dict[str, Any]

    @property
    def title(self) -> str:
        return str(self.data["title"])


def load(files: Iterable[BundleFile]) -> list[Scenario]:
    """The scenarios of a bundle (its ``scenarios/*.json``), in name order.

    :raise ScenarioFormatError: naming the file and the step.
    """
    found = []
    for f in sorted(files, key=lambda f: f.name):
        if not is_scenario_file(f.name):
            continue
        try:
            found.append(Scenario(scenario_name(f.name), parse(f.content)))
        except ScenarioFormatError as error:
            raise ScenarioFormatError(f"{f.name}: {error}") from None
    return found


def utc(text: str) -> datetime:
    """``"2026-04-24 10:00"`` as an aware UTC moment."""
    return datetime.fromisoformat(text.replace("T", " ") + "+00:00")


def local_due(text: str) -> datetime:
    """A deadline as the diagrams write it: ``2026-05-01T17:00`` local time in Amsterdam."""
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL)


def _show(value: datetime | None) -> str:
    return "geen" if value is None else value.astimezone(LOCAL).strftime("%Y-%m-%dT%H:%M")


def ensure_case(session: Session, case_number: str, signal: dict[str, Any],
                now: datetime) -> None:
    """The case row intake would have written: messages from outside go only to cases."""
    if session.scalar(select(Case.id).where(Case.case_number == case_number)) is not None:
        return
    session.add(Case(case_number=case_number, corporation=signal["corporation"],
                     municipality=signal["municipality"], external_id=case_number,
                     tenant_name="T. Est (synthetisch)", street="Voorstraat", house_number="1",
                     postcode="3311 AB", city="Dordrecht",
                     arrears_amount=Decimal(str(signal["arrears_amount"])),
                     arrears_months=signal["arrears_months"],
                     monthly_rent=Decimal(str(signal["monthly_rent"])), synthetic=True,
                     created_at=now, updated_at=now))
    session.flush()


Done = TypeVar("Done")


def shorthand(complete: Callable[[str, dict[str, Any]], Done], today: str, action: str,
              value: Any) -> Done:
    """The shorthands of processes/SCENARIOS.md (REACH, NOREACH, TALK, ZRM, PLAN, SDD, CLOSE)
    as the form data they stand for, each handed to ``complete(task, data)``; returns what the
    last completion returned. One definition for the data scenarios and the Python tests."""
    if action in ("attempt", "reach"):
        opts = {"contact": True, **value} if action == "reach" else value
        first = opts.get("first", True)
        return complete("record_first_contact_attempt" if first else "record_contact_attempt", {
            "attempt_date": opts.get("on") or today,
            "attempt_type": opts.get("kind", "Huisbezoek"),
            "day_part": opts.get("part", "afternoon"), "contact_made": opts["contact"]})
    if action == "talk":
        return complete("hold_kitchen_table_conversation", {
            "conversation_date": today, "help_wanted": value["help_wanted"],
            "consent_data_sharing": True, "other_debts": value["other_debts"]})
    if action == "zrm":
        data: dict[str, Any] = {"zrm_date": today}
        for domain in ZRM_DOMAINS:
            data[f"zrm_{domain}"] = value.get(domain, 4)
            data[f"zrm_{domain}_note"] = "toelichting"
        return complete("score_zrm", data)
    if action == "plan":
        plan = {"plan_summary": "Afspraken gemaakt", "route_choice": value}
        if value != "follow_advice":
            plan["route_choice_reason"] = "Schulden bij meer schuldeisers dan gedacht"
        return complete("agree_action_plan", plan)
    if action == "sdd":
        referral: dict[str, Any] = {"sdd_service": value["service"],
                                    "referral_summary": "Verwijzing",
                                    "consent_given": value["consent"]}
        if not value["consent"]:
            referral["legal_ground"] = "wgs_public_task"
        complete("prepare_sdd_referral", referral)
        complete("hold_sdd_intake", {"sdd_intake_date": today,
                                     "sdd_trajectory": "budget_advice"})
        return complete("report_sdd_outcome", {"sdd_outcome": value["outcome"],
                                               "sdd_outcome_date": today})
    if action == "close":
        closing: dict[str, Any] = {"closure_date": today}
        if value.get("correction"):
            closing.update(closure_correction=value["correction"],
                           closure_correction_reason="Gehoord van de wijkagent")
        return complete("confirm_case_closure", closing)
    raise ValueError(f"geen verkorte stap: {action}")


class _Case:
    """One case of the chain, driven step by step (the Python driver's counterpart)."""

    def __init__(self, ctx: EngineContext, clock: ManualClock, case_number: str,
                 actors: dict[tuple[str, str], Actor], password: str | None = None) -> None:
        self.ctx, self.clock, self.case_number = ctx, clock, case_number
        #: the password of the users a scenario makes (random: nobody logs in as them, unless
        #: a test that drives pages too gives one)
        self.password = password
        self.instance_id: int | None = None
        self.municipality, self.corporation = "dordrecht", "woonbron"
        self.actors = actors
        self.keys = 0
        #: the cases this scenario drove before the current one (a legal event for a closed
        #: case opens a new one, and the scenario goes on with that), oldest first
        self.earlier: list[str] = []

    # --- who acts, and when -----------------------------------------------------------

    def actor(self, role: str) -> Actor:
        if role.startswith("social_team"):
            org = self.municipality
        elif role.startswith("corporation"):
            org = self.corporation
        elif role in DESKS:
            org = DESKS[role]
        else:
            raise StepFailed(f"onbekende rol '{role}'")
        found = self.actors.get((role, org))
        if found is None:
            with self.ctx.sessionmaker.begin() as session:
                user = users.user_named(session, f"{role}-{org}") or users.add_user(
                    self.ctx, session, f"{role}-{org}", role, org,
                    self.password or secrets.token_urlsafe(24))
                found = users.actor_for(user)
            self.actors[(role, org)] = found
        return found

    def today(self) -> str:
        return self.clock.now().astimezone(LOCAL).date().isoformat()

    def fill(self, value: Any) -> Any:
        """``"$today"`` → the clock's date, anywhere in form data, a payload or an expected
        value; in texts ``$case`` → the current case's number and ``$previous`` → the one
        before it."""
        if value == "$today":
            return self.today()
        if isinstance(value, str) and "$" in value:
            value = value.replace("$case", self.case_number)
            if self.earlier:
                value = value.replace("$previous", self.earlier[-1])
            return value
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        return value

    # --- actions ----------------------------------------------------------------------

    def signal(self, changes: dict[str, Any]) -> None:
        payload = {"case_number": self.case_number, **SIGNAL_DEFAULTS, **self.fill(changes)}
        self.municipality, self.corporation = payload["municipality"], payload["corporation"]
        self.keys += 1
        with self.ctx.sessionmaker.begin() as session:
            ensure_case(session, self.case_number, payload, self.clock.now())
            result = messages.start_case_process(
                self.ctx, session, SYSTEM, "arrears_signal", payload, self.case_number,
                f"{self.case_number}:arrears_signal:{self.keys}")
        if result.status != "started" or result.instance_id is None:
            raise StepFailed(f"het signaal startte geen zaak ({result.status})")
        self.instance_id = result.instance_id

    def at(self, moment: str) -> int:
        self.clock.set(utc(moment))
        return fire_due_timers(self.ctx)

    def send(self, name: str, payload: dict[str, Any], to: str = "current") -> MessageResult:
        """Send message ``name`` naming the current case (or, ``to="previous"``, the one
        before it); a message that opens a new case makes that the current one."""
        if to == "previous" and not self.earlier:
            raise StepFailed("er is geen vorige zaak: 'case': 'previous' kan pas na een "
                             "bericht dat een nieuwe zaak opende")
        number = self.earlier[-1] if to == "previous" else self.case_number
        self.keys += 1
        with self.ctx.sessionmaker.begin() as session:
            result = messages.send_message(
                self.ctx, session, SYSTEM, name,
                {"case_number": number, **self.fill(payload)}, "case_number",
                number, f"{number}:{name}:{self.keys}")
        if result.status == "started" and result.case_number \
                and result.case_number != self.case_number:
            self.earlier.append(self.case_number)
            self.case_number, self.instance_id = result.case_number, result.instance_id
        return result

    def case_row(self) -> dict[str, Any]:
        """The case's row as a scenario compares it: dates as ISO text, moments as UTC
        ``YYYY-MM-DD HH:MM``, amounts as numbers, ``previous_case`` as its case number."""
        with self.ctx.sessionmaker() as session:
            row = session.scalars(select(Case).where(
                Case.case_number == self.case_number)).one()
            shown: dict[str, Any] = {}
            for column in Case.__table__.columns:
                value = getattr(row, column.key)
                if isinstance(value, datetime):
                    value = value.astimezone(UTC) if value.tzinfo else value
                    value = value.strftime("%Y-%m-%d %H:%M")
                elif isinstance(value, date):
                    value = value.isoformat()
                elif isinstance(value, Decimal):
                    value = float(value)
                shown[column.key] = value
            shown["previous_case"] = None if row.previous_case_id is None else session.scalar(
                select(Case.case_number).where(Case.id == row.previous_case_id))
            return shown

    def open_tasks(self) -> list[HumanTask]:
        with self.ctx.sessionmaker() as session:
            rows = session.scalars(select(HumanTask).where(
                HumanTask.instance_id == self.instance_id,
                HumanTask.state.in_(("open", "claimed"))).order_by(HumanTask.created_at,
                                                                     HumanTask.id)).all()
            session.expunge_all()
            return list(rows)

    def open_ids(self) -> list[str]:
        return sorted(t.bpmn_id for t in self.open_tasks())

    def task(self, bpmn_id: str, role: str | None = None) -> TaskView:
        """The one open task ``bpmn_id``, as the team queue (or "Mijn taken") of a user of
        its role shows it."""
        found = [t for t in self.open_tasks() if t.bpmn_id == bpmn_id]
        if len(found) != 1:
            raise StepFailed(f"taak {bpmn_id} staat {len(found)} keer open; open: "
                             f"{', '.join(self.open_ids()) or 'niets'}")
        role = role or found[0].role
        if role is None:
            raise StepFailed(f"taak {bpmn_id} heeft geen rol")
        actor = self.actor(role)
        with self.ctx.sessionmaker() as session:
            queue = [item.task for name in ("team", "mine") for item in inbox.inbox(
                self.ctx, session, actor, queue=name, search=self.case_number,
                limit=200).items]
        visible = [t for t in queue if t.id == found[0].id]
        if not visible:
            raise StepFailed(f"taak {bpmn_id} staat niet in de teamwachtrij van "
                             f"{actor.username}")
        return visible[0]

    def complete(self, bpmn_id: str, data: dict[str, Any], role: str | None = None) -> None:
        task = self.task(bpmn_id, role)
        actor = self.actor(role or task.role or "")
        try:
            with self.ctx.sessionmaker.begin() as session:
                tasks.claim_task(self.ctx, session, actor, task.id)
                tasks.complete_task(self.ctx, session, actor, task.id, self.fill(data))
        except InvalidInput as invalid:
            fields = "; ".join(f"{k}: {v}" for k, v in invalid.errors.items())
            raise StepFailed(f"formulier van {bpmn_id} geweigerd: {fields}") from None

    def instance(self) -> Any:
        if self.instance_id is None:
            raise StepFailed("er is nog geen zaak: begin met een 'signal'")
        with self.ctx.sessionmaker() as session:
            return instances.get_instance(self.ctx, session, SYSTEM, self.instance_id)

    def task_states(self, bpmn_id: str) -> list[str]:
        with self.ctx.sessionmaker() as session:
            return list(session.scalars(select(HumanTask.state).where(
                HumanTask.instance_id == self.instance_id, HumanTask.bpmn_id == bpmn_id)
                .order_by(HumanTask.created_at, HumanTask.id)).all())

    def queue(self, role: str) -> list[str]:
        with self.ctx.sessionmaker() as session:
            page = inbox.inbox(self.ctx, session, self.actor(role), queue="team",
                               search=self.case_number, limit=200)
        return sorted(i.task.bpmn_id for i in page.items
                      if i.task.case_number == self.case_number)

    def facts(self, bpmn_id: str) -> dict[str, str]:
        view = self.task(bpmn_id)
        with self.ctx.sessionmaker.begin() as session:
            detail = tasks.get_task(self.ctx, session, self.actor(view.role or ""), view.id)
        return {fact["name"]: fact["label"] for fact in detail.facts}


def _expect(ok: bool, message: str) -> None:
    if not ok:
        raise StepFailed(message)


def _same(label: str, expected: Any, actual: Any) -> None:
    """``expected == actual``, where true and false are never 1 and 0 (JSON keeps them apart,
    so a scenario's ``true`` asserts a real yes)."""
    strict = isinstance(expected, bool) or isinstance(actual, bool)
    _expect(expected == actual and (not strict or type(expected) is type(actual)),
            f"{label}: verwacht {json.dumps(expected, default=str)}, "
            f"gekregen {json.dumps(actual, default=str)}")


def _subset(label: str, expected: dict[str, Any], actual: dict[str, Any]) -> None:
    for key, value in expected.items():
        _same(f"{label} {key}", value, actual.get(key))


def _closed(case: _Case, expected: dict[str, Any]) -> None:
    view = case.instance()
    _same("status", "completed", view.status)
    data = view.data or {}
    _same("closure_reason", expected["reason"], data.get("closure_reason"))
    _same("national_outcome_code (uitkomst)", expected["code"],
          data.get("national_outcome_code"))
    _same("corporation_feedback (wat de corporatie hoort)", expected["feedback"],
          data.get("corporation_feedback"))
    _same("case_closed", True, data.get("case_closed"))
    _same("closed_on", case.today(), data.get("closed_on"))
    _same("open taken", [], case.open_ids())
    with case.ctx.sessionmaker() as session:
        row = session.scalars(select(Case).where(
            Case.case_number == case.case_number)).one()
        _same("zaak (uitkomst, corporatie, gesloten)",
              [expected["code"], expected["feedback"], True],
              [row.national_result, row.outcome, row.closed])
    _subset("gegeven", case.fill(expected.get("data", {})), data)


def _step(case: _Case, step: dict[str, Any]) -> None:  # noqa: C901 - one branch per action
    action = _action(step)
    value = step[action]
    if action == "signal":
        case.signal(value)
    elif action == "clock":
        fired = case.at(value)
        if "fired" in step:
            _same(f"zaken met een afgelopen timer om {value}", step["fired"], fired)
    elif action == "message":
        sent = case.send(value, step.get("payload", {}), step.get("case", "current"))
        _same(f"bericht {value}", step.get("status", "delivered"), sent.status)
    elif action == "complete":
        case.complete(value, step.get("data", {}), step.get("role"))
    elif action in ("attempt", "reach", "talk", "zrm", "plan", "sdd", "close"):
        shorthand(case.complete, case.today(), action, value)
    elif action == "expect_open":
        _same("open taken", sorted(value), case.open_ids())
    elif action == "expect_due":
        for bpmn_id, due in value.items():
            _same(f"termijn van {bpmn_id}", due if due is None else _show(local_due(due)),
                  _show(case.task(bpmn_id).due_at))
    elif action == "expect_task":
        task = case.task(value["id"], value.get("role"))
        _subset(f"taak {value['id']}", {k: v for k, v in value.items() if k != "id"},
                {"role": task.role, "corporation": task.corporation,
                 "municipality": task.municipality, "due": _show(task.due_at)})
    elif action == "expect_queue":
        seen = case.queue(value)
        if "tasks" in step:
            _same(f"teamwachtrij van {value}", sorted(step["tasks"]), seen)
        for absent in step.get("absent", []):
            _expect(absent not in seen, f"{absent} staat in de teamwachtrij van {value}")
    elif action == "expect_facts":
        facts = case.facts(value)
        if "facts" in step:
            _subset(f"feiten op {value}", step["facts"], facts)
        for absent in step.get("absent", []):
            _expect(absent not in facts, f"{value} toont {absent}: {facts.get(absent)}")
    elif action == "expect_states":
        for bpmn_id, states in value.items():
            seen = case.task_states(bpmn_id)
            if isinstance(states, str):  # the newest one only
                _same(f"laatste toestand van {bpmn_id}", states, seen[-1] if seen else None)
            else:
                _same(f"toestanden van {bpmn_id}", states, seen)
    elif action == "expect_next_timer":
        due = case.instance().next_timer_due
        if isinstance(value, str) and value.startswith("+") and value.endswith("d"):
            wanted: datetime | None = case.clock.now() + timedelta(days=int(value[1:-1]))
        else:
            wanted = None if value is None else local_due(value)
        _same("volgende timer", _show(wanted), _show(due))
    elif action == "expect_waiting":
        with case.ctx.sessionmaker() as session:
            row = session.get(ProcessInstance, case.instance_id)
            waiting = set(row.waiting_messages or []) if row else set()
        missing = sorted(set(value) - waiting)
        _expect(not missing, f"wacht niet op {', '.join(missing)} (wel op "
                             f"{', '.join(sorted(waiting)) or 'niets'})")
    elif action == "expect_status":
        _same("status van de zaak", value, case.instance().status)
    elif action == "expect_data":
        _subset("gegeven", case.fill(value), case.instance().data or {})
    elif action == "expect_case":
        _subset(f"zaak {case.case_number}", case.fill(value), case.case_row())
    elif action == "expect_events":
        with case.ctx.sessionmaker() as session:
            for kind, count in value.items():
                number = len(session.scalars(select(Event.id).where(
                    Event.instance_id == case.instance_id, Event.kind == kind)).all())
                _same(f"aantal gebeurtenissen {kind}", count, number)
    elif action == "expect_closed":
        _closed(case, value)


def run(ctx: EngineContext, clock: ManualClock, scenario: Scenario,
        case_number: str = "SC-1",
        actors: dict[tuple[str, str], Actor] | None = None,
        password: str | None = None) -> ScenarioResult:
    """Run one scenario against the processes deployed in ``ctx`` (whose clock is ``clock``).

    Stops at the first step that fails; every step run is a ``Check``.
    """
    result = ScenarioResult(scenario.name, scenario.title)
    clock.set(utc(scenario.data.get("start", DEFAULT_START)))
    case = _Case(ctx, clock, scenario.data.get("case_number", case_number),
                 actors if actors is not None else {}, password)
    with ctx.sessionmaker() as session:
        first_event = session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) or 0
    for number, step in enumerate(scenario.data["steps"], start=1):
        action = _action(step)
        try:
            _step(case, step)
        except StepFailed as failed:
            result.checks.append(Check(number, action, False, str(failed)))
            break
        except EngineError as error:
            result.checks.append(Check(number, action, False,
                                       f"{type(error).__name__}: {error.message}"))
            break
        result.checks.append(Check(number, action, True, "ok"))
    result.instance_id = case.instance_id
    result.events = _events_since(ctx, first_event)
    return result


def _events_since(ctx: EngineContext, after: int) -> list[scenario_coverage.EventRecord]:
    with ctx.sessionmaker() as session:
        return [scenario_coverage.EventRecord(e.kind, e.element_id, e.detail)
                for e in session.scalars(select(Event).where(Event.id > after)
                                         .order_by(Event.id))]


@dataclass
class SuiteResult:
    """All scenarios of a bundle run one after another, with their coverage."""

    results: list[ScenarioResult]
    coverage: scenario_coverage.CoverageReport

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)


def _last_instance_id(ctx: EngineContext) -> int:
    with ctx.sessionmaker() as session:
        return session.scalar(select(func.max(ProcessInstance.id))) or 0


def _end_left_over(ctx: EngineContext, after_id: int, name: str) -> None:
    """End the cases a failed scenario left running: their timers would otherwise fire in
    the scenarios after it and fail those too (one failure shown as many)."""
    with ctx.sessionmaker.begin() as session:
        left = session.scalars(select(ProcessInstance.id).where(
            ProcessInstance.id > after_id,
            ProcessInstance.status.in_(instance_control.TERMINABLE))).all()
        for instance_id in left:
            instance_control.terminate_instance(ctx, session, SYSTEM, instance_id,
                                                f"scenario {name} mislukt")


def run_all(ctx: EngineContext, clock: ManualClock, scenarios: list[Scenario],
            files: Iterable[BundleFile], prefix: str = "SC") -> SuiteResult:
    """Run ``scenarios`` one after another (each its own case) against what ``ctx`` has
    deployed, and measure their coverage of the processes in ``files``."""
    actors: dict[tuple[str, str], Actor] = {}
    results: list[ScenarioResult] = []
    for n, scenario in enumerate(scenarios, start=1):
        last_instance = _last_instance_id(ctx)
        results.append(run(ctx, clock, scenario, f"{prefix}-{n:03d}", actors))
        if not results[-1].passed:
            _end_left_over(ctx, last_instance, scenario.name)
    model = scenario_coverage.load_model(files)
    events = [e for r in results for e in r.events]
    return SuiteResult(results, scenario_coverage.report(model, events))
