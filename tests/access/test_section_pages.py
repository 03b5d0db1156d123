"""Who reaches the cockpit and the process pages: managers and process owners land there,
no caseworker or corporation role gets in (403), and the menu shows only what one may open."""

from __future__ import annotations

import pytest

from tests.access.world import USERS
from tests.factories import make_user
from tests.webclient import login

#: Section -> the roles that open it (engine/chain/policy.py: READ_FIGURES, READ_PROCESSES,
#: READ_ACCESS_LOG; engine/access.py: EDIT_PROCESSES for the editor's drafts).
READERS = {"/cockpit": {"manager", "process_owner", "admin"},
           "/processes": {"manager", "process_owner", "admin"},
           "/editor": {"process_owner"},
           "/privacy": {"privacy_officer"}}


@pytest.mark.parametrize("username", list(USERS))
def test_only_their_readers_open_the_cockpit_and_the_process_pages(ctx, app, username):
    role, org = USERS[username]
    make_user(ctx, username, role, org)
    client = login(app, username)
    home = client.get("/").get_data(as_text=True)
    for path, roles in READERS.items():
        response = client.get(path)
        assert response.status_code == (200 if role in roles else 403), (username, path)
        assert (f'href="{path}"' in client.get("/welcome").get_data(as_text=True)) == \
            (role in roles), (username, path)
    assert "Traceback" not in home


@pytest.mark.parametrize(("role", "landing"), [("manager", "/cockpit"),
                                               ("process_owner", "/processes"),
                                               ("privacy_officer", "/privacy")])
def test_managers_and_process_owners_land_on_their_own_section(ctx, app, role, landing):
    make_user(ctx, "someone", role, "regio")
    response = login(app, "someone").get("/")
    assert response.status_code in (302, 303) and response.headers["Location"] == landing
