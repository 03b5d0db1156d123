"""Signing in and out: hashed passwords, throttling, CSRF on unsafe methods, safe redirects."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import PASSWORD, make_user
from tests.webclient import login


def test_login_then_logout(ctx, app, client):
    make_user(ctx, "anna")
    response = client.post("/login", data={"username": "anna", "password": PASSWORD,
                                           "next": "/inbox"})
    assert response.status_code == 303 and response.headers["Location"] == "/inbox"
    assert client.get("/inbox").status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.post("/logout").status_code == 303
    after = client.get("/inbox")
    assert after.status_code == 303 and after.headers["Location"].startswith("/login")


def test_next_never_leaves_the_site(ctx, client):
    make_user(ctx, "anna")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = client.post("/login", data={"username": "anna", "password": PASSWORD,
                                               "next": target})
        assert response.headers["Location"] == "/"


def test_five_wrong_passwords_lock_the_account_for_five_minutes(ctx, clock, client):
    make_user(ctx, "anna")
    for _ in range(4):
        response = client.post("/login", data={"username": "anna", "password": "fout"})
        assert response.status_code == 401
        assert "klopt niet" in response.get_data(as_text=True)
    locked = client.post("/login", data={"username": "anna", "password": "fout"})
    assert "Te veel mislukte pogingen" in locked.get_data(as_text=True)
    right = client.post("/login", data={"username": "anna", "password": PASSWORD})
    assert right.status_code == 401  # the right password does not help while locked
    clock.advance(timedelta(minutes=5, seconds=1))
    assert client.post("/login", data={"username": "anna",
                                       "password": PASSWORD}).status_code == 303


def test_unknown_user_gets_the_same_answer(ctx, client):
    response = client.post("/login", data={"username": "niemand", "password": "x"})
    assert response.status_code == 401
    assert "Gebruikersnaam of wachtwoord klopt niet" in response.get_data(as_text=True)


def test_cross_site_posts_are_refused_same_origin_and_bearer_are_not(ctx, app):
    make_user(ctx, "anna")
    client = login(app, "anna")
    assert client.post("/logout", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.post("/logout", headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post("/login", data={"username": "anna", "password": PASSWORD},
                       headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    api = client.post("/api/v1/signals", json={}, headers={"Sec-Fetch-Site": "cross-site"})
    assert api.status_code == 403
    ok = client.post("/logout", headers={"Sec-Fetch-Site": "same-origin",
                                         "Origin": "http://localhost"})
    assert ok.status_code == 303


def test_the_api_accepts_the_session_cookie(ctx, app):
    make_user(ctx, "anna")
    client = login(app, "anna")
    assert client.get("/api/v1/tasks?queue=team").status_code == 200
    assert app.test_client().get("/api/v1/tasks").status_code == 401


def test_pages_need_a_login_and_htmx_gets_a_full_redirect(client):
    assert client.get("/inbox").status_code == 303
    response = client.get("/inbox", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/login")


def _from(app, address):
    """A client whose requests come from ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_a_stranger_guessing_cannot_lock_the_owner_out(ctx, clock, app):
    make_user(ctx, "anna")
    stranger = _from(app, "203.0.113.66")
    for _ in range(5):
        stranger.post("/login", data={"username": "anna", "password": "fout"})
    refused = stranger.post("/login", data={"username": "anna", "password": PASSWORD})
    assert refused.status_code == 401
    assert "Te veel mislukte pogingen" in refused.get_data(as_text=True)
    owner = _from(app, "198.51.100.7")
    assert owner.post("/login", data={"username": "anna",
                                      "password": PASSWORD}).status_code == 303


def test_guesses_spread_over_accounts_from_one_address_are_slowed(ctx, clock, app):
    from engine.logins import ADDRESS_FAILURES, ADDRESS_MINUTES

    make_user(ctx, "anna")
    guesser = _from(app, "203.0.113.66")
    for number in range(ADDRESS_FAILURES):
        answer = guesser.post("/login", data={"username": f"user{number}", "password": "fout"})
        assert answer.status_code == 401
    slowed = guesser.post("/login", data={"username": "anna", "password": PASSWORD})
    assert slowed.status_code == 401
    assert "Te veel mislukte pogingen" in slowed.get_data(as_text=True)
    assert _from(app, "198.51.100.7").post(
        "/login", data={"username": "anna", "password": PASSWORD}).status_code == 303
    clock.advance(timedelta(minutes=ADDRESS_MINUTES, seconds=1))
    assert guesser.post("/login", data={"username": "anna",
                                        "password": PASSWORD}).status_code == 303


def test_an_unknown_username_is_throttled_like_a_known_one(ctx, client):
    for _ in range(5):
        client.post("/login", data={"username": "niemand", "password": "fout"})
    answer = client.post("/login", data={"username": "niemand", "password": "fout"})
    assert "Te veel mislukte pogingen" in answer.get_data(as_text=True)


def test_next_with_control_characters_is_not_followed(ctx, client):
    make_user(ctx, "anna")
    for target in ("/inbox\r\nSet-Cookie: evil=1", "/inbox\nX-Evil: 1", "/\t/evil.example",
                   "/cases\x7f"):
        response = client.post("/login", data={"username": "anna", "password": PASSWORD,
                                               "next": target})
        assert response.status_code == 303, target
        assert response.headers["Location"] == "/"
        assert "evil" not in response.headers.get("Set-Cookie", "")
        htmx = client.post("/login", data={"username": "anna", "password": PASSWORD,
                                           "next": target}, headers={"HX-Request": "true"})
        assert htmx.status_code == 204 and htmx.headers["HX-Redirect"] == "/"
    page = client.get("/login", query_string={"next": "/inbox\r\nX-Evil: 1"})
    assert page.status_code in (200, 422) and "X-Evil" not in page.headers
