"""The process pages: the list, a process with its versions, tables and forms, the compare
page, and migrating running cases; who reaches which page, and who may migrate (only the
process owner: every other role and a machine token are refused, and nothing moves)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import deployments, process_migration
from engine.access import SYSTEM
from engine.context import EngineContext
from engine.models import Deployment, MigrationJob, ProcessDefinition, ProcessInstance
from tests.access.world import USERS
from tests.engine.test_process_workspace import _start, changed_copy, v2_edits
from tests.factories import deploy, make_user
from tests.webclient import bearer, login

READERS = {"process_owner", "manager", "admin"}


def two_versions(ctx: EngineContext, tmp_path: Path) -> int:
    """review v1 with one running case, v2 with the timer changed and a task added."""
    deploy(ctx, "review")
    instance_id = _start(ctx)
    with ctx.sessionmaker.begin() as session:
        deployments.deploy_path(ctx, session, SYSTEM, changed_copy(tmp_path, "v2", *v2_edits()),
                                change_note="Termijn naar tien dagen")
    return instance_id


def _pages(instance_id: int) -> list[str]:
    return ["/processes", "/processes/review", "/processes/review?version=1",
            "/processes/review/versions/1/diagram.bpmn", "/processes/review/compare?a=1&b=2",
            "/processes/review/migrate?a=1&b=2"]


def _jobs(ctx: EngineContext) -> int:
    with ctx.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(MigrationJob)) or 0


def test_a_process_owner_sees_versions_tables_forms_and_the_diff(ctx, app, tmp_path):
    two_versions(ctx, tmp_path)
    make_user(ctx, "po", "process_owner", "regio")
    client = login(app, "po")
    listing = client.get("/processes").get_data(as_text=True)
    assert 'href="/processes/review"' in listing and "Beoordelen" in listing
    page = client.get("/processes/review").get_data(as_text=True)
    assert "Termijn naar tien dagen" in page
    assert 'data-diagram-url="/processes/review/versions/2/diagram.bpmn"' in page
    assert "forms/assess.json" in page and "decision" in page
    assert 'href="/processes/review/migrate"' in page
    diagram = client.get("/processes/review/versions/1/diagram.bpmn")
    assert diagram.mimetype == "application/xml" and b'"P5D"' in diagram.data
    compare = client.get("/processes/review/compare?a=1&b=2").get_data(as_text=True)
    assert "&#34;P5D&#34;" in compare and "&#34;P10D&#34;" in compare
    assert '"note": "added"' in compare and '"assess_overdue": "changed"' in compare


def test_the_diff_and_the_version_pages_refuse_unknown_versions_without_a_500(ctx, app,
                                                                              tmp_path):
    two_versions(ctx, tmp_path)
    make_user(ctx, "po", "process_owner", "regio")
    client = login(app, "po")
    assert client.get("/processes/review/compare?a=9&b=2").status_code == 422
    assert client.get("/processes/review/compare?a=x&b=2").status_code == 422
    assert client.get("/processes/review?version=7").status_code == 404
    assert client.get("/processes/nope").status_code == 404
    assert client.get("/processes/review/versions/9/diagram.bpmn").status_code == 404


def test_a_process_owner_migrates_through_the_pages(ctx, app, tmp_path):
    instance_id = two_versions(ctx, tmp_path)
    make_user(ctx, "po", "process_owner", "regio")
    client = login(app, "po")
    dry = client.get("/processes/review/migrate?a=1&b=2").get_data(as_text=True)
    assert f'name="instance" value="{instance_id}"' in dry
    assert "1 van 1 lopende zaken kunnen mee." in dry
    response = client.post("/processes/review/migrate?a=1&b=2",
                           data={"instance": str(instance_id)})
    assert response.status_code == 303
    job_url = response.headers["Location"]
    for thread in list(process_migration._running.values()):
        thread.join(30)
    done = client.get(job_url).get_data(as_text=True)
    assert "Klaar." in done and "gemigreerd" in done
    with ctx.sessionmaker() as session:
        row = session.get(ProcessInstance, instance_id)
        v2 = session.scalar(select(ProcessDefinition.id).join(Deployment).where(
            Deployment.version == 2, ProcessDefinition.process_id == "review"))
        assert row is not None and v2 is not None
        assert row.definition_id == v2


def test_choosing_nothing_or_a_stranger_is_a_clear_error(ctx, app, tmp_path):
    two_versions(ctx, tmp_path)
    make_user(ctx, "po", "process_owner", "regio")
    client = login(app, "po")
    assert client.post("/processes/review/migrate?a=1&b=2", data={}).status_code == 422
    assert client.post("/processes/review/migrate?a=1&b=2",
                       data={"instance": "99999"}).status_code == 422
    assert client.post("/processes/review/migrate?a=1&b=2",
                       data={"instance": "x"}).status_code == 422
    assert _jobs(ctx) == 0


@pytest.mark.parametrize("username", list(USERS))
def test_who_reaches_the_process_pages(ctx, app, tmp_path, username):
    instance_id = two_versions(ctx, tmp_path)
    role, org = USERS[username]
    make_user(ctx, username, role, org)
    client = login(app, username)
    for path in _pages(instance_id):
        expected = 200 if role in READERS else 403
        if path.endswith("/migrate?a=1&b=2") and role != "process_owner":
            expected = 403
        assert client.get(path).status_code == expected, (username, path)


@pytest.mark.parametrize("username", [u for u, (role, _o) in USERS.items()
                                      if role != "process_owner"])
def test_only_the_process_owner_may_start_a_migration(ctx, app, tmp_path, username):
    instance_id = two_versions(ctx, tmp_path)
    role, org = USERS[username]
    make_user(ctx, username, role, org)
    client = login(app, username)
    response = client.post("/processes/review/migrate?a=1&b=2",
                           data={"instance": str(instance_id)})
    assert response.status_code == 403, username
    assert _jobs(ctx) == 0


def test_a_token_cannot_migrate(ctx, app, tmp_path):
    """The pages take no bearer tokens: a machine token (a corporation's, a municipality's),
    even a process owner's personal token, is sent to the login page and nothing moves."""
    instance_id = two_versions(ctx, tmp_path)
    make_user(ctx, "po", "process_owner", "regio")
    for headers in (bearer(ctx, org="woonbron"), bearer(ctx, org="dordrecht"),
                    bearer(ctx, username="po")):
        client = app.test_client()
        for response in (client.post("/processes/review/migrate?a=1&b=2",
                                     data={"instance": str(instance_id)}, headers=headers),
                         client.get("/processes/review/migrate?a=1&b=2", headers=headers)):
            assert response.status_code in (302, 303, 401, 403)
            if response.status_code in (302, 303):
                assert response.headers["Location"].startswith("/login")
    assert _jobs(ctx) == 0
