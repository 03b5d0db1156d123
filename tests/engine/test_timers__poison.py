"""One bad case cannot stop the timers of the others (issue 8, item 3).

A note with a NUL used to be accepted; when the case's timer completed it, PostgreSQL refused
the write (``UntranslatableCharacter``), the worker claimed the same case first every round and
no other due timer ever fired. The forms now refuse such text, so the poison is written here
the way the old code stored it: straight into the stored state, with SQL. A corrupt stored
state poisons a case on any database.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from engine import deployments, instances
from engine.access import SYSTEM
from engine.bundles import BundleFile
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.models import Event, HumanTask, ProcessInstance
from engine.timers import FIRST_BACKOFF, MAX_FAILURES
from engine.worker import fire_due_timers
from tests.casework import complete_claimed
from tests.factories import make_user

NOTE = "Niet thuis getroffen"
#: start -> user task ``note`` -> one day later (a timer) -> end: the timer completes the case.
FOLLOW_UP = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs_follow_up" targetNamespace="http://ketenflow.example/test">
  <bpmn:process id="follow_up" name="Opvolgen" isExecutable="true">
    <bpmn:laneSet id="lanes"><bpmn:lane id="lane_team" name="social_team">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>note</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>wait</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="note" name="Notitie vastleggen">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="note.json" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:intermediateCatchEvent id="wait" name="Een dag later">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition id="wait_timer">
        <bpmn:timeDuration>"P1D"</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="note" />
    <bpmn:sequenceFlow id="f2" sourceRef="note" targetRef="wait" />
    <bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""
NOTE_FORM = b'{"type": "object", "properties": {"note": {"type": "string"}}}'


def _cases_waiting_for_their_timer(ctx: EngineContext, count: int) -> list[int]:
    """``count`` instances whose note is written and whose timer waits (due in one day)."""
    with ctx.sessionmaker.begin() as session:
        deployments.deploy(ctx, session, SYSTEM, [BundleFile("follow_up.bpmn", FOLLOW_UP),
                                                  BundleFile("note.json", NOTE_FORM)])
    anna = make_user(ctx)
    ids = []
    for _ in range(count):
        with ctx.sessionmaker.begin() as session:
            started = instances.start_instance(ctx, session, SYSTEM, "follow_up",
                                               {"municipality": "dordrecht"})
            task_id = session.scalars(select(HumanTask.id).where(
                HumanTask.instance_id == started.id)).one()
            complete_claimed(ctx, session, anna, task_id, {"note": NOTE})
        ids.append(started.id)
    return ids


def _poison(ctx: EngineContext, instance_id: int, how: str) -> None:
    """Spoil one case's stored state with SQL, as the old code (or a bad disk) left it."""
    if how == "nul_in_note":
        # The JSON escape of a NUL, exactly as json.dumps stored the accepted note.
        spoil = text("UPDATE process_instance SET state = replace(state, :clean, :nul) "
                     "WHERE id = :id")
        values = {"clean": NOTE, "nul": NOTE.replace(" ", "\\u0000", 1), "id": instance_id}
    else:
        spoil = text("UPDATE process_instance SET state = substr(state, 1, 120) WHERE id = :id")
        values = {"id": instance_id}
    with ctx.db.begin() as connection:
        assert connection.execute(spoil, values).rowcount == 1


def _row(ctx: EngineContext, instance_id: int) -> ProcessInstance:
    with ctx.sessionmaker() as session:
        row = session.get(ProcessInstance, instance_id)
        assert row is not None
        return row


def _failures(ctx: EngineContext, instance_id: int) -> list[Event]:
    with ctx.sessionmaker() as session:
        return list(session.scalars(select(Event).where(
            Event.instance_id == instance_id, Event.kind == "timer_failed").order_by(Event.id)))


@pytest.mark.parametrize("how", ["nul_in_note", "corrupt_state"])
def test_with_one_poisoned_case_among_50_due_timers_the_other_49_fire_in_the_next_round(
        ctx: EngineContext, clock: ManualClock, how: str) -> None:
    if how == "nul_in_note" and ctx.db.dialect.name != "postgresql":
        pytest.skip("SQLite stores a NUL in JSON text; only PostgreSQL refuses to write it "
                    "(corrupt_state poisons a case on SQLite)")
    ids = _cases_waiting_for_their_timer(ctx, 50)
    poisoned, healthy = ids[0], ids[1:]  # the first the worker claims, every round
    _poison(ctx, poisoned, how)
    clock.advance(timedelta(days=1, minutes=1))

    assert fire_due_timers(ctx) == 49
    assert [_row(ctx, i).status for i in healthy] == ["completed"] * 49

    row = _row(ctx, poisoned)
    assert (row.status, row.timer_failures) == ("waiting", 1)
    assert row.timer_retry_at == clock.now() + FIRST_BACKOFF
    [failed] = _failures(ctx, poisoned)
    assert failed.detail is not None and failed.detail["attempt"] == 1
    if how == "nul_in_note":  # the real path, not a stand-in
        assert "UntranslatableCharacter" in failed.detail["message"]
    assert fire_due_timers(ctx) == 0  # backed off: not claimed again at once


def test_a_case_that_keeps_failing_backs_off_and_then_shows_as_error(
        ctx: EngineContext, clock: ManualClock) -> None:
    [poisoned, healthy] = _cases_waiting_for_their_timer(ctx, 2)
    _poison(ctx, poisoned, "corrupt_state")
    clock.advance(timedelta(days=1, minutes=1))
    assert fire_due_timers(ctx) == 1
    waits = []
    for attempt in range(2, MAX_FAILURES + 1):
        before = _row(ctx, poisoned)
        assert before.timer_retry_at is not None
        waits.append(before.timer_retry_at - clock.now())
        clock.advance(waits[-1] - timedelta(seconds=1))
        fire_due_timers(ctx)
        assert _row(ctx, poisoned).timer_failures == attempt - 1  # not yet
        clock.advance(timedelta(seconds=1))
        assert fire_due_timers(ctx) == 0
        assert _row(ctx, poisoned).timer_failures == attempt
    assert waits == [FIRST_BACKOFF * 2 ** n for n in range(MAX_FAILURES - 1)]

    row = _row(ctx, poisoned)
    assert row.status == "error"
    assert row.error_element == "wait"  # where the case stands, for an operator
    assert row.error_message is not None and "InstanceStateInvalid" in row.error_message
    assert len(_failures(ctx, poisoned)) == MAX_FAILURES
    clock.advance(timedelta(days=30))
    assert fire_due_timers(ctx) == 0  # left for an operator, no longer retried
    assert _row(ctx, healthy).status == "completed"
    with ctx.sessionmaker() as session:
        errors = session.scalar(select(func.count()).select_from(Event).where(
            Event.instance_id == poisoned, Event.kind == "error"))
    assert errors == 1
