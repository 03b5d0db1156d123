"""When the receiving desk's part and the case are closed, its access to the household ends:
the SDD and the Meldpunt no longer find the case in lists or searches and no longer see the
tenant's name, address, contact details or anyone else's records; they keep a logged read of
their own referral package and of what they recorded themselves (domain.md §6, issue 9)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from engine.clock import ManualClock
from engine.context import EngineContext
from engine.models import AccessLog, Case, HumanTask
from tests.access.world import CASE_ACCESS, TENANTS, USERS, World, build
from tests.casework import complete_claimed
from tests.logged import logged
from tests.processes import scenarios
from tests.processes.chain import Chain
from tests.processes.chain import deploy_chain as deploy_real_chain
from tests.webclient import bearer, login

#: Who still reads the household of a closed referred case in full (domain.md §6: the social
#: team of its municipality, its corporation as milestones, the administrator).
#: The desk whose referral on that case is over (its worker and its lead): its own package only.
DESKS = {"dordrecht_sdd": {"sdd", "sddl"}, "sliedrecht_care": {"meldpunt", "meldpuntl"}}
STILL_SEE_HOUSEHOLD = {label: CASE_ACCESS[label] - desk for label, desk in DESKS.items()}
#: The desk's worker who completes its task.
DESK = {"dordrecht_sdd": "sdd", "sliedrecht_care": "meldpunt"}


def _finish_referral(ctx: EngineContext, world: World, label: str) -> None:
    """The desk completes its task; the test chain then closes the case."""
    desk = world.actors[DESK[label]]
    number = world.cases[label]
    with ctx.sessionmaker.begin() as session:
        task_id = session.scalars(select(HumanTask.id).where(
            HumanTask.case_number == number, HumanTask.role == desk.role,
            HumanTask.state == "open")).one()
        complete_claimed(ctx, session, desk, task_id,
                         {"intake_date": "2026-04-23", "intake_note": "Intake gehouden"})
    with ctx.sessionmaker() as session:
        assert session.scalar(select(Case.closed).where(Case.case_number == number)) is True


@pytest.fixture
def closed_world(ctx: EngineContext) -> World:
    world = build(ctx)
    _finish_referral(ctx, world, "dordrecht_sdd")
    _finish_referral(ctx, world, "sliedrecht_care")
    return world


def _log(ctx: EngineContext, username: str) -> list[tuple[str, str]]:
    return [(r.case_number, r.what) for r in logged(ctx, AccessLog.username == username)]


@pytest.mark.parametrize("username", list(USERS))
def test_a_closed_referred_case_cell_by_cell(ctx, app, closed_world, username):
    """The matrix's cells for closed referred cases: the household for those who keep it, the
    desk's own package (no household data) for the desk, the same 404 for everyone else."""
    page = login(app, username)
    api = app.test_client()
    token = bearer(ctx, username=username)
    for label in ("dordrecht_sdd", "sliedrecht_care"):
        number = closed_world.cases[label]
        name, postcode = TENANTS[label]
        household = username in STILL_SEE_HOUSEHOLD[label]
        desk = username in DESKS[label]
        response = page.get(f"/cases/{number}")
        detail = api.get(f"/api/v1/cases/{number}", headers=token)
        text, body = response.get_data(as_text=True), detail.get_data(as_text=True)
        if household:
            assert response.status_code == detail.status_code == 200, (username, label)
            assert name in text and detail.json["tenant_name"] == name
        elif desk:
            assert response.status_code == detail.status_code == 200, (username, label)
            assert detail.json["view"] == "package" and detail.json["closed"] is True
            for personal in ("tenant_name", "street", "postcode", "phone", "email",
                             "date_of_birth", "arrears_amount", "hearing_date"):
                assert personal not in detail.json, personal
            assert detail.json["open_tasks"] == []
            # the test chain's records are the social team's alone: nothing of theirs shows
            assert detail.json["file"] == []
            assert {e["kind"] for e in detail.json["timeline"]} <= {
                "task_ready", "task_completed", "task_assigned"}
        else:
            assert response.status_code == detail.status_code == 404, (username, label)
        if not household:
            for where, shown in ((f"/cases/{number}", text), ("api", body)):
                for secret in (name, name.split()[1], postcode, "Voorstraat", "0612345678",
                               "example.nl", "812"):
                    assert secret not in shown, (username, label, where, secret)
        # lists and searches find the case only for those who still see the household
        for query in (number, name.split()[1], postcode):
            found = api.get("/api/v1/cases", query_string={"q": query}, headers=token)
            assert found.status_code == 200
            assert ([i["case_number"] for i in found.json["items"]] == [number]) == household
            listing = page.get("/cases", query_string={"q": query})
            if listing.status_code == 200:
                assert (f'href="/cases/{number}"' in listing.get_data(as_text=True)) == \
                    household, (username, query)


def test_the_desk_sees_the_household_until_its_part_and_the_case_are_closed(ctx, app):
    world = build(ctx)
    number = world.cases["dordrecht_sdd"]
    client, token = app.test_client(), bearer(ctx, username="sdd")
    assert client.get(f"/api/v1/cases/{number}", headers=token).json["tenant_name"] == \
        TENANTS["dordrecht_sdd"][0]
    _finish_referral(ctx, world, "dordrecht_sdd")
    detail = client.get(f"/api/v1/cases/{number}", headers=token).json
    assert "tenant_name" not in detail and detail["view"] == "package"
    assert client.get("/api/v1/cases", headers=token).json["items"] == []
    # the read of its own package is logged as such
    assert _log(ctx, "sdd")[-1] == (number, "own referral package")


def test_an_unknown_case_and_a_foreign_one_answer_the_same_404_for_a_desk(ctx, app,
                                                                         closed_world):
    page = login(app, "sdd")
    foreign = page.get(f"/cases/{closed_world.cases['sliedrecht_care']}")
    missing = page.get("/cases/DR-2099-9999")
    assert foreign.status_code == missing.status_code == 404
    assert _log(ctx, "sdd")[-2:] == [
        (closed_world.cases["sliedrecht_care"],
         f"refused: case detail {closed_world.cases['sliedrecht_care']}"),
        ("-", "refused: case detail DR-2099-9999")]


def test_a_case_closed_while_the_desk_still_works_stays_visible(ctx, app):
    """Only both closed ends the access: a closed case with the desk's task still open (a
    case closed by the social team before the SDD's intake) is still the desk's to work."""
    world = build(ctx)
    number = world.cases["dordrecht_sdd"]
    with ctx.sessionmaker.begin() as session:
        session.scalars(select(Case).where(Case.case_number == number)).one().closed = True
    detail = app.test_client().get(f"/api/v1/cases/{number}",
                                   headers=bearer(ctx, username="sdd")).json
    assert detail["tenant_name"] == TENANTS["dordrecht_sdd"][0]


# --- the real chain: the desk keeps its own package and its own records ---------------------

NUMBER = "DR-2026-0001"


@pytest.fixture
def chain(ctx: EngineContext, clock: ManualClock) -> Chain:
    deploy_real_chain(ctx)
    return Chain(ctx, clock, NUMBER)


def _as(app: Flask, chain: Chain, role: str, path: str) -> str:
    chain.actor(role)
    response = login(app, f"{role}-{chain.organisation_for(role)}").get(path)
    assert response.status_code == 200, (role, path, response.status_code)
    return response.get_data(as_text=True)


def test_after_closure_the_sdd_reads_its_package_and_its_records_only(
        ctx: EngineContext, app: Flask, chain: Chain) -> None:
    scenarios.budget_advice(chain)
    html = _as(app, chain, "budget_advice", f"/cases/{NUMBER}")
    assert "Budgetadvies gewenst" in html  # the referral package's summary
    assert "Wettelijke taak Wgs" in html
    assert "Uitkomst SDD terugmelden" in html  # its own outcome
    for hidden in ("T. Est", "Voorstraat", "3311 AB", "Huurachterstand",
                   "Betalingsregeling", "(Budget)advies en/of quick fix", "Keukentafelgesprek",
                   "Zelfredzaamheid"):
        assert hidden not in html, hidden
    body = app.test_client().get(f"/api/v1/cases/{NUMBER}",
                                 headers=bearer(ctx, username="budget_advice-sdd")).json
    assert [r["bpmn_id"] for r in body["file"]] == [
        "prepare_sdd_referral", "hold_sdd_intake", "report_sdd_outcome"]
    # its own task page shows the package, not the household
    task_id = next(t for t in _task_ids(ctx, "hold_sdd_intake"))
    task_html = _as(app, chain, "budget_advice", f"/tasks/{task_id}")
    assert re.search(r'<article class="referral-package', task_html)
    assert "Budgetadvies gewenst" in task_html and "T. Est" not in task_html
    assert "Voorstraat" not in task_html


def test_after_closure_the_meldpunt_reads_its_package_only(
        ctx: EngineContext, app: Flask, chain: Chain) -> None:
    scenarios.meldpunt(chain)
    html = _as(app, chain, "care_referral", f"/cases/{NUMBER}")
    assert "Meervoudige problematiek" in html and "Spoed" in html
    for hidden in ("T. Est", "Voorstraat", "3311 AB", "Huurachterstand", "Keukentafelgesprek"):
        assert hidden not in html, hidden
    body = app.test_client().get(f"/api/v1/cases/{NUMBER}",
                                 headers=bearer(ctx, username="care_referral-veilig-thuis")).json
    assert body["view"] == "package" and "tenant_name" not in body
    assert [r["bpmn_id"] for r in body["file"]] == ["prepare_care_referral",
                                                    "report_care_referral_outcome"]


def _task_ids(ctx: EngineContext, bpmn_id: str) -> list[str]:
    with ctx.sessionmaker() as session:
        return list(session.scalars(select(HumanTask.id).where(HumanTask.bpmn_id == bpmn_id)))
