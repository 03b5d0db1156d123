"""The task page: case summary, instructions, a server-rendered form with inline Dutch errors
that keep what was typed, and submit -> the next task with a confirmation."""

from __future__ import annotations

import re

from tests.casework import corporation, deploy_chain, report
from tests.factories import make_user
from tests.webclient import login


def _first_task(client) -> str:
    html = client.get("/inbox?queue=team").get_data(as_text=True)
    return re.search(r'href="/tasks/([0-9a-f-]{36})"', html).group(1)


def test_the_task_page_shows_case_instructions_and_form(ctx, app):
    deploy_chain(ctx)
    number = report(ctx, corporation(ctx)).case_number
    make_user(ctx, "anna")
    anna = login(app, "anna")
    html = anna.get(f"/tasks/{_first_task(anna)}").get_data(as_text=True)
    assert "<h1>Eerste contact leggen</h1>" in html
    assert "Bel de huurder op verschillende dagdelen" in html
    assert number in html and "J. de Vries" in html and "812,50" in html
    assert 'type="date" id="attempt_date"' in html
    assert 'type="radio" name="contact_made"' in html and "Telefoon" in html
    assert "Tijdlijn" in html and "Taak klaargezet" in html


def test_invalid_input_shows_inline_errors_and_keeps_what_was_typed(ctx, app):
    deploy_chain(ctx)
    report(ctx, corporation(ctx))
    make_user(ctx, "anna")
    anna = login(app, "anna")
    task_id = _first_task(anna)
    anna.get(f"/tasks/{task_id}")  # opening it claims it
    response = anna.post(f"/tasks/{task_id}", data={"attempt_type": "home_visit",
                                                    "attempt_note": "Niemand thuis"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Controleer het formulier" in html
    assert 'href="#field-attempt_date">Datum contactpoging: is verplicht' in html
    assert 'value="home_visit" checked' in html
    assert ">Niemand thuis</textarea>" in html
    assert 'aria-invalid="true"' in html


def test_wrong_types_are_named_and_the_typed_text_kept(ctx, app):
    deploy_chain(ctx)
    report(ctx, corporation(ctx))
    make_user(ctx, "anna")
    anna = login(app, "anna")
    task_id = _first_task(anna)
    anna.get(f"/tasks/{task_id}")
    anna.post(f"/tasks/{task_id}", data={"attempt_type": "phone", "attempt_date": "23-04-2026",
                                         "contact_made": "true"})
    next_id = re.search(r"/tasks/([0-9a-f-]{36})",
                        anna.get("/inbox?queue=mine").get_data(as_text=True)).group(1)
    response = anna.post(f"/tasks/{next_id}", data={
        "help_wanted": "true", "zrm_finances": "2", "monthly_income": "veel",
        "assessment_note": "kort", "referral": "none"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "moet een getal of bedrag zijn, zoals 812,50" in html and 'value="veel"' in html
    assert "moet minstens" in html and "tekens bevatten" in html


def test_submit_goes_to_the_next_task_with_a_confirmation(ctx, app):
    deploy_chain(ctx)
    number = report(ctx, corporation(ctx)).case_number
    make_user(ctx, "anna")
    anna = login(app, "anna")
    task_id = _first_task(anna)
    anna.get(f"/tasks/{task_id}")
    response = anna.post(f"/tasks/{task_id}", data={
        "attempt_type": "phone", "attempt_date": "2026-04-23", "contact_made": "true"})
    assert response.status_code == 303
    assert response.headers["Location"] != f"/tasks/{task_id}"
    html = anna.get(response.headers["Location"]).get_data(as_text=True)
    assert "Taak afgerond: Eerste contact leggen" in html
    assert "<h1>Keukentafelgesprek voeren</h1>" in html
    assert "Contact gelegd" in html  # the milestone moved
    done = anna.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "al afgerond" in done
    response = anna.post(response.headers["Location"], data={
        "help_wanted": "true", "zrm_finances": "3", "assessment_note": "Regeling afgesproken.",
        "referral": "none"})
    assert response.headers["Location"] == "/inbox?queue=team"
    case = anna.get(f"/cases/{number}").get_data(as_text=True)
    assert "Hulp geaccepteerd" in case and "Betalingsregeling bevestigen" in case


def test_another_scopes_task_is_404(ctx, app):
    deploy_chain(ctx)
    report(ctx, corporation(ctx), municipality="sliedrecht")
    make_user(ctx, "slie", "social_team", "sliedrecht")
    task_id = _first_task(login(app, "slie"))
    make_user(ctx, "anna")
    anna = login(app, "anna")
    assert anna.get(f"/tasks/{task_id}").status_code == 404
    assert anna.post(f"/tasks/{task_id}", data={}).status_code == 404
    assert anna.post(f"/tasks/{task_id}/claim").status_code == 404
    assert "Niet gevonden" in anna.get(f"/tasks/{task_id}").get_data(as_text=True)


def test_the_form_in_english(ctx, app):
    deploy_chain(ctx)
    report(ctx, corporation(ctx))
    make_user(ctx, "anna")
    anna = login(app, "anna")
    task_id = _first_task(anna)
    html = anna.get(f"/tasks/{task_id}?lang=en").get_data(as_text=True)
    assert 'lang="en"' in html and "Date of attempt" in html and "Home visit" in html
    assert "Instructions" in html and "working days left" in html
    assert "May 2026" in html
    html = anna.get("/inbox?queue=team").get_data(as_text=True)
    assert "Team queue" in html  # the choice is kept in the session
