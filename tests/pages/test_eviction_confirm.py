"""An eviction executed cannot be undone: the corporation's event form sends it only with the
confirmation box ticked (no JavaScript needed); without it the form comes back with a 422 that
names the box, and nothing is sent (issue 9, item 5)."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.chain.cases import CONFIRM_FIELD
from engine.models import Event, Message
from tests.casework import corporation, deploy_chain, report
from tests.webclient import login


@pytest.fixture
def case(ctx, app) -> tuple[FlaskClient, str]:
    deploy_chain(ctx)
    corp = corporation(ctx)
    number = report(ctx, corp).case_number
    return login(app, corp.username), number


def _sent(ctx, name: str) -> int:
    with ctx.sessionmaker() as session:
        messages = session.scalar(select(func.count()).select_from(Message)
                                  .where(Message.name == name))
        reported = session.scalar(select(func.count()).select_from(Event)
                                  .where(Event.kind == "case_reported"))
    return int(messages or 0) + int(reported or 0)


def test_the_form_asks_for_confirmation_of_an_eviction(case):
    page, number = case
    html = page.get(f"/cases/{number}").get_data(as_text=True)
    box = re.search(rf'<input type="checkbox" id="{CONFIRM_FIELD}" name="{CONFIRM_FIELD}"'
                    r' value="yes"[^>]*>', html)
    assert box is not None, "no confirmation box on the event form"
    assert "checked" not in box.group(0)
    assert f'<label class="choice" for="{CONFIRM_FIELD}">' in html
    assert "Dit kan niet ongedaan worden gemaakt" in html


def test_an_unconfirmed_eviction_is_refused_and_nothing_is_sent(ctx, case):
    page, number = case
    response = page.post(f"/cases/{number}/events", data={"name": "eviction_executed"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert summary is not None
    assert f'href="#{CONFIRM_FIELD}"' in summary.group(0)
    assert "Bevestiging: Bevestig dat de ontruiming is uitgevoerd" in summary.group(0)
    assert 'aria-invalid="true"' in html
    # the choice made is kept for the second try
    assert re.search(r'value="eviction_executed" checked', html)
    assert _sent(ctx, "eviction_executed") == 0


def test_a_confirmed_eviction_is_sent(ctx, case):
    page, number = case
    response = page.post(f"/cases/{number}/events",
                         data={"name": "eviction_executed", CONFIRM_FIELD: "yes"})
    assert response.status_code == 303
    assert _sent(ctx, "eviction_executed") == 2  # the message and the case's timeline row


def test_a_box_with_another_value_is_no_confirmation(ctx, case):
    page, number = case
    response = page.post(f"/cases/{number}/events",
                         data={"name": "eviction_executed", CONFIRM_FIELD: "on "})
    assert response.status_code == 422
    assert _sent(ctx, "eviction_executed") == 0


def test_events_that_can_be_undone_need_no_confirmation(ctx, case):
    page, number = case
    response = page.post(f"/cases/{number}/events", data={"name": "arrangement_broken"})
    assert response.status_code == 303
    assert _sent(ctx, "arrangement_broken") == 2


def test_another_corporations_case_stays_a_404_whatever_the_box(ctx, app, case):
    _page, number = case
    other = corporation(ctx, "trivire")
    response = login(app, other.username).post(f"/cases/{number}/events",
                                               data={"name": "eviction_executed"})
    assert response.status_code == 404
    assert _sent(ctx, "eviction_executed") == 0
