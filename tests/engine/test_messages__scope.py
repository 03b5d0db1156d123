"""Need-to-know on every message from outside: only one's own cases, the same 404 for another
scope's case as for a missing one, idempotency keys per sending organisation, and cases that
start only through intake (issue 8, item 1)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from engine import messages
from engine.access import SYSTEM, Actor
from engine.chain import households
from engine.context import EngineContext
from engine.errors import InvalidInput, NotAllowed, NotFound
from engine.models import AccessLog, AccessLogCase, HumanTask, Message, ProcessInstance
from engine.views import MessageResult
from tests.casework import corporation, machine, report
from tests.factories import make_user
from tests.logged import logged
from tests.processes.chain import deploy_chain


@pytest.fixture
def chain(ctx: EngineContext) -> None:
    """The real processes/ bundle: its cases wait for the messages from outside."""
    deploy_chain(ctx)


def _send(ctx: EngineContext, actor: Actor, name: str, *, case_number: str | None = None,
          external_id: str | None = None, key: str | None = None,
          payload: dict[str, Any] | None = None) -> MessageResult:
    correlation = ("case_number", case_number) if case_number else ("external_id", external_id)
    with ctx.sessionmaker.begin() as session:
        return messages.send_message(ctx, session, actor, name, dict(payload or {}),
                                     correlation[0], correlation[1], key)


def _instance(ctx: EngineContext, case_number: str) -> ProcessInstance:
    with ctx.sessionmaker() as session:
        row = session.scalars(select(ProcessInstance).where(
            ProcessInstance.business_key == case_number)).one()
        session.expunge(row)
        return row


def _count(ctx: EngineContext, model: Any) -> int:
    with ctx.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _open_tasks(ctx: EngineContext, case_number: str) -> list[str]:
    with ctx.sessionmaker() as session:
        return sorted(session.scalars(select(HumanTask.bpmn_id).where(
            HumanTask.case_number == case_number, HumanTask.state.in_(("open", "claimed")))))


def test_a_corporation_cannot_send_about_another_corporations_case(
        ctx: EngineContext, chain: None) -> None:
    trivire = corporation(ctx, "trivire")
    case = report(ctx, trivire, external_id="DEMO-TRIV-00040").case_number
    tasks_before = _open_tasks(ctx, case)
    for outsider in (corporation(ctx, "woonbron"), machine(ctx, "woonbron"),
                     corporation(ctx, "woonbron", "corporation_lead")):
        with pytest.raises(NotFound):
            _send(ctx, outsider, "court_summons", case_number=case,
                  payload={"hearing_date": "2026-06-01"})
    assert _open_tasks(ctx, case) == tasks_before
    assert _count(ctx, Message) == 1  # intake's start message only
    refused = [r.what for r in logged(  # the privacy officer sees the attempts
        ctx, AccessLogCase.case_number == case, AccessLog.organisation == "woonbron")]
    assert len(refused) == 3 and all("court_summons" in what for what in refused)

    own = _send(ctx, trivire, "court_summons", case_number=case,
                payload={"hearing_date": "2026-06-01"})
    assert own.status == "delivered" and own.case_number == case
    assert _open_tasks(ctx, case) != tasks_before


def test_a_municipality_token_reaches_only_its_own_municipalitys_cases(
        ctx: EngineContext, chain: None) -> None:
    case = report(ctx, corporation(ctx), external_id="ALB-1",
                  municipality="alblasserdam").case_number
    tasks_before = _open_tasks(ctx, case)
    with pytest.raises(NotFound):
        _send(ctx, machine(ctx, "dordrecht"), "tenant_moved", case_number=case)
    assert _open_tasks(ctx, case) == tasks_before
    assert "tenant_moved" in _instance(ctx, case).waiting_messages

    moved = _send(ctx, machine(ctx, "alblasserdam"), "tenant_moved", case_number=case)
    assert moved.status == "delivered"
    assert "tenant_moved" not in (_instance(ctx, case).waiting_messages or [])
    assert _open_tasks(ctx, case) != tasks_before  # the help track is cancelled


def test_a_missing_case_and_another_scopes_case_answer_the_same(
        ctx: EngineContext, chain: None) -> None:
    trivire_case = report(ctx, corporation(ctx, "trivire"), external_id="T-1").case_number
    woonbron = machine(ctx, "woonbron")
    answers = []
    for number in (trivire_case, "DR-2026-999999"):
        with pytest.raises(NotFound) as refused:
            _send(ctx, woonbron, "arrears_resolved", case_number=number, key=f"k-{number}")
        answers.append((type(refused.value), refused.value.message))
    with pytest.raises(NotFound) as by_reference:
        _send(ctx, woonbron, "arrears_resolved", external_id="T-1")
    answers.append((type(by_reference.value), by_reference.value.message))
    assert len(set(answers)) == 1  # no "kept" for the missing one, nothing to tell them apart
    assert _count(ctx, Message) == 1


def test_a_message_for_an_own_case_not_yet_waiting_is_still_kept(
        ctx: EngineContext, chain: None) -> None:
    case = report(ctx, corporation(ctx), external_id="WB-1").case_number
    kept = _send(ctx, corporation(ctx), "arrangement_broken", case_number=case, key="b-1")
    assert kept.status == "kept" and kept.case_number == case


def test_idempotency_keys_are_per_sending_organisation(ctx: EngineContext, chain: None) -> None:
    trivire, woonbron = corporation(ctx, "trivire"), corporation(ctx, "woonbron")
    trivire_case = report(ctx, trivire, external_id="DEMO-TRIV-00040").case_number
    own_case = report(ctx, woonbron, external_id="WB-40").case_number

    # intake's key for Trivire's signal, sent by Woonbron: nothing of Trivire's comes back
    probe = _send(ctx, woonbron, "arrangement_broken", case_number=own_case,
                  key="signal:trivire:DEMO-TRIV-00040")
    assert probe.status == "kept" and probe.case_number == own_case != trivire_case

    # the same key from two organisations: two messages, neither a duplicate of the other
    first = _send(ctx, trivire, "arrangement_broken", case_number=trivire_case, key="k-1")
    second = _send(ctx, woonbron, "arrangement_broken", case_number=own_case, key="k-1")
    assert first.status == second.status == "kept"
    assert first.message_id != second.message_id
    # within one organisation the key still makes a repeat harmless (person or token alike)
    again = _send(ctx, machine(ctx, "woonbron"), "arrangement_broken", case_number=own_case,
                  key="k-1")
    assert again.status == "duplicate" and again.message_id == second.message_id


def test_a_pre_sent_key_cannot_leave_another_corporations_signal_without_a_process(
        ctx: EngineContext, chain: None) -> None:
    woonbron, trivire = machine(ctx, "woonbron"), corporation(ctx, "trivire")
    own_case = report(ctx, corporation(ctx, "woonbron"), external_id="WB-9").case_number
    _send(ctx, woonbron, "arrangement_broken", case_number=own_case,
          key="signal:trivire:SQUAT-1")
    squatted = report(ctx, trivire, external_id="SQUAT-1")
    assert squatted.created
    assert _instance(ctx, squatted.case_number).status in ("running", "waiting")
    assert _open_tasks(ctx, squatted.case_number)  # somebody is asked to act

    with pytest.raises(InvalidInput):  # nor by sending the start message itself
        _send(ctx, woonbron, "arrears_signal", case_number=own_case,
              key="signal:trivire:SQUAT-2")
    assert _open_tasks(ctx, report(ctx, trivire, external_id="SQUAT-2").case_number)


def test_a_start_message_is_refused_on_the_public_path(ctx: EngineContext, chain: None) -> None:
    """Only intake starts a case: no instance without a case, thresholds of nobody's choosing."""
    woonbron = corporation(ctx, "woonbron")
    own_case = report(ctx, woonbron, external_id="WB-2").case_number
    instances = _count(ctx, ProcessInstance)
    signal = {"case_number": "ZW-2026-000777", "municipality": "zwijndrecht",
              "corporation": "rhiant", "arrears_amount": 1.0, "threshold_amount": 0}
    for actor, number in ((woonbron, own_case), (woonbron, "ZW-2026-000777"),
                          (machine(ctx, "zwijndrecht"), "ZW-2026-000777"), (SYSTEM, own_case)):
        with pytest.raises(InvalidInput) as refused:
            _send(ctx, actor, "arrears_signal", case_number=number, payload=signal)
        assert set(refused.value.errors) == {"name"}
    assert _count(ctx, ProcessInstance) == instances


def test_only_the_names_the_processes_catch_are_accepted(ctx: EngineContext, chain: None) -> None:
    case = report(ctx, corporation(ctx), external_id="WB-3").case_number
    for name in ("frobnicate", "case_opened", "Court_Summons"):
        with pytest.raises(InvalidInput) as refused:
            _send(ctx, SYSTEM, name, case_number=case)
        assert set(refused.value.errors) == {"name"}
    for name in messages.EXTERNAL_MESSAGES:
        # once the case only awaits its closure, a legal event reopens the file (households)
        assert _send(ctx, SYSTEM, name, case_number=case, key=name).status in (
            ("delivered", "kept", "started") if name in households.LEGAL_EVENTS
            else ("delivered", "kept"))


def test_an_external_id_is_resolved_within_the_senders_own_corporation(
        ctx: EngineContext, chain: None) -> None:
    trivire_case = report(ctx, corporation(ctx, "trivire"), external_id="SHARED-1").case_number
    own_case = report(ctx, corporation(ctx, "woonbron"), external_id="SHARED-1",
                      tenant={"house_number": "99"}).case_number
    moved = _send(ctx, machine(ctx, "woonbron"), "tenant_moved", external_id="SHARED-1")
    assert moved.status == "delivered" and moved.case_number == own_case
    assert "tenant_moved" in _instance(ctx, trivire_case).waiting_messages
    with pytest.raises(InvalidInput) as refused:
        _send(ctx, machine(ctx, "dordrecht"), "tenant_moved", external_id="SHARED-1")
    assert set(refused.value.errors) == {"external_id"}


def test_a_message_names_a_case(ctx: EngineContext, chain: None) -> None:
    with pytest.raises(InvalidInput) as refused, ctx.sessionmaker.begin() as session:
        messages.send_message(ctx, session, SYSTEM, "arrears_resolved", {})
    assert set(refused.value.errors) == {"case_number"}


def test_roles_without_a_say_in_a_case_may_not_send(ctx: EngineContext, chain: None) -> None:
    case = report(ctx, corporation(ctx), external_id="WB-4").case_number
    for actor in (make_user(ctx, "st", "social_team", "dordrecht"),
                  make_user(ctx, "po", "process_owner", "regio"),
                  machine(ctx, "sdd"), machine(ctx, "veilig-thuis"), machine(ctx, "regio")):
        with pytest.raises(NotAllowed):
            _send(ctx, actor, "tenant_moved", case_number=case)
    assert "tenant_moved" in _instance(ctx, case).waiting_messages


def test_a_key_as_long_as_the_api_allows_still_fits_its_namespace(
        ctx: EngineContext, chain: None) -> None:
    case = report(ctx, corporation(ctx), external_id="WB-5").case_number
    key = "k" * 200
    first = _send(ctx, machine(ctx, "woonbron"), "arrangement_broken", case_number=case, key=key)
    again = _send(ctx, machine(ctx, "woonbron"), "arrangement_broken", case_number=case, key=key)
    assert first.status == "kept"
    assert again.status == "duplicate" and again.message_id == first.message_id
