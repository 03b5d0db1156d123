"""A corporation reports a move from its case page, with the new place if it knows it: a move
within the municipality keeps the case, a move out of it closes it (issue 10, item 4)."""

from __future__ import annotations

from sqlalchemy import select

from engine.models import HumanTask, Message
from tests.casework import corporation, report
from tests.processes.chain import deploy_chain
from tests.webclient import login


def _open(ctx, number: str) -> list[str]:
    with ctx.sessionmaker() as session:
        return sorted(session.scalars(select(HumanTask.bpmn_id).where(
            HumanTask.case_number == number,
            HumanTask.state.in_(("open", "claimed")))).all())


def test_a_move_within_the_municipality_keeps_the_case_one_out_of_it_closes_it(ctx, app):
    deploy_chain(ctx)
    corp = corporation(ctx)
    number = report(ctx, corp).case_number
    page = login(app, corp.username)
    assert "Nieuwe woonplaats" in page.get(f"/cases/{number}").get_data(as_text=True)
    within = page.post(f"/cases/{number}/events", data={"name": "tenant_moved",
                                                        "new_municipality": "Dordrecht"})
    assert within.status_code in (200, 302, 303)
    with ctx.sessionmaker() as session:
        sent = session.scalars(select(Message).where(Message.name == "tenant_moved")).one()
        assert sent.payload["new_municipality"] == "Dordrecht" and sent.status == "delivered"
    assert _open(ctx, number) == ["record_first_contact_attempt"]
    page.post(f"/cases/{number}/events", data={"name": "tenant_moved",
                                               "new_municipality": "Zwijndrecht"})
    assert _open(ctx, number) == ["confirm_case_closure"]


def test_an_overlong_place_is_refused_naming_the_field(ctx, app):
    deploy_chain(ctx)
    corp = corporation(ctx)
    number = report(ctx, corp).case_number
    page = login(app, corp.username)
    answer = page.post(f"/cases/{number}/events", data={"name": "tenant_moved",
                                                        "new_municipality": "x" * 101})
    assert answer.status_code == 422
    assert "Nieuwe woonplaats" in answer.get_data(as_text=True)
    assert _open(ctx, number) == ["record_first_contact_attempt"]
