"""A driver for the chain's scenario tests: signal, tasks per role, messages, clock moves.

Every step runs in its own transaction, so the engine reloads the case from the database each
time, as it does behind the web app. Tasks are found the way people find them: in the team
queue of a user of the right role and organisation (so the need-to-know filters are exercised
too), and completed through ``tasks.complete_task`` (so the forms are validated).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from engine import deployments, inbox, instances, messages, tasks, users
from engine import scenarios as runner
from engine.access import SYSTEM, Actor
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.models import Case, Event, HumanTask, ProcessInstance
from engine.scenarios import SIGNAL_DEFAULTS, utc
from engine.views import InstanceView, MessageResult, TaskView
from engine.worker import fire_due_timers
from tests.casework import complete_claimed

LOCAL = ZoneInfo("Europe/Amsterdam")
PASSWORD = "welkom-123"
#: the ZRM domains, as the tests that fill a ZRM form by hand import them from here
ZRM_DOMAINS = runner.ZRM_DOMAINS


def deploy_chain(ctx: EngineContext) -> None:
    with ctx.sessionmaker.begin() as session:
        deployments.deploy_path(ctx, session, SYSTEM, ctx.settings.processes_dir)


class Chain:
    """One case of the chain, driven step by step."""

    def __init__(self, ctx: EngineContext, clock: ManualClock, case_number: str = "DR-1",
                 actors: dict[tuple[str, str], Actor] | None = None) -> None:
        self.ctx = ctx
        self.clock = clock
        self.case_number = case_number
        self.instance_id: int | None = None
        self.municipality = "dordrecht"
        self.corporation = "woonbron"
        self._actors = actors if actors is not None else {}
        self._keys = 0

    # --- who acts ----------------------------------------------------------------------

    def organisation_for(self, role: str) -> str:
        if role.startswith("social_team"):
            return self.municipality
        if role.startswith("corporation"):
            return self.corporation
        return {"budget_advice": "sdd", "budget_advice_lead": "sdd",
                "care_referral": "veilig-thuis", "care_referral_lead": "veilig-thuis"}[role]

    def actor(self, role: str) -> Actor:
        org = self.organisation_for(role)
        found = self._actors.get((role, org))
        if found is None:
            with self.ctx.sessionmaker.begin() as session:
                user = users.add_user(self.ctx, session, f"{role}-{org}", role, org, PASSWORD)
                found = users.actor_for(user)
            self._actors[(role, org)] = found
        return found

    # --- the clock -----------------------------------------------------------------------

    def today(self) -> str:
        return self.clock.now().astimezone(LOCAL).date().isoformat()

    def at(self, moment: str | datetime) -> int:
        """Set the clock (UTC) and fire what is due; returns how many instances fired."""
        self.clock.set(utc(moment) if isinstance(moment, str) else moment)
        return fire_due_timers(self.ctx)

    # --- messages ------------------------------------------------------------------------

    def signal(self, **changes: Any) -> int:
        payload = {"case_number": self.case_number, **SIGNAL_DEFAULTS, **changes}
        self.municipality = payload["municipality"]
        self.corporation = payload["corporation"]
        self._keys += 1
        with self.ctx.sessionmaker.begin() as session:
            runner.ensure_case(session, self.case_number, payload, self.clock.now())
            result = messages.start_case_process(
                self.ctx, session, SYSTEM, "arrears_signal", payload, self.case_number,
                f"{self.case_number}:arrears_signal:{self._keys}")
        assert result.status == "started", result
        assert result.instance_id is not None
        self.instance_id = result.instance_id
        return result.instance_id

    def send(self, name: str, **payload: Any) -> MessageResult:
        self._keys += 1
        with self.ctx.sessionmaker.begin() as session:
            return messages.send_message(
                self.ctx, session, SYSTEM, name, {"case_number": self.case_number, **payload},
                "case_number", self.case_number,
                f"{self.case_number}:{name}:{self._keys}")

    # --- tasks ---------------------------------------------------------------------------

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
        """The one open task ``bpmn_id`` of this case, as the team queue of its role shows it
        (or the user's "Mijn taken", where the case's holder finds its later tasks)."""
        found = [t for t in self.open_tasks() if t.bpmn_id == bpmn_id]
        assert len(found) == 1, f"{bpmn_id} open {len(found)} times; open: {self.open_ids()}"
        role = role or found[0].role
        assert role is not None
        actor = self.actor(role)
        with self.ctx.sessionmaker() as session:
            queue = [item.task for name in ("team", "mine") for item in inbox.inbox(
                self.ctx, session, actor, queue=name, search=self.case_number,
                limit=200).items]
        visible = [t for t in queue if t.id == found[0].id]
        assert visible, f"{bpmn_id} is not in the team queue of {actor.username}"
        return visible[0]

    def complete(self, bpmn_id: str, data: dict[str, Any], role: str | None = None) -> str:
        """Complete the open task ``bpmn_id`` as a user of its lane; returns the status."""
        task = self.task(bpmn_id, role)
        actor = self.actor(role or task.role or "")
        with self.ctx.sessionmaker.begin() as session:
            result = complete_claimed(self.ctx, session, actor, task.id, data)
        return result.instance_status

    # --- the shorthands of processes/SCENARIOS.md -----------------------------------------

    def _shorthand(self, action: str, value: Any) -> str:
        return runner.shorthand(self.complete, self.today(), action, value)

    def attempt(self, contact: bool, kind: str = "Huisbezoek", part: str = "afternoon",
                on: str | None = None, first: bool = True) -> str:
        return self._shorthand("attempt", {"contact": contact, "kind": kind, "part": part,
                                           "on": on, "first": first})

    def reach(self, on: str | None = None) -> str:
        return self._shorthand("reach", {"on": on})

    def talk(self, help_wanted: bool, other_debts: bool) -> str:
        return self._shorthand("talk", {"help_wanted": help_wanted, "other_debts": other_debts})

    def zrm(self, **scores: int) -> str:
        return self._shorthand("zrm", scores)

    def plan(self, choice: str = "follow_advice") -> str:
        return self._shorthand("plan", choice)

    def sdd(self, service: str, outcome: str, consent: bool) -> str:
        return self._shorthand("sdd", {"service": service, "outcome": outcome,
                                       "consent": consent})

    def close(self, correction: str | None = None) -> str:
        return self._shorthand("close", {"correction": correction})

    # --- what the case looks like -----------------------------------------------------

    def instance(self) -> InstanceView:
        assert self.instance_id is not None
        with self.ctx.sessionmaker() as session:
            return instances.get_instance(self.ctx, session, SYSTEM, self.instance_id)

    def waiting_messages(self) -> list[str]:
        with self.ctx.sessionmaker() as session:
            row = session.get(ProcessInstance, self.instance_id)
            assert row is not None
            return list(row.waiting_messages or [])

    def task_states(self, bpmn_id: str) -> list[str]:
        """The states of every task ``bpmn_id`` this case had, oldest first."""
        with self.ctx.sessionmaker() as session:
            return list(session.scalars(select(HumanTask.state).where(
                HumanTask.instance_id == self.instance_id, HumanTask.bpmn_id == bpmn_id)
                .order_by(HumanTask.created_at, HumanTask.id)).all())

    def queue(self, role: str) -> list[str]:
        """The bpmn ids of this case's tasks in the team queue of a user of ``role``."""
        with self.ctx.sessionmaker() as session:
            page = inbox.inbox(self.ctx, session, self.actor(role), queue="team",
                               search=self.case_number, limit=200)
        return sorted(i.task.bpmn_id for i in page.items
                      if i.task.case_number == self.case_number)

    def due(self, bpmn_id: str) -> datetime | None:
        return self.task(bpmn_id).due_at

    def facts(self, bpmn_id: str) -> dict[str, str]:
        """What the task's form shows above its fields (``x-show``), as the Dutch labels."""
        view = self.task(bpmn_id)
        with self.ctx.sessionmaker.begin() as session:
            detail = tasks.get_task(self.ctx, session, self.actor(view.role or ""), view.id)
        return {fact["name"]: fact["label"] for fact in detail.facts}

    def events(self, kind: str | None = None) -> list[Event]:
        with self.ctx.sessionmaker() as session:
            query = select(Event).where(Event.instance_id == self.instance_id)
            if kind:
                query = query.where(Event.kind == kind)
            rows = list(session.scalars(query.order_by(Event.id)).all())
            session.expunge_all()
            return rows

    def assert_closed(self, reason: str, code: str | None, feedback: str) -> dict[str, Any]:
        view = self.instance()
        assert view.status == "completed", (view.status, view.current_elements, view.error)
        assert view.data is not None
        assert view.data["closure_reason"] == reason
        assert view.data["national_outcome_code"] == code
        assert view.data["corporation_feedback"] == feedback
        assert view.data["case_closed"] is True
        assert view.data["closed_on"] == self.today()
        assert self.open_tasks() == []
        with self.ctx.sessionmaker() as session:  # the case's column, filled at closure
            case = session.scalars(select(Case).where(
                Case.case_number == self.case_number)).one()
            assert (case.national_result, case.outcome, case.closed) == (code, feedback, True)
        return view.data


def as_local(value: datetime | None) -> str | None:
    """A due moment as the ISO text the diagrams write (``2026-05-01T17:00:00+02:00``)."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo("Europe/Amsterdam")).isoformat()


def day(text: str) -> date:
    return date.fromisoformat(text)
