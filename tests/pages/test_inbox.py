"""The inbox: my tasks and the team queue, claim, release, reassign, search, paging, htmx."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.casework import corporation, deploy_chain, report
from tests.factories import make_user
from tests.webclient import login


def _task_ids(html: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r'href="/tasks/([0-9a-f-]{36})"', html)))


def test_team_queue_claim_then_my_tasks_then_release(ctx, app):
    deploy_chain(ctx)
    number = report(ctx, corporation(ctx)).case_number
    make_user(ctx, "anna")
    anna = login(app, "anna")
    mine = anna.get("/inbox").get_data(as_text=True)
    assert "Je hebt geen taken opgepakt." in mine
    team = anna.get("/inbox?queue=team").get_data(as_text=True)
    assert number in team and "J. de Vries" in team and "Op tijd" in team
    assert "1 mei 2026" in team and "nog 5 werkdagen" in team and "812,50" not in team
    task_id = _task_ids(team)[0]
    response = anna.post(f"/tasks/{task_id}/claim", data={"queue": "team"})
    assert response.status_code == 303
    assert "Taak opgepakt" in anna.get("/inbox?queue=team").get_data(as_text=True)
    assert task_id in anna.get("/inbox?queue=mine").get_data(as_text=True)
    anna.post(f"/tasks/{task_id}/release", data={"queue": "mine"})
    assert task_id in anna.get("/inbox?queue=team").get_data(as_text=True)


def test_htmx_gets_the_list_fragment_and_claiming_swaps_it(ctx, app):
    deploy_chain(ctx)
    report(ctx, corporation(ctx))
    make_user(ctx, "anna")
    anna = login(app, "anna")
    fragment = anna.get("/inbox?queue=team", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and "<table" in html
    task_id = _task_ids(html)[0]
    swapped = anna.post(f"/tasks/{task_id}/claim", data={"queue": "team"},
                        headers={"HX-Request": "true", "HX-Target": "inbox-list"})
    body = swapped.get_data(as_text=True)
    assert swapped.status_code == 200 and "<html" not in body and "Taak opgepakt" in body
    restore = anna.get("/inbox?queue=team", headers={"HX-Request": "true",
                                                     "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


def test_deadline_states_in_working_days(ctx, clock, app):
    deploy_chain(ctx)
    report(ctx, corporation(ctx))
    make_user(ctx, "anna")
    anna = login(app, "anna")
    clock.advance(timedelta(days=6))  # Wednesday 29 April: 1 May is two working days away
    assert "Bijna verlopen" in anna.get("/inbox?queue=team").get_data(as_text=True)
    clock.advance(timedelta(days=6))  # 5 May (a lustrum-free working day in 2026)
    html = anna.get("/inbox?queue=team").get_data(as_text=True)
    assert "Te laat" in html and "2 werkdagen te laat" in html


def test_search_by_case_number_name_and_postcode_and_nothing_outside_scope(ctx, app):
    deploy_chain(ctx)
    corp = corporation(ctx)
    here = report(ctx, corp, external_id="A", tenant={"name": "Fenna Zwart"}).case_number
    there = report(ctx, corp, external_id="B", municipality="sliedrecht",
                   tenant={"name": "Gerrit Wit"}).case_number
    make_user(ctx, "anna")
    anna = login(app, "anna")
    for query in (here, "zwart", "3311 AB", "3311ab", "3311"):
        assert here in anna.get("/inbox", query_string={"queue": "team", "q": query}) \
            .get_data(as_text=True), query
    for query in (there, "wit", "3361 AC"):
        html = anna.get("/inbox", query_string={"queue": "team", "q": query}).get_data(
            as_text=True)
        assert f"/cases/{there}" not in html and "Niets gevonden" in html


def test_paging_follows_the_cursor(ctx, app):
    deploy_chain(ctx)
    corp = corporation(ctx)
    numbers = [report(ctx, corp, external_id=f"P{i}",
                      tenant={"house_number": str(i + 1)}).case_number for i in range(27)]
    make_user(ctx, "anna")
    anna = login(app, "anna")
    first = anna.get("/inbox?queue=team&sort=created").get_data(as_text=True)
    assert len(_task_ids(first)) == 25
    next_url = re.search(r'href="(/inbox\?[^"]*cursor=[^"]+)"', first).group(1)
    second = anna.get(next_url.replace("&amp;", "&")).get_data(as_text=True)
    assert len(_task_ids(second)) == 2
    assert len(set(_task_ids(first)) | set(_task_ids(second))) == 27
    shown = set(re.findall(r'href="/cases/([A-Z]+-\d+-\d+)"', first + second))
    assert shown == set(numbers) and "Eerste pagina" in second


def test_a_team_lead_reassigns_and_a_member_cannot(ctx, app):
    deploy_chain(ctx)
    report(ctx, corporation(ctx))
    bob = make_user(ctx, "bob")
    make_user(ctx, "anna")
    make_user(ctx, "lead", "social_team_lead")
    lead = login(app, "lead")
    task_id = _task_ids(lead.get("/inbox?queue=team").get_data(as_text=True))[0]
    assert lead.post(f"/tasks/{task_id}/assign", data={"assignee": bob.user_id,
                                                       "queue": "team"}).status_code == 303
    assigned = lead.get("/inbox?queue=assigned").get_data(as_text=True)
    assert task_id in assigned and "bob" in assigned
    anna = login(app, "anna")
    assert anna.post(f"/tasks/{task_id}/assign",
                     data={"assignee": bob.user_id}).status_code == 403
    assert task_id in login(app, "bob").get("/inbox?queue=mine").get_data(as_text=True)


def test_empty_team_queue_says_so(ctx, app):
    make_user(ctx, "anna")
    html = login(app, "anna").get("/inbox?queue=team").get_data(as_text=True)
    assert "De teamwachtrij is leeg." in html


def test_the_way_back_after_a_claim_stays_on_this_site(ctx, app):
    deploy_chain(ctx)
    report(ctx, corporation(ctx))
    make_user(ctx, "anna")
    anna = login(app, "anna")
    task_id = _task_ids(anna.get("/inbox?queue=team").get_data(as_text=True))[0]
    response = anna.post(f"/tasks/{task_id}/claim",
                         data={"queue": "team", "back": "https://elders.example/inbox"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    back = anna.post(f"/tasks/{task_id}/release", data={"back": "/inbox?queue=mine"})
    assert back.headers["Location"] == "/inbox?queue=mine"
