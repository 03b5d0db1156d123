"""The inbox: my tasks and the team queue, claim, release, reassign, search, paging, htmx."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from sqlalchemy import select

from engine import inbox, tasks
from engine.models import HumanTask
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
    mine = anna.get("/inbox?queue=mine").get_data(as_text=True)
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
    clock.advance(timedelta(days=7))  # Wednesday 6 May: Monday 4 May and 6 May (5 May is a holiday)
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


# --- counts, landing, filters, the way back (issue 9, item 8) ------------------------------

def _tabs(html: str) -> dict[str, int]:
    """Tab label -> the count it shows."""
    return {label: int(count) for label, count in re.findall(
        r'<li><a href="[^"]*"[^>]*>([^<]+?) <span class="count">(\d+)<', html)}


def _current_tab(html: str) -> str:
    return re.search(r'aria-current="page">([^<]+?) <span class="count">', html).group(1)


def _walk_to_referral(ctx, actor, number: str) -> None:
    """Outreach and assessment of one case of the test chain, ending in a referral to the
    SDD (its task lands in the budget advisers' queue)."""
    for bpmn_id, data in (("outreach", {"attempt_type": "home_visit", "attempt_date": "2026-04-23",
                                        "contact_made": True}),
                          ("assessment", {"help_wanted": True, "zrm_finances": 2,
                                          "assessment_note": "Wil hulp bij budget.",
                                          "referral": "sdd"})):
        with ctx.sessionmaker.begin() as session:
            task = next(i.task for i in inbox.inbox(ctx, session, actor, queue="team",
                                                    search=number, limit=200).items
                        if i.task.bpmn_id == bpmn_id)
            tasks.claim_task(ctx, session, actor, task.id)
            tasks.complete_task(ctx, session, actor, task.id, data)


def test_tabs_show_counts_for_each_queue_and_only_within_scope(ctx, app):
    deploy_chain(ctx)
    corp = corporation(ctx)
    for i in range(3):
        report(ctx, corp, external_id=f"C{i}", tenant={"house_number": str(i + 1)})
    report(ctx, corp, external_id="ELDERS", municipality="sliedrecht")
    make_user(ctx, "anna")
    make_user(ctx, "lead", "social_team_lead")
    anna = login(app, "anna")
    html = anna.get("/inbox?queue=team").get_data(as_text=True)
    assert _tabs(html) == {"Mijn taken": 0, "Teamwachtrij": 3}
    assert "3 taken" in html
    anna.post(f"/tasks/{_task_ids(html)[0]}/claim", data={"queue": "team"})
    html = anna.get("/inbox?queue=team").get_data(as_text=True)
    assert _tabs(html) == {"Mijn taken": 1, "Teamwachtrij": 2}
    lead = login(app, "lead").get("/inbox?queue=assigned").get_data(as_text=True)
    assert _tabs(lead) == {"Mijn taken": 0, "Teamwachtrij": 2, "Toegewezen": 1}
    # an htmx claim sends the new counts along with the list
    swapped = anna.post(f"/tasks/{_task_ids(html)[0]}/claim", data={"queue": "team"},
                        headers={"HX-Request": "true", "HX-Target": "inbox-list"})
    body = swapped.get_data(as_text=True)
    assert 'hx-swap-oob="true"' in body and _tabs(body) == {"Mijn taken": 2, "Teamwachtrij": 1}


def test_a_tab_counts_up_to_its_cap_and_says_more_beyond_it(ctx, app):
    """Past ``COUNT_CAP`` open tasks the team tab says "500+" and the list "more than 500":
    the count reads at most that many tasks, however long the queue (issue 14)."""
    deploy_chain(ctx)
    report(ctx, corporation(ctx))
    make_user(ctx, "anna")
    with ctx.sessionmaker.begin() as session:
        table = HumanTask.__table__
        (row,) = session.execute(select(table).where(table.c.state == "open")).mappings()
        # copies of the real open task, straight into the table (the engine path would take
        # minutes for five hundred cases)
        session.execute(table.insert(), [{**row, "id": str(uuid.uuid4())}
                                         for _ in range(inbox.COUNT_CAP)])
    anna = login(app, "anna")
    html = anna.get("/inbox?queue=team").get_data(as_text=True)
    assert re.search(r'Teamwachtrij <span class="count">500\+<span class="visually-hidden">'
                     r' taken</span>', html)
    assert _tabs(html) == {"Mijn taken": 0}  # the exact count still shows below the cap
    assert "Taak 1–25 van meer dan 500" in html
    english = anna.get("/inbox?queue=team&lang=en").get_data(as_text=True)
    assert "Tasks 1–25 of more than 500" in english
    anna.get("/inbox?lang=nl")
    anna.post(f"/tasks/{_task_ids(html)[0]}/claim", data={"queue": "team"})
    html = anna.get("/inbox?queue=team").get_data(as_text=True)
    assert _tabs(html) == {"Mijn taken": 1, "Teamwachtrij": 500}  # 501 - 1: exact again
    assert "Taak 1–25 van 500" in html


def test_the_inbox_lands_on_the_team_queue_while_my_tasks_is_empty(ctx, app):
    deploy_chain(ctx)
    number = report(ctx, corporation(ctx)).case_number
    make_user(ctx, "anna")
    anna = login(app, "anna")
    landed = anna.get("/inbox").get_data(as_text=True)
    assert _current_tab(landed) == "Teamwachtrij" and number in landed
    assert "Je hebt geen taken opgepakt." not in landed
    # the claim form carries the queue it was shown on, not an empty one
    assert '<input type="hidden" name="queue" value="team">' in landed
    anna.post(f"/tasks/{_task_ids(landed)[0]}/claim", data={"queue": "team"})
    assert _current_tab(anna.get("/inbox").get_data(as_text=True)) == "Mijn taken"
    # asked for explicitly, an empty "Mijn taken" stays
    make_user(ctx, "bob")
    bob = login(app, "bob").get("/inbox?queue=mine").get_data(as_text=True)
    assert _current_tab(bob) == "Mijn taken" and "Je hebt geen taken opgepakt." in bob
    assert login(app, "bob").get("/").headers["Location"].endswith("/inbox")


def test_filters_on_task_type_overdue_and_crisis(ctx, clock, app):
    deploy_chain(ctx)
    corp = corporation(ctx)
    calm = report(ctx, corp, external_id="CALM").case_number
    crisis = report(ctx, corp, external_id="CRISIS", crisis=True,
                    tenant={"house_number": "2"}).case_number
    anna = make_user(ctx, "anna")
    _walk_to_referral(ctx, anna, calm)  # calm's next task is the SDD's; none left for the team
    later = report(ctx, corp, external_id="LATER", tenant={"house_number": "3"}).case_number
    client = login(app, "anna")

    def shown(**query: str) -> set[str]:
        html = client.get("/inbox", query_string={"queue": "team", **query}).get_data(
            as_text=True)
        return set(re.findall(r'href="/cases/([A-Z]+-\d+-\d+)"', html))

    assert shown() == {crisis, later}
    assert shown(crisis="1") == {crisis}
    html = client.get("/inbox?queue=team&crisis=1").get_data(as_text=True)
    assert _tabs(html)["Teamwachtrij"] == 1 and "1 taak" in html
    assert shown(overdue="1") == set()
    assert "Geen taken met deze filters." in client.get("/inbox?queue=team&overdue=1") \
        .get_data(as_text=True)
    clock.advance(timedelta(days=12))
    later_still = report(ctx, corp, external_id="FRESH", tenant={"house_number": "4"})
    assert shown(overdue="1") == {crisis, later}
    assert later_still.case_number in shown()
    # task types: the choice list names what the tabs hold, the filter narrows to one
    with ctx.sessionmaker.begin() as session:
        one = session.scalar(select(HumanTask.id).where(HumanTask.case_number == later,
                                                        HumanTask.state == "open"))
        tasks.claim_task(ctx, session, anna, one)
        tasks.complete_task(ctx, session, anna, one, {
            "attempt_type": "phone", "attempt_date": "2026-04-23", "contact_made": True})
    page = client.get("/inbox?queue=team").get_data(as_text=True)
    assert '<option value="outreach"' in page and '<option value="assessment"' in page
    assert shown(type="assessment") == {later}
    assert shown(type="outreach") == {crisis, later_still.case_number}
    assert _tabs(client.get("/inbox?queue=team&type=assessment").get_data(as_text=True)) == \
        {"Mijn taken": 0, "Teamwachtrij": 1}
    # filters survive paging and claiming: the claim form carries them
    filtered = client.get("/inbox?queue=team&type=outreach&crisis=1").get_data(as_text=True)
    assert '<input type="hidden" name="type" value="outreach">' in filtered
    assert '<input type="hidden" name="crisis" value="1">' in filtered


def test_the_regional_desks_filter_on_municipality_and_a_social_team_cannot(ctx, app):
    deploy_chain(ctx)
    corp = corporation(ctx)
    here = report(ctx, corp, external_id="D").case_number
    there = report(ctx, corp, external_id="S", municipality="sliedrecht").case_number
    _walk_to_referral(ctx, make_user(ctx, "anna"), here)
    _walk_to_referral(ctx, make_user(ctx, "siem", "social_team", "sliedrecht"), there)
    make_user(ctx, "budget", "budget_advice", "sdd")
    sdd = login(app, "budget")
    everything = sdd.get("/inbox").get_data(as_text=True)
    assert _current_tab(everything) == "Teamwachtrij"
    assert here in everything and there in everything
    assert '<select id="municipality" name="municipality"' in everything
    html = sdd.get("/inbox?queue=team&municipality=sliedrecht").get_data(as_text=True)
    assert there in html and here not in html and _tabs(html)["Teamwachtrij"] == 1
    # an unknown municipality in an edited URL is dropped, not an error
    assert here in sdd.get("/inbox?queue=team&municipality=atlantis").get_data(as_text=True)
    # a social team sees one municipality anyway: no such filter, and asking changes nothing
    anna = login(app, "anna").get("/inbox?queue=team&municipality=sliedrecht")
    assert anna.status_code == 200
    assert 'name="municipality"' not in anna.get_data(as_text=True)


def test_previous_page_walks_back_through_the_cursor_trail(ctx, app):
    deploy_chain(ctx)
    corp = corporation(ctx)
    for i in range(60):
        report(ctx, corp, external_id=f"P{i}", tenant={"house_number": str(i + 1)})
    make_user(ctx, "anna")
    anna = login(app, "anna")

    def link(html: str, rel: str) -> str:
        found = re.search(rf'<a href="(/inbox\?[^"]*)"[^>]*rel="{rel}"', html)
        return found.group(1).replace("&amp;", "&")

    first = anna.get("/inbox?queue=team&sort=created").get_data(as_text=True)
    assert "Taak 1–25 van 60" in first and "Vorige pagina" not in first
    second = anna.get(link(first, "next")).get_data(as_text=True)
    assert "Taak 26–50 van 60" in second
    third = anna.get(link(second, "next")).get_data(as_text=True)
    assert "Taak 51–60 van 60" in third and 'rel="next"' not in third
    back_to_second = anna.get(link(third, "prev")).get_data(as_text=True)
    assert _task_ids(back_to_second) == _task_ids(second)
    assert "Taak 26–50 van 60" in back_to_second
    back_to_first = anna.get(link(back_to_second, "prev")).get_data(as_text=True)
    assert _task_ids(back_to_first) == _task_ids(first)
    assert "Taak 1–25 van 60" in back_to_first
    seen = _task_ids(first) + _task_ids(second) + _task_ids(third)
    assert len(seen) == len(set(seen)) == 60
