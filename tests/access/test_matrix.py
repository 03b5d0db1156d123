"""The need-to-know matrix: every role × organisation × case, on every page and API endpoint
that shows a case. An answer is either the content this role may see, or a 404."""

from __future__ import annotations

import pytest

from engine.models import AccessLog
from tests.access.world import CASE_ACCESS, SECRET_NOTE, TENANTS, USERS, build, may_see_task
from tests.factories import PASSWORD
from tests.logged import logged
from tests.webclient import bearer, login

#: Words that must never reach a corporation (assessment, health, care, referral, reasons).
NEVER_FOR_CORPORATIONS = (SECRET_NOTE, "zrm", "ZRM", "Keukentafel", "help_wanted",
                          "referred_to_sdd", "referred_to_care", "Verwezen", "budgetadvies",
                          "Meldpunt Zorg en Overlast", "Herhaalde melding", "duplicate",
                          "assessment", "monthly_income", "1432")


@pytest.fixture
def world(ctx):
    return build(ctx)


#: Who reads a case's assessment notes (domain.md §6: ST R/W, ST-C R; the administrator).
ASSESSMENT_READERS = ("social_team", "social_team_lead", "admin")
#: The cases whose conversation was recorded with the note (``world._drive``).
NOTED = ("dordrecht_sdd", "sliedrecht_care")


def _assert_clean(text: str, who: str, where: str) -> None:
    if USERS[who][0].startswith("corporation"):
        for word in NEVER_FOR_CORPORATIONS:
            assert word not in text, f"{who} saw {word!r} on {where}"
    if USERS[who][0] not in ASSESSMENT_READERS:
        assert SECRET_NOTE not in text, f"{who} saw the assessment note on {where}"


@pytest.mark.parametrize("username", list(USERS))
def test_every_case_answer_is_allowed_content_or_404(ctx, app, world, username):
    page = login(app, username, PASSWORD)
    api = app.test_client()
    token = bearer(ctx, username=username)
    for label, number in world.cases.items():
        allowed = username in CASE_ACCESS[label]
        name, postcode = TENANTS[label]
        # the case page and the API detail
        response = page.get(f"/cases/{number}")
        assert response.status_code == (200 if allowed else 404), (username, label)
        text = response.get_data(as_text=True)
        _assert_clean(text, username, f"/cases/{number}")
        if not allowed:
            assert name not in text and number not in text
        elif USERS[username][0] in ASSESSMENT_READERS and label in NOTED:
            # the case file shows what the social team noted
            assert SECRET_NOTE in text, (username, label)
        detail = api.get(f"/api/v1/cases/{number}", headers=token)
        assert detail.status_code == (200 if allowed else 404), (username, label)
        _assert_clean(detail.get_data(as_text=True), username, f"/api/v1/cases/{number}")
        if allowed:
            assert detail.json["case_number"] == number
            assert detail.json["tenant_name"] == name
        # searching by case number, name and postcode, on the page and in the API
        for query in (number, name.split()[1], postcode):
            listing = page.get("/cases", query_string={"q": query})
            if USERS[username][0] in ("process_owner", "manager", "privacy_officer"):
                assert listing.status_code == 404
            else:
                linked = f'href="/cases/{number}"' in listing.get_data(as_text=True)
                assert linked == allowed, (username, query)
                _assert_clean(listing.get_data(as_text=True), username, "/cases?q=")
            found = api.get("/api/v1/cases", query_string={"q": query}, headers=token)
            assert found.status_code == 200
            assert ([i["case_number"] for i in found.json["items"]] == [number]) == allowed, \
                (username, query)
            inbox = page.get("/inbox", query_string={"queue": "team", "q": query})
            if inbox.status_code == 200:
                _assert_clean(inbox.get_data(as_text=True), username, "/inbox")
                if not allowed:
                    assert f'href="/cases/{number}"' not in inbox.get_data(as_text=True)
        # every task of the case, as a page and through the API
        for task_id, role in world.tasks[label]:
            visible = may_see_task(username, role, label)
            task_page = page.get(f"/tasks/{task_id}")
            assert task_page.status_code == (200 if visible else 404), (username, label, role)
            _assert_clean(task_page.get_data(as_text=True), username, f"/tasks/{task_id}")
            task_api = api.get(f"/api/v1/tasks/{task_id}", headers=token)
            assert task_api.status_code == (200 if visible else 404), (username, label, role)


@pytest.mark.parametrize("username", ["corp-woonbron", "corp-trivire"])
def test_corporations_see_milestones_never_the_process(ctx, app, world, username):
    token = bearer(ctx, username=username)
    client = app.test_client()
    for item in client.get("/api/v1/cases", headers=token).json["items"]:
        assert item["view"] == "milestones"
        assert not {"referred_to_sdd", "referred_to_care", "duplicate"} & set(item)
        detail = client.get(f"/api/v1/cases/{item['case_number']}", headers=token).json
        assert {e["kind"] for e in detail["timeline"]} <= {"milestone", "reported"}


def test_a_machine_token_sees_only_its_own_corporations_cases(ctx, app, world):
    client = app.test_client()
    items = client.get("/api/v1/cases", headers=bearer(ctx, org="trivire")).json["items"]
    assert [i["case_number"] for i in items] == [world.cases["sliedrecht_care"]]
    other = client.get(f"/api/v1/cases/{world.cases['dordrecht_sdd']}",
                       headers=bearer(ctx, org="trivire"))
    assert other.status_code == 404


def test_every_read_of_personal_data_is_logged_and_a_refused_one_too(ctx, app, world):
    page = login(app, "st-dordrecht")
    number = world.cases["dordrecht_sdd"]
    assert page.get(f"/cases/{number}").status_code == 200
    assert page.get(f"/cases/{world.cases['sliedrecht_care']}").status_code == 404
    rows = logged(ctx, AccessLog.username == "st-dordrecht")
    other = world.cases["sliedrecht_care"]
    assert [(r.case_number, r.what, r.role, r.organisation) for r in rows] == [
        (number, "case detail", "social_team", "dordrecht"),
        (other, f"refused: case detail {other}", "social_team", "dordrecht")]
    assert rows[0].user_id == world.actors["st-dordrecht"].user_id
