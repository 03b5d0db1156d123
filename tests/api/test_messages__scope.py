"""POST /api/v1/messages from outside: one's own cases only, the same 404 for another scope's
case as for a missing one, keys per sender, no case started around intake (issue 8, item 1)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.context import EngineContext
from engine.models import HumanTask, ProcessInstance
from tests.casework import signal
from tests.processes.chain import deploy_chain
from tests.webclient import bearer


@pytest.fixture
def client(ctx: EngineContext, app: Flask) -> FlaskClient:
    deploy_chain(ctx)  # the real processes: their cases wait for these messages
    return app.test_client()


def _case(client: FlaskClient, headers: dict[str, Any], external_id: str,
          **changes: Any) -> str:
    response = client.post("/api/v1/signals", json=signal(external_id, **changes),
                           headers=headers)
    assert response.status_code == 201, response.json
    return str(response.json["case_number"])


def _open_tasks(ctx: EngineContext, case_number: str) -> list[str]:
    with ctx.sessionmaker() as session:
        return sorted(session.scalars(select(HumanTask.bpmn_id).where(
            HumanTask.case_number == case_number, HumanTask.state.in_(("open", "claimed")))))


def _waiting(ctx: EngineContext, case_number: str) -> list[str]:
    with ctx.sessionmaker() as session:
        row = session.scalars(select(ProcessInstance).where(
            ProcessInstance.business_key == case_number)).one()
        return list(row.waiting_messages or [])


def test_woonbron_cannot_send_a_court_summons_for_a_trivire_case(
        ctx: EngineContext, client: FlaskClient) -> None:
    trivire = bearer(ctx, org="trivire")
    case = _case(client, trivire, "DEMO-TRIV-00040")
    before = _open_tasks(ctx, case)
    body = {"name": "court_summons", "case_number": case,
            "payload": {"hearing_date": "2026-06-01"}}
    refused = client.post("/api/v1/messages", json=body, headers=bearer(ctx, org="woonbron"))
    assert refused.status_code == 404
    assert refused.mimetype == "application/problem+json"
    assert _open_tasks(ctx, case) == before

    own = client.post("/api/v1/messages", json=body, headers=trivire)
    assert own.status_code == 202 and own.json["status"] == "delivered"


def test_the_dordrecht_token_cannot_close_an_alblasserdam_case(
        ctx: EngineContext, client: FlaskClient) -> None:
    case = _case(client, bearer(ctx, org="woonbron"), "ALB-7", municipality="alblasserdam")
    body = {"name": "tenant_moved", "case_number": case}
    refused = client.post("/api/v1/messages", json=body, headers=bearer(ctx, org="dordrecht"))
    assert refused.status_code == 404
    assert "tenant_moved" in _waiting(ctx, case)

    own = client.post("/api/v1/messages", json=body, headers=bearer(ctx, org="alblasserdam"))
    assert own.status_code == 202 and own.json["status"] == "delivered"
    assert "tenant_moved" not in _waiting(ctx, case)


def test_a_missing_case_answers_exactly_like_another_scopes_case(
        ctx: EngineContext, client: FlaskClient) -> None:
    other = _case(client, bearer(ctx, org="trivire"), "T-5")
    woonbron = bearer(ctx, org="woonbron")
    answers = []
    for number in (other, "DR-2026-999999"):
        response = client.post("/api/v1/messages", json={
            "name": "arrears_resolved", "case_number": number, "idempotency_key": "probe"},
            headers=woonbron)
        answers.append((response.status_code, response.json))
    assert answers[0] == answers[1]
    assert answers[0][0] == 404  # never "kept" for a case the sender cannot see


def test_woonbron_gets_nothing_back_for_trivires_idempotency_key(
        ctx: EngineContext, client: FlaskClient) -> None:
    trivire_case = _case(client, bearer(ctx, org="trivire"), "DEMO-TRIV-00040")
    woonbron = bearer(ctx, org="woonbron")
    own_case = _case(client, woonbron, "WB-40", tenant={"house_number": "40"})
    response = client.post("/api/v1/messages", json={
        "name": "arrangement_broken", "case_number": own_case,
        "idempotency_key": "signal:trivire:DEMO-TRIV-00040"}, headers=woonbron)
    assert response.status_code == 202, response.json
    assert response.json["status"] == "kept"
    assert response.json["case_number"] == own_case != trivire_case


def test_a_squatted_key_does_not_stop_trivires_real_signal(
        ctx: EngineContext, client: FlaskClient) -> None:
    woonbron = bearer(ctx, org="woonbron")
    own_case = _case(client, woonbron, "WB-9")
    squat = client.post("/api/v1/messages", json={
        "name": "arrangement_broken", "case_number": own_case,
        "idempotency_key": "signal:trivire:SQUAT-1"}, headers=woonbron)
    assert squat.status_code == 202

    real = client.post("/api/v1/signals", json=signal("SQUAT-1", tenant={"house_number": "3"}),
                       headers=bearer(ctx, org="trivire"))
    assert real.status_code == 201
    case = real.json["case_number"]
    assert "tenant_moved" in _waiting(ctx, case)  # a process instance behind the case
    assert _open_tasks(ctx, case)  # and somebody is asked to contact the household


def test_arrears_signal_through_the_message_endpoint_is_refused(
        ctx: EngineContext, client: FlaskClient) -> None:
    woonbron = bearer(ctx, org="woonbron")
    own_case = _case(client, woonbron, "WB-2")
    with ctx.sessionmaker() as session:
        instances = len(session.scalars(select(ProcessInstance.id)).all())
    for case_number in (own_case, "ZW-2026-000777"):
        response = client.post("/api/v1/messages", json={
            "name": "arrears_signal", "case_number": case_number,
            "payload": {"municipality": "zwijndrecht", "corporation": "rhiant",
                        "threshold_amount": 0}}, headers=woonbron)
        assert response.status_code == 422
        assert [e["field"] for e in response.json["errors"]] == ["name"]
    with ctx.sessionmaker() as session:
        assert len(session.scalars(select(ProcessInstance.id)).all()) == instances


def test_an_unknown_message_name_is_refused(ctx: EngineContext, client: FlaskClient) -> None:
    woonbron = bearer(ctx, org="woonbron")
    own_case = _case(client, woonbron, "WB-3")
    response = client.post("/api/v1/messages", json={"name": "frobnicate",
                                                     "case_number": own_case}, headers=woonbron)
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["name"]


def test_a_message_without_a_case_is_refused(ctx: EngineContext, client: FlaskClient) -> None:
    response = client.post("/api/v1/messages", json={"name": "arrears_resolved"},
                           headers=bearer(ctx, org="woonbron"))
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["case_number"]


def test_a_corporation_names_its_case_by_its_own_reference(
        ctx: EngineContext, client: FlaskClient) -> None:
    woonbron = bearer(ctx, org="woonbron")
    own_case = _case(client, woonbron, "WB-77")
    response = client.post("/api/v1/messages", json={"name": "tenant_moved",
                                                     "external_id": "WB-77"}, headers=woonbron)
    assert response.status_code == 202
    assert response.json["case_number"] == own_case
    refused = client.post("/api/v1/messages", json={"name": "tenant_moved",
                                                    "external_id": "WB-77"},
                          headers=bearer(ctx, org="trivire"))
    assert refused.status_code == 404
