"""The generic engine API: deploy, start, inbox, claim/complete, conflicts, errors, OpenAPI."""

from __future__ import annotations

import base64
import threading
from typing import Any

from engine.context import EngineContext
from tests.bpmn_builder import FORM, script_process
from tests.factories import BPMN


def _bundle(folder: str) -> dict[str, Any]:
    root = BPMN / folder
    return {"files": [{"name": p.relative_to(root).as_posix(),
                       "content_base64": base64.b64encode(p.read_bytes()).decode()}
                      for p in sorted(root.rglob("*")) if p.is_file()]}


def test_health_and_openapi_answer_without_a_token(app: Any) -> None:
    client = app.test_client()
    assert client.get("/api/v1/health").json == {"status": "ok", "database": "ok"}
    spec = client.get("/api/v1/openapi.json").json
    start = spec["paths"]["/api/v1/instances"]["post"]
    assert start["requestBody"]["content"]["application/json"]["schema"]["required"] == \
        ["process_id"]
    assert "/api/v1/tasks/{task_id}/complete" in spec["paths"]


def test_no_token_is_401_problem_json(app: Any) -> None:
    response = app.test_client().get("/api/v1/tasks")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_lifecycle_and_concurrent_completion_conflict(api_as: Any, ctx: EngineContext) -> None:
    owner = api_as("po", "process_owner", "regio")
    assert owner.post("/api/v1/deployments", _bundle("review")).status_code == 201
    assert owner.post("/api/v1/deployments", _bundle("review")).status_code == 200  # same
    started = owner.post("/api/v1/instances", {"process_id": "review",
                                               "data": {"municipality": "dordrecht"}})
    assert started.status_code == 201, started.json
    assert started.json["current_elements"] == ["assess", "assess_overdue"]
    assert started.json["data"] is None  # process owners never see a household's data

    anna = api_as("anna", "social_team", "dordrecht")
    bram = api_as("bram", "social_team", "dordrecht")
    piet = api_as("piet", "social_team", "sliedrecht")
    queue = anna.get("/api/v1/tasks?queue=team").json
    task_id = queue["items"][0]["id"]
    assert piet.get("/api/v1/tasks?queue=team").json["items"] == []
    assert piet.get(f"/api/v1/tasks/{task_id}").status_code == 404

    detail = anna.get(f"/api/v1/tasks/{task_id}").json
    assert detail["form_schema"]["required"] == ["decision", "amount"]

    # only the holder of the claim completes (issue 9): an open task is a 409 in Dutch
    unclaimed = anna.post(f"/api/v1/tasks/{task_id}/complete",
                          {"data": {"decision": "proceed", "amount": 70}})
    assert unclaimed.status_code == 409
    assert "Pak de taak op" in unclaimed.json["detail"]
    assert anna.post(f"/api/v1/tasks/{task_id}/claim", {}).status_code == 200
    assert bram.post(f"/api/v1/tasks/{task_id}/claim", {}).status_code == 409

    bad = anna.post(f"/api/v1/tasks/{task_id}/complete", {"data": {"decision": "maybe"}})
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json["errors"]}
    assert fields == {"decision", "amount"}

    results: list[int] = []
    barrier = threading.Barrier(2)

    def complete(client: Any) -> None:
        barrier.wait()
        response = client.post(f"/api/v1/tasks/{task_id}/complete",
                               {"data": {"decision": "proceed", "amount": 70}})
        results.append(response.status_code)

    threads = [threading.Thread(target=complete, args=(c,)) for c in (anna, bram)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [200, 409]

    instance = owner.get(f"/api/v1/instances/{started.json['id']}").json
    assert instance["current_elements"] == ["advise"]
    listing = owner.get("/api/v1/instances?limit=1").json
    assert [i["id"] for i in listing["items"]] == [started.json["id"]]


def test_refused_bundle_is_422_naming_the_element_never_500(api_as: Any) -> None:
    owner = api_as("po", "process_owner", "regio")
    evil = script_process("x = ().__class__.__base__.__subclasses__()")
    body = {"files": [{"name": "probe.bpmn", "content_base64": base64.b64encode(evil).decode()},
                      {"name": "check.json", "content_base64": base64.b64encode(FORM).decode()}]}
    response = owner.post("/api/v1/deployments", body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"][0]["element"] == "attack"
    assert "Traceback" not in response.get_data(as_text=True)


def test_runaway_script_errors_while_the_server_keeps_answering(api_as: Any) -> None:
    owner = api_as("admin", "admin", "regio")
    loop = script_process("while True:\n    pass")
    body = {"files": [{"name": "probe.bpmn", "content_base64": base64.b64encode(loop).decode()},
                      {"name": "check.json", "content_base64": base64.b64encode(FORM).decode()}]}
    assert owner.post("/api/v1/deployments", body).status_code == 201
    started = owner.post("/api/v1/instances", {"process_id": "probe"})
    assert started.status_code == 201
    assert started.json["status"] == "error"
    assert "longer than" in started.json["error"]["message"]
    assert owner.get("/api/v1/health").status_code == 200


def test_caseworkers_may_not_deploy_or_start(api_as: Any) -> None:
    anna = api_as("anna", "social_team", "dordrecht")
    assert anna.post("/api/v1/deployments", _bundle("review")).status_code == 403
    assert anna.post("/api/v1/instances", {"process_id": "review"}).status_code == 403
    assert anna.post("/api/v1/instances", {"nope": 1}).status_code == 422


def test_the_app_asks_once_whether_its_hooks_are_coroutines(app) -> None:
    """``create_app`` builds the Flask that remembers ``ensure_sync``'s answers
    (``webui.KetenflowFlask``; its behaviour: tests/test_flask_app.py)."""
    from webui import KetenflowFlask

    assert isinstance(app, KetenflowFlask)
