"""Working a task in the browser (issue 9, items 4 and 5): opening claims; a lost claim is a
Dutch message in the page, with htmx and without; a refused submit swaps only the form (the
address stays the task's, so a reload never posts again) and focuses the error summary; the
next attempt starts empty; the plan shows the advice and the referral starts from it."""

from __future__ import annotations

import re

import pytest

from engine.lifecycle import CLAIMED_BY_OTHER, NOT_CLAIMED
from tests.casework import corporation, deploy_chain, report
from tests.factories import make_user
from tests.processes.chain import Chain
from tests.processes.chain import deploy_chain as deploy_processes
from tests.webclient import bearer, login

HTMX = {"HX-Request": "true"}
ATTEMPT = {"attempt_type": "phone", "attempt_date": "2026-04-23", "contact_made": "true"}


def _first_task(client) -> str:
    html = client.get("/inbox?queue=team").get_data(as_text=True)
    return re.search(r'href="/tasks/([0-9a-f-]{36})"', html).group(1)


@pytest.fixture
def team(ctx, app):
    deploy_chain(ctx)
    report(ctx, corporation(ctx))
    make_user(ctx, "anna")
    make_user(ctx, "bram")
    make_user(ctx, "lead", "social_team_lead")
    anna, bram, lead = (login(app, name) for name in ("anna", "bram", "lead"))
    return anna, bram, lead, _first_task(anna)


def test_opening_a_task_claims_it_and_a_colleague_only_looks_on(team):
    anna, bram, _lead, task_id = team
    assert "Terugzetten in de teamwachtrij" in anna.get(f"/tasks/{task_id}").get_data(
        as_text=True)
    assert f"/tasks/{task_id}" in anna.get("/inbox?queue=mine").get_data(as_text=True)
    html = bram.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Een collega heeft deze taak opgepakt" in html
    assert 'class="task-form"' not in html


def test_a_second_claim_says_so_in_the_page_without_htmx(team):
    anna, bram, _lead, task_id = team
    anna.get(f"/tasks/{task_id}")
    response = bram.post(f"/tasks/{task_id}/claim", data={"queue": "team"})
    assert response.status_code == 409
    assert CLAIMED_BY_OTHER in response.get_data(as_text=True)


def test_a_second_claim_says_so_in_the_list_with_htmx(team):
    anna, bram, _lead, task_id = team
    anna.get(f"/tasks/{task_id}")
    response = bram.post(f"/tasks/{task_id}/claim", data={"queue": "team"},
                         headers={**HTMX, "HX-Target": "inbox-list"})
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert CLAIMED_BY_OTHER in response.get_data(as_text=True)


def test_completing_a_task_the_lead_put_back_is_refused_in_the_page(team):
    anna, _bram, lead, task_id = team
    anna.get(f"/tasks/{task_id}")
    assert lead.post(f"/tasks/{task_id}/release", data={}).status_code == 303
    response = anna.post(f"/tasks/{task_id}", data={**ATTEMPT, "attempt_note": "Gebeld"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Afronden lukte niet" in html and NOT_CLAIMED in html
    assert 'id="conflict" autofocus' in html
    assert ">Gebeld</textarea>" in html  # what was typed is kept
    swapped = anna.post(f"/tasks/{task_id}", data=ATTEMPT,
                        headers={**HTMX, "HX-Target": "task-work"})
    fragment = swapped.get_data(as_text=True)
    assert swapped.status_code == 200
    assert fragment.lstrip().startswith('<div id="task-work">') and "<html" not in fragment
    assert NOT_CLAIMED in fragment
    # nothing was completed: the task is still open in the team queue
    assert task_id in lead.get("/inbox?queue=team").get_data(as_text=True)


def test_a_refused_submit_swaps_only_the_form_and_focuses_the_summary(team):
    anna, _bram, _lead, task_id = team
    page = anna.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert f'hx-post="/tasks/{task_id}" hx-target="#task-work"' in page
    response = anna.post(f"/tasks/{task_id}", data={"attempt_type": "phone"},
                         headers={**HTMX, "HX-Target": "task-work"})
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in fragment
    assert 'id="error-summary" autofocus' in fragment
    assert "Datum contactpoging: is verplicht: vul een datum in (dd-mm-jjjj)" in fragment
    plain = anna.post(f"/tasks/{task_id}", data={"attempt_type": "phone"})
    assert plain.status_code == 422
    assert 'id="error-summary" autofocus' in plain.get_data(as_text=True)


# --- the real chain -------------------------------------------------------------------------------

@pytest.fixture
def chain(ctx, clock, app):
    deploy_processes(ctx)
    chain = Chain(ctx, clock, "DR-2026-0019")
    chain.signal()
    chain.actor("social_team")
    return chain


def _page(client, chain: Chain, bpmn_id: str) -> tuple[str, str]:
    task_id = chain.task(bpmn_id).id
    return task_id, client.get(f"/tasks/{task_id}").get_data(as_text=True)


def test_the_next_attempt_page_starts_empty(chain, app):
    chain.attempt(False, "Telefoon", "evening")
    anna = login(app, "social_team-dordrecht")
    _task_id, html = _page(anna, chain, "record_contact_attempt")
    assert "checked" not in html
    assert 'name="attempt_date" value=""' in html
    assert 'maxlength="2000"' in html  # the note states its maximum


def test_a_future_date_is_named_by_its_label_and_bound(chain, app):
    anna = login(app, "social_team-dordrecht")
    task_id, _html = _page(anna, chain, "record_first_contact_attempt")
    response = anna.post(f"/tasks/{task_id}", data={
        "attempt_type": "Telefoon", "attempt_date": "24-04-2031", "day_part": "morning",
        "contact_made": "false"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Datum contactpoging: mag niet na vandaag liggen (23-04-2026)" in html


def test_the_plan_shows_the_advice_and_the_referral_starts_from_it(ctx, chain, app):
    chain.reach()
    chain.talk(True, False)
    chain.zrm(finances=2)
    anna = login(app, "social_team-dordrecht")
    task_id, plan = _page(anna, chain, "agree_action_plan")
    api = app.test_client().get(f"/api/v1/tasks/{task_id}",
                                headers=bearer(ctx, username="social_team-dordrecht")).json
    assert [(f["name"], f["value"]) for f in api["facts"]] == [
        ("advised_route", "budget_advice"),
        ("advice_reason", "Financiën scoort 2 of lager en er zijn geen andere schulden")]
    assert "<dt>Advies van de beslistabel</dt>" in plan
    assert "<dd>Budgetadvies SDD</dd>" in plan
    assert "<dd>Financiën scoort 2 of lager en er zijn geen andere schulden</dd>" in plan
    assert "advised_route" not in plan
    chain.plan()
    _task_id, referral = _page(anna, chain, "prepare_sdd_referral")
    assert 'value="budget_advice" checked' in referral
    assert 'value="debt_mediation" checked' not in referral


def test_the_attempt_page_offers_the_national_kinds_and_says_what_no_contact_needs(chain, app):
    chain.attempt(False, "Telefoon", "evening")
    anna = login(app, "social_team-dordrecht")
    _task_id, html = _page(anna, chain, "record_contact_attempt")
    for value, label in (("Huisbezoek", "Huisbezoek"), ("Kaartje", "Kaartje door de deur"),
                         ("SMS/Whatsapp", "Sms/WhatsApp"), ("Administratief", "Administratief")):
        assert f'value="{value}"' in html and label in html
    assert "Nog nodig voordat &#39;geen contact&#39; kan" in html
    assert "Een huisbezoek of een kaartje door de deur" in html


def test_contact_lost_is_a_box_and_the_conversation_questions_stay_yes_no(chain, app):
    chain.reach()
    anna = login(app, "social_team-dordrecht")
    task_id, html = _page(anna, chain, "hold_kitchen_table_conversation")
    assert 'type="checkbox"' in html and 'name="contact_lost"' in html
    for name in ("help_wanted", "consent_data_sharing", "other_debts"):
        assert f'type="radio" name="{name}"' in html  # a yes/no pair: blank is never "no"
    refused = anna.post(f"/tasks/{task_id}", data={"conversation_date": "23-04-2026"})
    assert refused.status_code == 422
    assert "Huurder wil hulp: is verplicht: maak een keuze" in refused.get_data(as_text=True)
    done = anna.post(f"/tasks/{task_id}", data={"conversation_date": "23-04-2026",
                                                "contact_lost": "on"})
    assert done.status_code in (200, 303)
    assert chain.open_ids() == ["confirm_case_closure"]
