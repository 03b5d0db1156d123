"""Messages: routed by correlation, kept when early, idempotent, never uncorrelated."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from engine import instances, messages
from engine.access import SYSTEM
from engine.context import EngineContext
from engine.errors import InvalidInput
from engine.models import Case, Event, HumanTask, Message
from tests.casework import complete_claimed
from tests.factories import deploy, make_user


def _case(ctx: EngineContext, number: str, municipality: str = "dordrecht",
          corporation: str = "woonbron") -> None:
    """A case row for ``number``: outside messages go only to cases that exist."""
    now = ctx.clock.now()
    with ctx.sessionmaker.begin() as session:
        session.add(Case(case_number=number, corporation=corporation,
                         municipality=municipality, external_id=f"ext-{number}",
                         tenant_name="T. Est", street="Voorstraat", house_number="1",
                         postcode="3311 AB", city="Dordrecht", arrears_amount=Decimal("100"),
                         arrears_months=1, monthly_rent=Decimal("600"), created_at=now,
                         updated_at=now))


def _send(ctx: EngineContext, name: str, case: str, key: str | None,
          **payload: object) -> messages.MessageResult:
    with ctx.sessionmaker.begin() as session:
        if name == "case_opened":  # the bundle's start message: the intake door
            return messages.start_case_process(ctx, session, SYSTEM, name,
                                               {"case_number": case, **payload}, case,
                                               key or f"open:{case}")
        return messages.send_message(ctx, session, SYSTEM, name, {"case_number": case,
                                                                  **payload},
                                     "case_number", case, key)


def test_early_message_is_kept_and_delivered_when_the_case_gets_there(
        ctx: EngineContext) -> None:
    deploy(ctx, "messages")
    anna = make_user(ctx)
    _case(ctx, "DR-1")
    _case(ctx, "DR-2")
    started = _send(ctx, "case_opened", "DR-1", "open-1", municipality="dordrecht")
    assert started.status == "started"
    other = _send(ctx, "case_opened", "DR-2", "open-2", municipality="dordrecht")

    early = _send(ctx, "arrears_resolved", "DR-1", "paid-1", paid=True)
    assert early.status == "kept"
    again = _send(ctx, "arrears_resolved", "DR-1", "paid-1", paid=True)
    assert again.status == "duplicate" and again.message_id == early.message_id

    with ctx.sessionmaker() as session:
        task_id = session.scalar(select(HumanTask.id).where(
            HumanTask.instance_id == started.instance_id))
    assert task_id is not None
    with ctx.sessionmaker.begin() as session:
        result = complete_claimed(ctx, session, anna, task_id, {"reached": True})
    assert result.instance_status == "completed"

    with ctx.sessionmaker() as session:
        view = instances.get_instance(ctx, session, SYSTEM, started.instance_id or 0)
        kept = session.get(Message, early.message_id)
        deliveries = session.scalar(select(func.count()).select_from(Event).where(
            Event.kind == "message_delivered", Event.instance_id == started.instance_id))
        other_view = instances.get_instance(ctx, session, SYSTEM, other.instance_id or 0)
    assert view.data is not None and view.data["resolution"]["paid"] is True
    assert kept is not None and kept.status == "delivered"
    assert deliveries == 2  # the start message and the kept one, nothing twice
    assert other_view.status == "running"  # DR-2 never got DR-1's message

    # The same key once more, after delivery: nothing happens.
    assert _send(ctx, "arrears_resolved", "DR-1", "paid-1").status == "duplicate"


def test_message_to_a_waiting_instance_is_delivered_at_once(ctx: EngineContext) -> None:
    deploy(ctx, "messages")
    anna = make_user(ctx)
    _case(ctx, "DR-7")
    started = _send(ctx, "case_opened", "DR-7", None, municipality="dordrecht")
    with ctx.sessionmaker() as session:
        task_id = session.scalar(select(HumanTask.id).where(
            HumanTask.instance_id == started.instance_id))
    with ctx.sessionmaker.begin() as session:
        complete_claimed(ctx, session, anna, task_id or "", {"reached": False})
    result = _send(ctx, "arrears_resolved", "DR-7", "k-7")
    assert result.status == "delivered" and result.instance_id == started.instance_id
    with ctx.sessionmaker() as session:
        assert instances.get_instance(ctx, session, SYSTEM, started.instance_id or 0).status == \
            "completed"


def test_message_without_correlation_is_refused(ctx: EngineContext) -> None:
    deploy(ctx, "messages")
    with pytest.raises(InvalidInput), ctx.sessionmaker.begin() as session:
        messages.send_message(ctx, session, SYSTEM, "arrears_resolved", {}, None, None, "x")


def test_a_rolled_back_transaction_keeps_no_message(ctx: EngineContext) -> None:
    """The message is taken in within the sender's transaction and rolls back with it."""
    deploy(ctx, "messages")
    _case(ctx, "DR-404")
    with pytest.raises(RuntimeError), ctx.sessionmaker.begin() as session:
        messages.send_message(ctx, session, SYSTEM, "arrears_resolved", {}, "case_number",
                              "DR-404", "rolled-back-key")
        raise RuntimeError("the request failed after the message was taken in")
    with ctx.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 0


def test_the_same_key_sent_twice_at_once_is_taken_in_once(ctx: EngineContext) -> None:
    """The second sender waits on the key's unique index while the first one's transaction
    is open, then answers with the first message (no error, nothing kept twice)."""
    if ctx.db.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: the second sender cannot get in meanwhile")
    deploy(ctx, "messages")
    _case(ctx, "DR-8")
    _send(ctx, "case_opened", "DR-8", "open-8", municipality="dordrecht")
    answers: list[messages.MessageResult] = []
    failures: list[BaseException] = []

    def second_sender() -> None:
        try:
            answers.append(_send(ctx, "arrears_resolved", "DR-8", "paid-8"))
        except BaseException as error:  # noqa: BLE001 - asserted below
            failures.append(error)

    with ctx.sessionmaker.begin() as session:
        first = messages.send_message(ctx, session, SYSTEM, "arrears_resolved",
                                      {"case_number": "DR-8"}, "case_number", "DR-8", "paid-8")
        waiting = threading.Thread(target=second_sender)
        waiting.start()
        waiting.join(1.0)
        assert waiting.is_alive()  # held at the unique index until the first commits
    waiting.join(30)
    assert failures == []
    assert [(a.status, a.message_id) for a in answers] == [("duplicate", first.message_id)]
    with ctx.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(Message).where(
            Message.name == "arrears_resolved")) == 1
