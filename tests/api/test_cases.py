"""GET /api/v1/cases and /cases/{case_number}: scoped, role-shaped, paged, logged."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.models import AccessLog, AccessLogCase
from tests.casework import corporation, deploy_chain, report
from tests.factories import make_user
from tests.logged import logged
from tests.webclient import bearer


def test_the_social_team_lists_its_municipalitys_cases_newest_first_with_paging(ctx, client):
    deploy_chain(ctx)
    corp = corporation(ctx)
    numbers = [report(ctx, corp, external_id=f"E{i}",
                      tenant={"house_number": str(i + 1)}).case_number for i in range(3)]
    report(ctx, corp, external_id="S", municipality="sliedrecht")
    make_user(ctx, "anna")
    token = bearer(ctx, username="anna")
    first = client.get("/api/v1/cases?limit=2", headers=token).json
    assert len(first["items"]) == 2 and first["next"]
    second = client.get("/api/v1/cases", query_string={"limit": 2, "cursor": first["next"]},
                        headers=token).json
    seen = [i["case_number"] for i in first["items"] + second["items"]]
    assert sorted(seen) == sorted(numbers) and second["next"] is None
    assert first["items"][0]["view"] == "full"
    assert first["items"][0]["arrears_amount"] == "812.50"
    assert first["items"][0]["date_of_birth"] == "1980-04-02"


def test_case_detail_has_a_timeline_and_open_tasks(ctx, client):
    deploy_chain(ctx)
    number = report(ctx, corporation(ctx)).case_number
    make_user(ctx, "anna")
    detail = client.get(f"/api/v1/cases/{number}", headers=bearer(ctx, username="anna")).json
    assert detail["milestone"] == "picked_up"
    assert [t["name"] for t in detail["open_tasks"]] == ["Eerste contact leggen"]
    assert {"milestone", "task_ready", "instance_started"} <= {e["kind"] for e in
                                                               detail["timeline"]}


def test_the_corporation_view_leaves_out_what_it_may_not_see(ctx, client):
    deploy_chain(ctx)
    number = report(ctx, corporation(ctx)).case_number
    detail = client.get(f"/api/v1/cases/{number}", headers=bearer(ctx, org="woonbron")).json
    assert detail["view"] == "milestones" and detail["tenant_name"]
    assert "duplicate" not in detail and "referred_to_sdd" not in detail
    assert detail["open_tasks"] == []


def test_roles_without_households_get_nothing(ctx, client):
    deploy_chain(ctx)
    number = report(ctx, corporation(ctx)).case_number
    for username, role in (("po", "process_owner"), ("mgr", "manager"),
                           ("fg", "privacy_officer")):
        make_user(ctx, username, role, "regio")
        token = bearer(ctx, username=username)
        assert client.get("/api/v1/cases", headers=token).json["items"] == []
        assert client.get(f"/api/v1/cases/{number}", headers=token).status_code == 404
    assert client.get(f"/api/v1/cases/{number}").status_code == 401


def test_a_list_view_is_logged_as_one_row_with_the_cases_it_showed(ctx, client):
    deploy_chain(ctx)
    report(ctx, corporation(ctx), external_id="A")
    report(ctx, corporation(ctx), external_id="B", tenant={"house_number": "2"})
    make_user(ctx, "anna")
    client.get("/api/v1/cases", headers=bearer(ctx, username="anna"))
    with ctx.sessionmaker() as session:
        rows = session.scalars(select(AccessLog)).all()
        assert session.scalar(select(func.count()).select_from(AccessLogCase)) == 2
    assert len(rows) == 1 and rows[0].case_count == 2
    assert (rows[0].what, rows[0].username) == ("api case list", "anna")
    assert len({r.case_number for r in logged(ctx)}) == 2
