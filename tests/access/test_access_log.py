"""The access log: every read of a household's data, and every refused attempt on another
scope's object, leaves a row the privacy officer can read; the refused answer stays the same
404 as for a missing object."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.access import NO_CASE, REFUSED
from engine.context import EngineContext
from engine.models import AccessLog, HumanTask, ProcessInstance
from tests.access.world import World, build
from tests.logged import logged
from tests.webclient import bearer, login


@pytest.fixture
def world(ctx: EngineContext) -> World:
    return build(ctx)


def _log(ctx: EngineContext, username: str) -> list[tuple[str, str]]:
    return [(r.case_number, r.what) for r in logged(ctx, AccessLog.username == username)]


def _open_task(ctx: EngineContext, case_number: str) -> str:
    with ctx.sessionmaker() as session:
        return session.scalars(select(HumanTask.id).where(
            HumanTask.case_number == case_number, HumanTask.state == "open")).one()


def test_reading_a_task_through_the_api_is_logged(ctx, app, world):
    number = world.cases["dordrecht_sdd"]
    task_id = _open_task(ctx, number)
    response = app.test_client().get(f"/api/v1/tasks/{task_id}",
                                     headers=bearer(ctx, username="sdd"))
    assert response.status_code == 200
    assert _log(ctx, "sdd") == [(number, "task read")]


def test_an_admins_instance_list_and_instance_read_are_logged(ctx, app, world):
    client, token = app.test_client(), bearer(ctx, username="admin")
    listing = client.get("/api/v1/instances", headers=token)
    assert listing.status_code == 200
    shown = {i["business_key"] for i in listing.json["items"]}
    assert shown == set(world.cases.values())
    assert sorted(_log(ctx, "admin")) == sorted((n, "instance list") for n in shown)
    one = listing.json["items"][0]
    assert client.get(f"/api/v1/instances/{one['id']}", headers=token).status_code == 200
    assert _log(ctx, "admin")[-1] == (one["business_key"], "instance read")


def test_a_process_owner_sees_no_data_so_no_row_is_written(ctx, app, world):
    response = app.test_client().get("/api/v1/instances", headers=bearer(ctx, username="po"))
    assert response.status_code == 200 and response.json["items"]
    assert all(i["data"] is None for i in response.json["items"])
    assert _log(ctx, "po") == []


def test_a_refused_case_read_is_logged_and_answers_the_same_404(ctx, app, world):
    page = login(app, "st-dordrecht")
    other = world.cases["sliedrecht_care"]
    refused = page.get(f"/cases/{other}")
    missing = page.get("/cases/DR-2099-999999")
    assert refused.status_code == missing.status_code == 404
    assert refused.get_data() == missing.get_data()
    api = app.test_client()
    token = bearer(ctx, username="st-dordrecht")
    refused_api = api.get(f"/api/v1/cases/{other}", headers=token)
    missing_api = api.get("/api/v1/cases/DR-2099-999999", headers=token)
    assert refused_api.status_code == missing_api.status_code == 404
    assert refused_api.json == missing_api.json
    assert _log(ctx, "st-dordrecht") == [
        (other, f"{REFUSED}case detail {other}"),
        (NO_CASE, f"{REFUSED}case detail DR-2099-999999"),
        (other, f"{REFUSED}api case detail {other}"),
        (NO_CASE, f"{REFUSED}api case detail DR-2099-999999")]


def test_refused_task_reads_claims_and_completions_are_logged(ctx, app, world):
    other = world.cases["sliedrecht_care"]
    task_id = _open_task(ctx, other)
    client, token = app.test_client(), bearer(ctx, username="sdd")
    missing = "00000000-0000-0000-0000-000000000000"
    answers = []
    for path in (f"/api/v1/tasks/{task_id}", f"/api/v1/tasks/{missing}"):
        answers.append(client.get(path, headers=token))
    for action in ("claim", "release"):
        answers.append(client.post(f"/api/v1/tasks/{task_id}/{action}", headers=token))
    answers.append(client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {}},
                               headers=token))
    assert {a.status_code for a in answers} == {404}
    assert len({a.get_data() for a in answers}) == 1
    assert _log(ctx, "sdd") == [
        (other, f"{REFUSED}task read {task_id}"), (NO_CASE, f"{REFUSED}task read {missing}"),
        (other, f"{REFUSED}task claim {task_id}"), (other, f"{REFUSED}task release {task_id}"),
        (other, f"{REFUSED}task complete {task_id}")]
    with ctx.sessionmaker() as session:
        assert session.scalar(select(HumanTask.state).where(HumanTask.id == task_id)) == "open"


def test_a_refused_instance_read_is_logged_and_answers_the_same_404(ctx, app, world):
    other = world.cases["sliedrecht_care"]
    with ctx.sessionmaker() as session:
        instance_id = session.scalars(select(ProcessInstance.id).where(
            ProcessInstance.business_key == other)).first()
    client, token = app.test_client(), bearer(ctx, username="st-dordrecht")
    refused = client.get(f"/api/v1/instances/{instance_id}", headers=token)
    missing = client.get("/api/v1/instances/999999", headers=token)
    assert refused.status_code == missing.status_code == 404
    assert refused.json["title"] == missing.json["title"]
    assert _log(ctx, "st-dordrecht") == [
        (other, f"{REFUSED}instance read {instance_id}"),
        (NO_CASE, f"{REFUSED}instance read 999999")]


def test_a_refused_reference_the_database_cannot_store_is_still_a_404(ctx, app, world):
    response = app.test_client().get("/api/v1/cases/DR-\u00e9\u2028x",
                                     headers=bearer(ctx, username="st-dordrecht"))
    assert response.status_code == 404
    assert _log(ctx, "st-dordrecht") == [(NO_CASE, f"{REFUSED}api case detail DR-\u00e9x")]
