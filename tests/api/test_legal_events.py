"""The legal track never drops a threat (issue 10, items 3 and 6), through the API.

A court summons, judgment or eviction date for a closed case reopens the household's file as a
new linked case, for the corporation (or municipality) that may send about the case and for no
one else; a tenant never reported can be reported with a legal event; a signal for an address
whose case closed in the last twelve months is a repeat; higher arrears are picked up.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.clock import ManualClock
from engine.context import EngineContext
from engine.models import Case, HumanTask, Message
from tests.casework import complete_claimed, signal
from tests.factories import make_user
from tests.processes.chain import deploy_chain
from tests.webclient import bearer


@pytest.fixture
def client(ctx: EngineContext, app: Flask) -> FlaskClient:
    deploy_chain(ctx)  # the real processes
    return app.test_client()


def _open_tasks(ctx: EngineContext, case_number: str) -> list[str]:
    with ctx.sessionmaker() as session:
        return sorted(session.scalars(select(HumanTask.bpmn_id).where(
            HumanTask.case_number == case_number, HumanTask.state.in_(("open", "claimed")))))


def _case(ctx: EngineContext, case_number: str) -> Case:
    with ctx.sessionmaker() as session:
        case = session.scalars(select(Case).where(Case.case_number == case_number)).one()
        session.expunge(case)
        return case


def _closed_case(ctx: EngineContext, client: FlaskClient, headers: dict[str, Any],
                 external_id: str, municipality: str = "dordrecht") -> str:
    """A case reported below the threshold and closed by the social team."""
    response = client.post("/api/v1/signals", headers=headers, json=signal(
        external_id, municipality=municipality, arrears={"amount": "20.00"}))
    assert response.status_code == 201, response.json
    number = str(response.json["case_number"])
    team = make_user(ctx, f"team-{external_id}", "social_team", municipality)
    with ctx.sessionmaker() as session:
        task_id = session.scalars(select(HumanTask.id).where(
            HumanTask.case_number == number, HumanTask.bpmn_id == "confirm_case_closure")).one()
    with ctx.sessionmaker.begin() as session:
        complete_claimed(ctx, session, team, task_id, {"closure_date": "2026-04-23"})
    assert _case(ctx, number).closed
    return number


def test_a_summons_for_a_closed_case_reopens_it_for_the_own_corporation_only(
        ctx: EngineContext, client: FlaskClient) -> None:
    woonbron = bearer(ctx, org="woonbron")
    closed = _closed_case(ctx, client, woonbron, "WB-LEGAL-1")
    body = {"name": "court_summons", "case_number": closed, "idempotency_key": "summons-1",
            "payload": {"hearing_date": "2026-06-09"}}
    with ctx.sessionmaker() as session:
        cases_before = len(session.scalars(select(Case.id)).all())
    for refused_by in (bearer(ctx, org="trivire"), bearer(ctx, org="alblasserdam"),
                       bearer(ctx, username=make_user(ctx, "sdd-1", "budget_advice",
                                                      "sdd").username)):
        refused = client.post("/api/v1/messages", json=body, headers=refused_by)
        assert refused.status_code in (403, 404), refused.json
        assert refused.mimetype == "application/problem+json"
    with ctx.sessionmaker() as session:
        assert len(session.scalars(select(Case.id)).all()) == cases_before  # nothing reopened

    reopened = client.post("/api/v1/messages", json=body, headers=woonbron)
    assert reopened.status_code == 202 and reopened.json["status"] == "started"
    new = reopened.json["case_number"]
    assert new != closed
    case = _case(ctx, new)
    assert case.opened_by == "reopened:court_summons"
    assert case.previous_case_id == _case(ctx, closed).id and case.repeat
    assert _open_tasks(ctx, new) == ["act_on_court_summons", "record_first_contact_attempt"]
    # the same summons again: the same new case, never a third one
    again = client.post("/api/v1/messages", json=body, headers=woonbron)
    assert again.status_code == 200 and again.json["case_number"] == new
    # the corporation's own reference now reaches the reopened case
    resolved = client.post("/api/v1/messages", headers=woonbron, json={
        "name": "arrears_resolved", "external_id": "WB-LEGAL-1",
        "payload": {"paid_on": "2026-04-23"}})
    assert resolved.status_code == 202 and resolved.json["case_number"] == new
    assert "confirm_case_closure" in _open_tasks(ctx, new)
    # the case page shows the household's history
    page = client.get(f"/api/v1/cases/{new}", headers=woonbron)
    assert page.status_code == 200
    assert [h["case_number"] for h in page.json["history"]] == [closed]
    assert page.json["opened_by"] == "reopened:court_summons"


def test_the_municipality_may_report_an_eviction_date_for_its_closed_case(
        ctx: EngineContext, client: FlaskClient) -> None:
    closed = _closed_case(ctx, client, bearer(ctx, org="woonbron"), "WB-LEGAL-2",
                          municipality="alblasserdam")
    body = {"name": "eviction_date_set", "case_number": closed,
            "payload": {"eviction_date": "2026-06-10"}}
    refused = client.post("/api/v1/messages", json=body, headers=bearer(ctx, org="dordrecht"))
    assert refused.status_code == 404
    own = client.post("/api/v1/messages", json=body, headers=bearer(ctx, org="alblasserdam"))
    assert own.status_code == 202 and own.json["status"] == "started"
    assert _open_tasks(ctx, own.json["case_number"]) == ["act_on_eviction_date",
                                                          "record_first_contact_attempt"]


def test_a_judgment_while_the_closure_awaits_confirmation_is_not_dropped(
        ctx: EngineContext, client: FlaskClient) -> None:
    woonbron = bearer(ctx, org="woonbron")
    response = client.post("/api/v1/signals", headers=woonbron, json=signal(
        "WB-LEGAL-7", arrears={"amount": "20.00"}))  # not picked up: only the closure waits
    number = response.json["case_number"]
    assert _open_tasks(ctx, number) == ["confirm_case_closure"]
    sent = client.post("/api/v1/messages", headers=woonbron, json={
        "name": "judgment", "case_number": number, "payload": {"outcome": "eviction"}})
    assert sent.status_code == 202 and sent.json["status"] == "started"
    assert _open_tasks(ctx, sent.json["case_number"]) == ["consider_last_chance_agreement",
                                                          "record_first_contact_attempt"]


def test_an_arrears_message_for_a_closed_case_reopens_nothing(
        ctx: EngineContext, client: FlaskClient) -> None:
    woonbron = bearer(ctx, org="woonbron")
    closed = _closed_case(ctx, client, woonbron, "WB-LEGAL-3")
    kept = client.post("/api/v1/messages", headers=woonbron, json={
        "name": "arrears_resolved", "case_number": closed})
    assert kept.status_code == 202 and kept.json["status"] == "kept"
    assert kept.json["case_number"] == closed


def test_a_tenant_never_reported_starts_a_case_with_a_legal_event(
        ctx: EngineContext, client: FlaskClient) -> None:
    woonbron = bearer(ctx, org="woonbron")
    response = client.post("/api/v1/signals", headers=woonbron, json=signal(
        "WB-LEGAL-4", arrears={"amount": "2600.00", "months": 4},
        legal_event={"kind": "court_summons", "hearing_date": "2026-06-09"}))
    assert response.status_code == 201, response.json
    number = response.json["case_number"]
    case = _case(ctx, number)
    assert case.opened_by == "legal_event:court_summons"
    assert case.hearing_date is not None and case.hearing_date.isoformat() == "2026-06-09"
    assert _open_tasks(ctx, number) == ["act_on_court_summons", "record_first_contact_attempt"]
    with ctx.sessionmaker() as session:
        start = session.scalars(select(Message).where(
            Message.name == "arrears_signal", Message.correlation_value == number)).one()
    assert start.payload["legal_event"] == {"kind": "court_summons",
                                            "hearing_date": "2026-06-09"}
    # a municipality reports no signals, with or without a legal event
    refused = client.post("/api/v1/signals", headers=bearer(ctx, org="dordrecht"), json=signal(
        "WB-LEGAL-5", legal_event={"kind": "judgment"}))
    assert refused.status_code == 403


@pytest.mark.parametrize(("legal_event", "field"), [
    ({"kind": "demolition"}, "legal_event/kind"),
    ({"kind": "court_summons"}, "legal_event/hearing_date"),
    ({"kind": "eviction_date_set", "eviction_date": "morgen"}, "legal_event/eviction_date"),
    ({"kind": "judgment", "tenant": "x"}, "legal_event"),
])
def test_a_bad_legal_event_is_named(ctx: EngineContext, client: FlaskClient,
                                    legal_event: dict[str, Any], field: str) -> None:
    response = client.post("/api/v1/signals", headers=bearer(ctx, org="woonbron"),
                           json=signal("WB-LEGAL-6", legal_event=legal_event))
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json["errors"]}, response.json


def test_repeat_within_twelve_months_and_higher_arrears(
        ctx: EngineContext, client: FlaskClient, clock: ManualClock) -> None:
    woonbron = bearer(ctx, org="woonbron")
    closed = _closed_case(ctx, client, woonbron, "WB-REP-1")
    # the household was in an SDD trajectory (a fact the chain recorded on that case)
    with ctx.sessionmaker.begin() as session:
        session.scalars(select(Case).where(Case.case_number == closed)).one() \
            .referred_to_sdd = True
    clock.set(clock.now() + timedelta(days=200))
    repeat = client.post("/api/v1/signals", headers=woonbron, json=signal("WB-REP-2"))
    number = repeat.json["case_number"]
    case = _case(ctx, number)
    assert case.repeat and case.previous_case_id == _case(ctx, closed).id
    assert case.known_sdd_trajectory and not case.duplicate
    assert _open_tasks(ctx, number) == ["record_first_contact_attempt"]
    with ctx.sessionmaker() as session:  # the process is told (triage_signal reads it)
        start = session.scalars(select(Message).where(
            Message.name == "arrears_signal", Message.correlation_value == number)).one()
    assert start.payload["known_sdd_trajectory"] is True and start.payload["repeat"] is True
    assert start.payload["previous_case_number"] == closed
    # a duplicate with the same amount is not picked up; a higher one is, linked to it
    same = client.post("/api/v1/signals", headers=woonbron, json=signal("WB-REP-3"))
    assert _open_tasks(ctx, same.json["case_number"]) == ["confirm_case_closure"]
    higher = client.post("/api/v1/signals", headers=woonbron,
                         json=signal("WB-REP-4", arrears={"amount": "1300.00", "months": 2}))
    grown = _case(ctx, higher.json["case_number"])
    assert grown.duplicate and grown.opened_by == "arrears_increased"
    assert grown.previous_case_id == case.id
    assert _open_tasks(ctx, grown.case_number) == ["record_first_contact_attempt"]


def test_a_case_closed_more_than_twelve_months_ago_is_no_repeat(
        ctx: EngineContext, client: FlaskClient, clock: ManualClock) -> None:
    woonbron = bearer(ctx, org="woonbron")
    _closed_case(ctx, client, woonbron, "WB-OLD-1")
    clock.set(clock.now() + timedelta(days=400))
    later = client.post("/api/v1/signals", headers=woonbron, json=signal("WB-OLD-2"))
    case = _case(ctx, later.json["case_number"])
    assert not case.repeat and case.previous_case_id is None
