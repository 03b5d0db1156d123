"""Suspend, resume and terminate (issue 12): a suspended instance does not move — its timer
does not fire, its task cannot be completed, a message for it is kept — and each action is an
event with its reason; the list filters and their totals; retry after a data fix."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from engine import instance_control, instance_tracking, instances
from engine.access import SYSTEM, Actor
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.errors import Conflict, InvalidInput, NotAllowed
from engine.instances import InstanceFilter
from engine.models import Event, HumanTask, ProcessInstance
from engine.worker import fire_due_timers
from tests.casework import complete_claimed
from tests.factories import deploy, make_user


@pytest.fixture
def anna(ctx: EngineContext) -> Actor:
    return make_user(ctx, "anna", "social_team", "dordrecht")


def _start(ctx: EngineContext, municipality: str = "dordrecht") -> int:
    with ctx.sessionmaker.begin() as session:
        return instances.start_instance(ctx, session, SYSTEM, "review",
                                        {"municipality": municipality}).id


def _task(ctx: EngineContext, instance_id: int, bpmn_id: str = "assess") -> str:
    with ctx.sessionmaker() as session:
        return session.scalars(select(HumanTask.id).where(
            HumanTask.instance_id == instance_id, HumanTask.bpmn_id == bpmn_id,
            HumanTask.state.in_(("open", "claimed")))).one()


def _status(ctx: EngineContext, instance_id: int) -> str:
    with ctx.sessionmaker() as session:
        return session.scalars(select(ProcessInstance.status).where(
            ProcessInstance.id == instance_id)).one()


def _events(ctx: EngineContext, instance_id: int, kind: str) -> list[dict[str, Any]]:
    with ctx.sessionmaker() as session:
        return [e.detail or {} for e in session.scalars(select(Event).where(
            Event.instance_id == instance_id, Event.kind == kind).order_by(Event.id))]


def _act(ctx: EngineContext, action: str, instance_id: int, reason: object,
         actor: Actor = SYSTEM) -> Any:
    function = getattr(instance_control, f"{action}_instance")
    with ctx.sessionmaker.begin() as session:
        return function(ctx, session, actor, instance_id, reason)


def test_a_suspended_instance_does_not_fire_its_timer_until_resumed(
        ctx: EngineContext, clock: ManualClock) -> None:
    deploy(ctx, "review")
    instance_id = _start(ctx)
    assert _act(ctx, "suspend", instance_id, "  Onderzoek naar dubbele melding ").status == \
        "suspended"
    assert _events(ctx, instance_id, "instance_suspended") == [
        {"reason": "Onderzoek naar dubbele melding", "previous": "running"}]

    clock.advance(timedelta(days=6))  # the P5D timer is past due
    assert fire_due_timers(ctx) == 0
    assert _events(ctx, instance_id, "timer_fired") == []
    assert _status(ctx, instance_id) == "suspended"

    resumed = _act(ctx, "resume", instance_id, "Geen dubbele melding")
    assert resumed.status == "running"
    assert _events(ctx, instance_id, "instance_resumed") == [{"reason": "Geen dubbele melding"}]
    # the resuming step itself fires what came due meanwhile, once
    assert len(_events(ctx, instance_id, "timer_fired")) == 1
    assert fire_due_timers(ctx) == 0
    assert len(_events(ctx, instance_id, "timer_fired")) == 1


def test_a_suspended_instances_task_cannot_be_completed(ctx: EngineContext,
                                                        anna: Actor) -> None:
    deploy(ctx, "review")
    instance_id = _start(ctx)
    task_id = _task(ctx, instance_id)
    _act(ctx, "suspend", instance_id, "Controle")
    with pytest.raises(Conflict, match="gepauzeerd"), ctx.sessionmaker.begin() as session:
        complete_claimed(ctx, session, anna, task_id, {"decision": "reject", "amount": 1})
    _act(ctx, "resume", instance_id, "Klaar")
    with ctx.sessionmaker.begin() as session:
        done = complete_claimed(ctx, session, anna, task_id, {"decision": "reject",
                                                              "amount": 1})
    assert done.instance_status == "completed"


def test_terminate_cancels_open_tasks_and_ends_the_instance(ctx: EngineContext) -> None:
    deploy(ctx, "review")
    instance_id = _start(ctx)
    ended = _act(ctx, "terminate", instance_id, "Huurder verhuisd buiten de regio")
    assert ended.status == "terminated"
    assert ended.next_timer_due is None and ended.current_elements == []
    with ctx.sessionmaker() as session:
        states = session.scalars(select(HumanTask.state).where(
            HumanTask.instance_id == instance_id)).all()
    assert states == ["cancelled"]
    assert _events(ctx, instance_id, "instance_terminated") == [
        {"reason": "Huurder verhuisd buiten de regio", "previous": "running",
         "elements": ["assess", "assess_overdue"]}]
    for action in ("suspend", "resume", "terminate"):
        with pytest.raises(Conflict):
            _act(ctx, action, instance_id, "nogmaals")


@pytest.mark.parametrize("reason", [None, "", "   ", 12, "x" * 1001])
def test_the_reason_is_required_and_named(ctx: EngineContext, reason: object) -> None:
    deploy(ctx, "review")
    instance_id = _start(ctx)
    with pytest.raises(InvalidInput) as refused:
        _act(ctx, "suspend", instance_id, reason)
    assert list(refused.value.errors) == ["reason"]
    assert _status(ctx, instance_id) == "running"


def test_only_who_manages_instances_may(ctx: EngineContext, anna: Actor) -> None:
    deploy(ctx, "review")
    instance_id = _start(ctx)
    for role, org in (("manager", "regio"), ("process_owner", "regio"),
                      ("social_team_lead", "dordrecht")):
        who = make_user(ctx, f"u-{role}", role, org)
        with pytest.raises(NotAllowed):
            _act(ctx, "suspend", instance_id, "Waarom niet", actor=who)
    assert _status(ctx, instance_id) == "running"


def test_retry_after_a_data_fix_runs_on(ctx: EngineContext, anna: Actor) -> None:
    deploy(ctx, "review")
    instance_id = _start(ctx)
    with ctx.sessionmaker.begin() as session:
        complete_claimed(ctx, session, anna, _task(ctx, instance_id),
                         {"decision": "unsure", "amount": 5})
    with ctx.sessionmaker() as session:
        detail = instance_tracking.instance_detail(ctx, session, SYSTEM, instance_id)
    assert detail.instance.status == "error" and detail.failed == "route"
    assert detail.error_data is not None and detail.error_data["decision"] == "unsure"
    with ctx.sessionmaker.begin() as session:
        retried = instances.retry_instance(ctx, session, SYSTEM, instance_id,
                                           {"decision": "reject"})
    assert retried.status == "completed"
    assert _events(ctx, instance_id, "instance_retried") == [{"fixed": ["decision"]}]


def test_filters_and_totals(ctx: EngineContext, anna: Actor, clock: ManualClock) -> None:
    deploy(ctx, "review")
    first = _start(ctx)
    clock.advance(timedelta(days=2))
    second = _start(ctx, "zwijndrecht")
    broken = _start(ctx)
    with ctx.sessionmaker.begin() as session:
        complete_claimed(ctx, session, anna, _task(ctx, broken),
                         {"decision": "unsure", "amount": 5})
    _act(ctx, "suspend", second, "Controle")
    manager = make_user(ctx, "mgr", "manager", "regio")

    def listed(**filters: Any) -> tuple[list[int], dict[str, int]]:
        chosen = InstanceFilter(**filters)
        with ctx.sessionmaker() as session:
            page = instances.list_instances(ctx, session, manager, filters=chosen)
            totals = instances.status_totals(ctx, session, manager, chosen)
        assert all(item.data is None for item in page.items)  # a manager sees no data
        return [item.id for item in page.items], {k: v for k, v in totals.items() if v}

    assert listed() == ([broken, second, first],
                        {"running": 1, "suspended": 1, "error": 1})
    assert listed(status="error") == ([broken], {"running": 1, "suspended": 1, "error": 1})
    assert listed(in_error=True) == ([broken], {"error": 1})
    assert listed(municipality="zwijndrecht") == ([second], {"suspended": 1})
    assert listed(step="assess") == ([second, first], {"running": 1, "suspended": 1})
    assert listed(step="route") == ([broken], {"error": 1})
    assert listed(process_id="other") == ([], {})
    assert listed(version=1) == ([broken, second, first],
                                 {"running": 1, "suspended": 1, "error": 1})
    assert listed(version=2) == ([], {})
    today = clock.now().date()
    assert listed(started_from=today) == ([broken, second], {"suspended": 1, "error": 1})
    assert listed(started_to=today - timedelta(days=1)) == ([first], {"running": 1})
    # the assess task has no due date in this diagram: nothing is overdue
    assert listed(overdue=True) == ([], {})
    with pytest.raises(InvalidInput) as refused:
        listed(status="kapot", step="a b", started_from=date(2026, 5, 1),
               started_to=date(2026, 4, 1))
    assert set(refused.value.errors) == {"status", "step", "started_to"}


def test_overdue_filter(ctx: EngineContext, clock: ManualClock) -> None:
    deploy(ctx, "review")
    late, on_time = _start(ctx), _start(ctx)
    with ctx.sessionmaker.begin() as session:
        session.execute(HumanTask.__table__.update().where(
            HumanTask.instance_id == late).values(due_at=clock.now() + timedelta(days=1)))
        session.execute(HumanTask.__table__.update().where(
            HumanTask.instance_id == on_time).values(due_at=clock.now() + timedelta(days=9)))
    clock.advance(timedelta(days=2))
    with ctx.sessionmaker() as session:
        page = instances.list_instances(ctx, session, SYSTEM,
                                        filters=InstanceFilter(overdue=True))
        count = session.scalar(select(func.count()).select_from(ProcessInstance))
    assert [i.id for i in page.items] == [late] and count == 2


def test_a_message_for_a_suspended_case_is_kept_and_delivered_on_resume(
        ctx: EngineContext, clock: ManualClock) -> None:
    from tests.processes.chain import Chain, deploy_chain

    deploy_chain(ctx)
    case = Chain(ctx, clock, "DR-2026-700001")
    instance_id = case.signal()
    assert _status(ctx, instance_id) == "running"
    _act(ctx, "suspend", instance_id, "Controle")
    kept = case.send("arrears_resolved", paid_on="2026-04-24")
    assert kept.status == "kept"
    def delivered() -> list[str]:
        return [d["message"] for d in _events(ctx, instance_id, "message_delivered")]

    assert "arrears_resolved" not in delivered()
    _act(ctx, "resume", instance_id, "Klaar")
    assert "arrears_resolved" in delivered()
    assert [t.bpmn_id for t in case.open_tasks()] == ["confirm_case_closure"]
