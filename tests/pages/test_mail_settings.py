"""/account/notifications: every signed-in person switches their own kinds of mail on and
off; never someone else's, and a machine token is no person."""

from __future__ import annotations

import pytest

from engine import notifications, users
from tests.access.world import USERS
from tests.factories import make_user
from tests.webclient import bearer, login

ALL_ON = {"task_assigned": True, "deadline_near": True, "deadline_passed": True,
          "daily_summary": False}


def _choices(ctx, username):
    with ctx.sessionmaker() as session:
        return notifications.preferences(session, users.user_named(session, username).id)


def test_a_person_switches_their_own_mails(ctx, app):
    make_user(ctx, "anna", "social_team", "dordrecht")
    with ctx.sessionmaker.begin() as session:
        users.add_user(ctx, session, "anna", "social_team", "dordrecht", None,
                       email="anna@example.org")
    client = login(app, "anna")
    page = client.get("/account/notifications")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "anna@example.org" in html and 'name="deadline_passed"' in html
    assert 'href="/account/notifications"' in client.get("/inbox").get_data(as_text=True)

    saved = client.post("/account/notifications",
                        data={"deadline_near": "on", "daily_summary": "on"})
    assert saved.status_code == 303
    assert _choices(ctx, "anna") == {"task_assigned": False, "deadline_near": True,
                                     "deadline_passed": False, "daily_summary": True}
    html = client.get("/account/notifications").get_data(as_text=True)
    assert 'id="daily_summary" name="daily_summary" value="on" checked' in html
    assert 'id="task_assigned" name="task_assigned" value="on" checked' not in html


def test_without_an_address_the_page_says_so(ctx, app):
    make_user(ctx, "bob", "social_team", "dordrecht")
    html = login(app, "bob").get("/account/notifications").get_data(as_text=True)
    assert "geen e-mailadres" in html


@pytest.mark.parametrize("username", list(USERS))
def test_every_role_changes_only_its_own(ctx, app, username):
    role, org = USERS[username]
    make_user(ctx, username, role, org)
    other = "iemand-anders" if username != "iemand-anders" else "nog-iemand"
    other_id = make_user(ctx, other, "social_team", "dordrecht").user_id
    client = login(app, username)
    assert client.get("/account/notifications").status_code == 200
    # naming someone else changes nothing of theirs: the route only knows the signed-in
    response = client.post("/account/notifications",
                           data={"user_id": str(other_id), "user": other,
                                 "username": other, "daily_summary": "on"})
    assert response.status_code == 303
    assert _choices(ctx, other) == ALL_ON
    assert _choices(ctx, username)["daily_summary"] is True
    assert client.get(f"/account/notifications/{other_id}").status_code == 404


@pytest.mark.parametrize("org", ["woonbron", "dordrecht"])
def test_a_machine_token_has_no_settings(ctx, app, org):
    make_user(ctx, "anna", "social_team", "dordrecht")
    headers = bearer(ctx, org=org)
    client = app.test_client()
    for response in (client.get("/account/notifications", headers=headers),
                     client.post("/account/notifications", headers=headers,
                                 data={"daily_summary": "on"})):
        assert response.status_code in (302, 303), response.status_code
        assert "/login" in response.headers["Location"]
    assert _choices(ctx, "anna") == ALL_ON
    with ctx.sessionmaker.begin() as session, pytest.raises(Exception, match="persoon"):
        machine = users.actor_for_token(session, headers["Authorization"][7:])
        notifications.set_preferences(session, machine, {"daily_summary": True})


def test_signed_out_is_sent_to_the_login(ctx, app):
    response = app.test_client().post("/account/notifications", data={"daily_summary": "on"})
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
