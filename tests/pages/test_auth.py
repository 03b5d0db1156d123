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
