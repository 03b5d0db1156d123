"""The national result of a case (issue 10, item 5): a column filled at closure, shown to the
social team, corrected only by the social team lead of the case's municipality with a reason
(an event), with the corporation's generic outcome following from it. Every other role,
organisation and token is refused; bad input is a Dutch error naming the field."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine.access import SYSTEM, Actor
from engine.chain import cases
from engine.chain.policy import ROLES
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.errors import InvalidInput, NotAllowed, NotFound
from engine.models import AccessLog, Case, Event
from tests.factories import make_user
from tests.processes.chain import Chain, deploy_chain, utc
from tests.webclient import bearer, login

NUMBER = "DR-2026-0001"
NEW = "Inwoner is overleden"


@pytest.fixture
def closed(ctx: EngineContext, clock: ManualClock) -> Chain:
    """A duplicate signal, closed: "Niet opgepakt: herhaalde melding"."""
    deploy_chain(ctx)
    clock.set(utc("2026-04-23 08:00"))
    chain = Chain(ctx, clock, NUMBER)
    chain.signal(duplicate=True)
    chain.close()
    return chain


def _case(ctx: EngineContext) -> Case:
    with ctx.sessionmaker() as session:
        found = session.scalars(select(Case).where(Case.case_number == NUMBER)).one()
        session.expunge(found)
        return found


def _correct(ctx: EngineContext, who: Actor, result: str = NEW,
             reason: str = "Bericht van de BRP") -> cases.CaseView:
    with ctx.sessionmaker.begin() as session:
        return cases.correct_national_result(ctx, session, who, NUMBER, result, reason)


def test_the_result_is_a_column_of_the_closed_case_shown_to_the_social_team(ctx, closed):
    case = _case(ctx)
    assert case.national_result == "Niet opgepakt: herhaalde melding"
    assert case.outcome == "Niet opgepakt: herhaalde melding"
    anna = make_user(ctx, "anna", "social_team", "dordrecht")
    with ctx.sessionmaker() as session:
        assert cases.get_case(ctx, session, anna, NUMBER).case.national_result == \
            "Niet opgepakt: herhaalde melding"
    corp = make_user(ctx, "wb", "corporation", "woonbron")
    with ctx.sessionmaker() as session:  # the corporation learns the generic outcome only
        view = cases.get_case(ctx, session, corp, NUMBER).case
    assert view.national_result is None and view.outcome == "Niet opgepakt: herhaalde melding"


def test_the_lead_corrects_it_with_a_reason_and_the_corporation_outcome_follows(ctx, closed):
    lisa = make_user(ctx, "lisa", "social_team_lead", "dordrecht")
    view = _correct(ctx, lisa)
    assert view.national_result == NEW and view.outcome == "Afgesloten"
    case = _case(ctx)
    assert (case.national_result, case.outcome) == (NEW, "Afgesloten")
    events = closed.events(cases.RESULT_CORRECTED)
    assert len(events) == 1 and events[0].actor == "lisa"
    assert events[0].detail == {"from": "Niet opgepakt: herhaalde melding", "to": NEW,
                                "reason": "Bericht van de BRP", "outcome": "Afgesloten"}
    with ctx.sessionmaker() as session:
        detail = cases.get_case(ctx, session, lisa, NUMBER)
    assert ("result_corrected", NEW) in [(e.kind, e.label) for e in detail.timeline]


@pytest.mark.parametrize("role", [r for r in ROLES if r != "social_team_lead"])
def test_every_other_role_is_refused(ctx, closed, role):
    org = {"corporation": "woonbron", "corporation_lead": "woonbron", "budget_advice": "sdd",
           "budget_advice_lead": "sdd", "care_referral": "veilig-thuis",
           "care_referral_lead": "veilig-thuis"}.get(role, "dordrecht")
    who = make_user(ctx, f"u-{role}", role, org)
    with pytest.raises(NotAllowed):
        _correct(ctx, who)
    assert _case(ctx).national_result == "Niet opgepakt: herhaalde melding"


def test_the_lead_of_another_municipality_finds_no_case_and_is_logged(ctx, closed):
    other = make_user(ctx, "piet", "social_team_lead", "zwijndrecht")
    with pytest.raises(NotFound):
        _correct(ctx, other)
    with ctx.sessionmaker() as session:
        logged = session.scalars(select(AccessLog.what).where(
            AccessLog.username == "piet")).all()
    assert any("national result correction" in w for w in logged)
    assert closed.events(cases.RESULT_CORRECTED) == []


def test_a_machine_token_is_refused(ctx, closed):
    with pytest.raises(NotAllowed):
        _correct(ctx, SYSTEM.__class__(username="token:dordrecht", role="machine",
                                       organisation="dordrecht",
                                       organisation_kind="municipality"))


@pytest.mark.parametrize(("result", "reason", "field"), [
    ("Ontruimd", "reden", "national_result"),  # not on the national list
    ("Niet opgepakt: herhaalde melding", "reden", "national_result"),  # already the result
    (NEW, "   ", "reason"),
    (NEW, "x" * 2001, "reason"),
])
def test_bad_input_names_the_field_in_dutch(ctx, closed, result, reason, field):
    lisa = make_user(ctx, "lisa", "social_team_lead", "dordrecht")
    with pytest.raises(InvalidInput) as refused:
        _correct(ctx, lisa, result, reason)
    assert set(refused.value.errors) == {field}


def test_an_open_case_has_no_result_to_correct(ctx, clock):
    deploy_chain(ctx)
    clock.set(utc("2026-04-23 08:00"))
    Chain(ctx, clock, NUMBER).signal()
    lisa = make_user(ctx, "lisa", "social_team_lead", "dordrecht")
    with pytest.raises(InvalidInput) as refused:
        _correct(ctx, lisa)
    assert "afgesloten" in refused.value.errors["national_result"]


# --- the JSON API -----------------------------------------------------------------------------

def _post(client: Any, headers: dict[str, Any], body: Any) -> Any:
    return client.post(f"/api/v1/cases/{NUMBER}/national-result", json=body, headers=headers)


def test_api_lead_token_corrects_and_everyone_else_is_refused(ctx, app: Flask, closed):
    client = app.test_client()
    body = {"national_result": NEW, "reason": "Bericht van de BRP"}
    for headers, status in (
            (bearer(ctx, org="woonbron"), 403),  # a corporation's machine token
            (bearer(ctx, org="dordrecht"), 403),  # the municipality's machine token
            (bearer(ctx, username=make_user(ctx, "anna").username), 403),
            (bearer(ctx, username=make_user(ctx, "piet", "social_team_lead",
                                            "zwijndrecht").username), 404)):
        assert _post(client, headers, body).status_code == status
    assert _post(client, {}, body).status_code == 401
    lisa = bearer(ctx, username=make_user(ctx, "lisa", "social_team_lead",
                                          "dordrecht").username)
    bad = _post(client, lisa, {"national_result": "Ontruimd"})
    assert bad.status_code == 422
    named = " ".join(str(e) for e in bad.json["errors"])
    assert "national_result" in named and "reason" in named
    answer = _post(client, lisa, body)
    assert answer.status_code == 200
    assert answer.json["national_result"] == NEW and answer.json["outcome"] == "Afgesloten"
    with ctx.sessionmaker() as session:
        assert session.scalars(select(Event.kind).where(
            Event.kind == cases.RESULT_CORRECTED)).all() == [cases.RESULT_CORRECTED]


# --- the page ---------------------------------------------------------------------------------

def test_page_lead_corrects_member_gets_no_form(ctx, app: Flask, closed):
    make_user(ctx, "lisa", "social_team_lead", "dordrecht")
    make_user(ctx, "anna", "social_team", "dordrecht")
    member = login(app, "anna")
    assert "Eindresultaat corrigeren" not in member.get(f"/cases/{NUMBER}").text
    assert member.get(f"/cases/{NUMBER}/result").status_code == 404
    assert member.post(f"/cases/{NUMBER}/result", data={
        "national_result": NEW, "reason": "x"}).status_code == 403
    lead = login(app, "lisa")
    page = lead.get(f"/cases/{NUMBER}").text
    assert "Niet opgepakt: herhaalde melding" in page and "Eindresultaat corrigeren" in page
    form = lead.get(f"/cases/{NUMBER}/result")
    assert form.status_code == 200 and NEW in form.text
    missing = lead.post(f"/cases/{NUMBER}/result", data={"national_result": NEW, "reason": ""})
    assert missing.status_code == 422 and "Reden van de correctie" in missing.text
    done = lead.post(f"/cases/{NUMBER}/result", data={"national_result": NEW,
                                                      "reason": "Bericht van de BRP"})
    assert done.status_code in (302, 303, 200)
    assert _case(ctx).national_result == NEW
    assert "Eindresultaat gecorrigeerd" in lead.get(f"/cases/{NUMBER}").text


def test_page_the_corporation_sees_the_corrected_generic_outcome_never_the_code(
        ctx, app: Flask, closed):
    """The corporation's case page shows the generic outcome the case has now (§1.4), also
    after the lead corrected the national result; the national code itself never."""
    make_user(ctx, "wb", "corporation", "woonbron")
    lisa = make_user(ctx, "lisa", "social_team_lead", "dordrecht")
    corporation = login(app, "wb")
    before = corporation.get(f"/cases/{NUMBER}").text
    assert '<dd class="case-outcome">Niet opgepakt: herhaalde melding</dd>' in before
    assert "Landelijk eindresultaat" not in before
    _correct(ctx, lisa)
    after = corporation.get(f"/cases/{NUMBER}").text
    assert '<dd class="case-outcome">Afgesloten</dd>' in after
    assert NEW not in after and "Landelijk eindresultaat" not in after
