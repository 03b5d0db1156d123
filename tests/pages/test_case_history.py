"""A reopened case shows the household's history on its page (issue 10, item 3): the earlier
case, how this one began; a repeat signal says so (item 6). Another scope sees nothing."""

from __future__ import annotations

from sqlalchemy import select

from engine.models import Case, HumanTask
from tests.casework import complete_claimed, corporation, report
from tests.factories import make_user
from tests.processes.chain import deploy_chain
from tests.webclient import login, person


def test_a_summons_on_a_closed_case_page_opens_a_linked_case_with_its_history(ctx, app):
    deploy_chain(ctx)
    corp = corporation(ctx)
    closed = report(ctx, corp, arrears={"amount": "20.00"}).case_number  # not picked up
    team = make_user(ctx, "team-dordrecht", "social_team", "dordrecht")
    with ctx.sessionmaker() as session:
        task_id = session.scalars(select(HumanTask.id).where(
            HumanTask.case_number == closed, HumanTask.bpmn_id == "confirm_case_closure")).one()
    with ctx.sessionmaker.begin() as session:
        complete_claimed(ctx, session, team, task_id, {"closure_date": "2026-04-23"})

    page = login(app, corp.username)
    sent = page.post(f"/cases/{closed}/events", data={"name": "court_summons",
                                                       "hearing_date": "2026-06-09"})
    assert sent.status_code in (302, 303)
    with ctx.sessionmaker() as session:
        new = session.scalars(select(Case.case_number).where(
            Case.opened_by == "reopened:court_summons")).one()

    html = login(app, team.username).get(f"/cases/{new}").get_data(as_text=True)
    assert "Eerdere casussen van dit huishouden" in html
    assert f'<a href="/cases/{closed}">{closed}</a>' in html
    assert "Heropend na een dagvaarding" in html
    assert "in de afgelopen 12 maanden gesloten" in html  # it is a repeat as well
    own = page.get(f"/cases/{new}").get_data(as_text=True)  # the corporation: its own case
    assert f'<a href="/cases/{closed}">{closed}</a>' in own

    other = person(ctx, app, "team-zwijndrecht", "social_team", "zwijndrecht")
    assert other.get(f"/cases/{new}").status_code == 404
    trivire = login(app, corporation(ctx, "trivire").username)
    assert trivire.get(f"/cases/{new}").status_code == 404
    refused = trivire.post(f"/cases/{closed}/events", data={"name": "judgment"})
    assert refused.status_code == 404
    with ctx.sessionmaker() as session:
        assert len(session.scalars(select(Case.id).where(
            Case.opened_by.startswith("reopened:"))).all()) == 1
