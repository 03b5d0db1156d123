"""Who holds the case: the caseworker who did the outreach gets its later social-team tasks;
the team queue when the holder is gone or gave it back; the lead hands it to someone else."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine import inbox, tasks, users
from engine.access import Actor
from engine.chain import cases
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.errors import InvalidInput, NotAllowed, NotFound
from engine.models import Case, HumanTask
from tests.factories import make_user
from tests.processes.chain import Chain, deploy_chain, utc
from tests.webclient import app  # noqa: F401, F811 - the web app fixture

NUMBER = "DR-2026-0001"


@pytest.fixture
def chain(ctx: EngineContext, clock: ManualClock) -> Chain:
    deploy_chain(ctx)
    clock.set(utc("2026-04-23 08:00"))
    found = Chain(ctx, clock, NUMBER)
    found.signal()
    return found


@pytest.fixture
def team(ctx: EngineContext) -> dict[str, Actor]:
    return {"anna": make_user(ctx, "anna", "social_team", "dordrecht"),
            "bob": make_user(ctx, "bob", "social_team", "dordrecht"),
            "lisa": make_user(ctx, "lisa", "social_team_lead", "dordrecht")}


def _open(chain: Chain, bpmn_id: str) -> HumanTask:
    found = [t for t in chain.open_tasks() if t.bpmn_id == bpmn_id]
    assert len(found) == 1, chain.open_ids()
    return found[0]


def work(chain: Chain, who: Actor, bpmn_id: str, data: dict[str, Any]) -> None:
    """Take the open task (unless the worker already holds it) and complete it."""
    task = _open(chain, bpmn_id)
    with chain.ctx.sessionmaker.begin() as session:
        if task.assignee_id != who.user_id:
            tasks.claim_task(chain.ctx, session, who, task.id)
        tasks.complete_task(chain.ctx, session, who, task.id, data)


def reach(chain: Chain, who: Actor) -> None:
    work(chain, who, "record_first_contact_attempt", {
        "attempt_date": chain.today(), "attempt_type": "Huisbezoek", "day_part": "afternoon",
        "contact_made": True})


def decline(chain: Chain, who: Actor) -> None:
    work(chain, who, "hold_kitchen_table_conversation", {
        "conversation_date": chain.today(), "help_wanted": False,
        "consent_data_sharing": True, "other_debts": False})


def queue(ctx: EngineContext, who: Actor, name: str) -> list[str]:
    with ctx.sessionmaker() as session:
        page = inbox.inbox(ctx, session, who, queue=name, search=NUMBER, limit=200)
    return sorted(i.task.bpmn_id for i in page.items)


def holder(ctx: EngineContext) -> tuple[int | None, str | None]:
    with ctx.sessionmaker() as session:
        case = session.scalars(select(Case).where(Case.case_number == NUMBER)).one()
        return case.holder_id, case.holder_name


def test_the_outreach_worker_holds_the_case_and_gets_its_later_tasks(ctx, chain, team):
    anna, bob = team["anna"], team["bob"]
    assert holder(ctx) == (None, None)
    reach(chain, anna)
    assert holder(ctx) == (anna.user_id, "anna")
    # the next task of the social team is in anna's "Mijn taken", not in the team queue
    assert queue(ctx, anna, "mine") == ["hold_kitchen_table_conversation"]
    assert queue(ctx, bob, "team") == []
    decline(chain, anna)
    # closure too goes to the one who did the work
    assert queue(ctx, anna, "mine") == ["confirm_case_closure"]
    assert queue(ctx, bob, "team") == []
    with ctx.sessionmaker() as session:
        detail = cases.get_case(ctx, session, team["lisa"], NUMBER)
    assert (detail.case.holder_id, detail.case.holder_name) == (anna.user_id, "anna")


def test_a_deactivated_holders_new_tasks_go_to_the_team_queue(ctx, chain, team):
    anna, bob, lisa = team["anna"], team["bob"], team["lisa"]
    reach(chain, anna)
    with ctx.sessionmaker.begin() as session:
        users.deactivate_user(ctx, session, "anna")
    assert holder(ctx) == (anna.user_id, None)  # nobody active holds it
    kitchen = _open(chain, "hold_kitchen_table_conversation")
    with ctx.sessionmaker.begin() as session:  # the lead takes anna's task back
        tasks.release_task(ctx, session, lisa, kitchen.id)
    decline(chain, bob)
    assert queue(ctx, bob, "team") == ["confirm_case_closure"]
    assert queue(ctx, bob, "mine") == []


def test_a_released_case_goes_back_to_the_team_queue_and_stays_there(ctx, chain, team):
    anna, bob = team["anna"], team["bob"]
    reach(chain, anna)
    with ctx.sessionmaker.begin() as session:
        view = cases.release_case(ctx, session, anna, NUMBER)
    assert view.holder_id is None
    assert queue(ctx, anna, "mine") == []
    assert queue(ctx, bob, "team") == ["hold_kitchen_table_conversation"]
    decline(chain, bob)
    # the outreach's worker does not take it again; closure waits in the team queue
    assert holder(ctx) == (None, None)
    assert queue(ctx, bob, "team") == ["confirm_case_closure"]


def test_the_lead_hands_the_case_and_its_open_tasks_to_a_colleague(ctx, chain, team):
    anna, bob, lisa = team["anna"], team["bob"], team["lisa"]
    reach(chain, anna)
    with ctx.sessionmaker() as session:
        choices = {c.display_name for c in cases.holder_choices(session, lisa)}
    assert choices == {"anna", "bob", "lisa"}
    with ctx.sessionmaker.begin() as session:
        view = cases.hand_case(ctx, session, lisa, NUMBER, bob.user_id or 0)
    assert (view.holder_id, view.holder_name) == (bob.user_id, "bob")
    assert queue(ctx, anna, "mine") == []
    assert queue(ctx, bob, "mine") == ["hold_kitchen_table_conversation"]
    decline(chain, bob)
    assert queue(ctx, bob, "mine") == ["confirm_case_closure"]
    assert [e.detail for e in chain.events("holder_changed")] == [
        {"holder": "anna"}, {"holder": "bob"}]


def test_handing_over_is_for_the_lead_of_that_municipality_only(ctx, chain, team):
    anna, bob = team["anna"], team["bob"]
    reach(chain, anna)
    others = {role: make_user(ctx, f"x-{role}", role, org) for role, org in (
        ("corporation", "woonbron"), ("corporation_lead", "woonbron"),
        ("budget_advice", "sdd"), ("care_referral", "veilig-thuis"),
        ("process_owner", "regio"), ("manager", "regio"),
        ("privacy_officer", "regio"), ("admin", "regio"))}
    for who in [bob, anna, *others.values()]:  # roles that never may: 403
        with ctx.sessionmaker() as session, pytest.raises(NotAllowed):
            cases.hand_case(ctx, session, who, NUMBER, bob.user_id or 0)
    zwijndrecht = make_user(ctx, "zoe", "social_team_lead", "zwijndrecht")
    with ctx.sessionmaker() as session, pytest.raises(NotFound):  # another municipality
        cases.hand_case(ctx, session, zwijndrecht, NUMBER, bob.user_id or 0)
    with ctx.sessionmaker() as session, pytest.raises(NotFound):  # no such case
        cases.hand_case(ctx, session, team["lisa"], "DR-2026-9999", bob.user_id or 0)
    # only an active colleague of the same team
    zeno = make_user(ctx, "zeno", "social_team", "zwijndrecht")
    corp = others["corporation"]
    for candidate in (zeno, corp, Actor("ghost", "social_team", "dordrecht", "municipality",
                                        user_id=99999)):
        with ctx.sessionmaker() as session, pytest.raises(InvalidInput) as refused:
            cases.hand_case(ctx, session, team["lisa"], NUMBER, candidate.user_id or 0)
        assert "holder" in refused.value.errors
    assert holder(ctx) == (anna.user_id, "anna")


def test_releasing_is_for_the_holder_or_the_lead(ctx, chain, team):
    anna, bob = team["anna"], team["bob"]
    reach(chain, anna)
    corp = make_user(ctx, "corp", "corporation", "woonbron")
    for who in (bob, corp):
        with ctx.sessionmaker() as session, pytest.raises(NotAllowed):
            cases.release_case(ctx, session, who, NUMBER)
    zoe = make_user(ctx, "zoe", "social_team_lead", "zwijndrecht")
    with ctx.sessionmaker() as session, pytest.raises(NotFound):
        cases.release_case(ctx, session, zoe, NUMBER)
    with ctx.sessionmaker.begin() as session:
        cases.release_case(ctx, session, team["lisa"], NUMBER)
    assert holder(ctx) == (None, None)
    with ctx.sessionmaker() as session, pytest.raises(InvalidInput):
        cases.release_case(ctx, session, team["lisa"], NUMBER)


def test_the_case_page_shows_the_holder_and_the_lead_hands_it_over(ctx, chain, team,
                                                                   app):  # noqa: F811
    from tests.webclient import login

    anna, bob = team["anna"], team["bob"]
    reach(chain, anna)
    make_user(ctx, "corp", "corporation", "woonbron")
    make_user(ctx, "zoe", "social_team_lead", "zwijndrecht")
    lead = login(app, "lisa")
    page = lead.get(f"/cases/{NUMBER}").get_data(as_text=True)
    assert "Behandelaar" in page and "anna" in page and "Casus overdragen" in page
    form = lead.get(f"/cases/{NUMBER}/holder").get_data(as_text=True)
    assert f'<option value="{bob.user_id}"' in form
    empty = lead.post(f"/cases/{NUMBER}/holder", data={"holder": "x"})
    assert empty.status_code == 422 and "Kies een actieve collega" in empty.get_data(True)
    for name, status in (("bob", 403), ("corp", 403), ("zoe", 404)):
        refused = login(app, name).post(f"/cases/{NUMBER}/holder",
                                        data={"holder": str(bob.user_id)})
        assert refused.status_code == status, name
    assert lead.post(f"/cases/{NUMBER}/holder",
                     data={"holder": str(bob.user_id)}).status_code == 303
    assert holder(ctx) == (bob.user_id, "bob")
    member = login(app, "bob")
    assert "Casus overdragen" not in member.get(f"/cases/{NUMBER}").get_data(as_text=True)
    assert member.get(f"/cases/{NUMBER}/holder").status_code == 200
    assert member.post(f"/cases/{NUMBER}/holder",
                       data={"action": "release"}).status_code == 303
    assert holder(ctx) == (None, None)
    # the corporation sees no holder
    corp_page = login(app, "corp").get(f"/cases/{NUMBER}").get_data(as_text=True)
    assert "Behandelaar" not in corp_page and "bob" not in corp_page
    assert login(app, "corp").get(f"/cases/{NUMBER}/holder").status_code == 404
