"""Ending a session ends it on the server: a cookie copied before a logout, a password change
or a deactivation opens nothing afterwards; a revoked API token fails at its next request."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from engine import users
from engine.models import ApiToken, User
from tests.factories import make_user
from tests.webclient import bearer, login


def _copy(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another client carrying the same session cookie (what an eavesdropper would hold)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def _signed_in(client: FlaskClient) -> bool:
    page = client.get("/inbox")
    api = client.get("/api/v1/cases")
    assert (page.status_code == 200) == (api.status_code == 200), (page.status_code,
                                                                     api.status_code)
    return page.status_code == 200


def test_a_cookie_copied_before_logout_opens_nothing_afterwards(ctx, app):
    make_user(ctx, "anna")
    client = login(app, "anna")
    thief = _copy(app, client)
    assert _signed_in(thief)
    assert client.post("/logout").status_code == 303
    assert not _signed_in(thief)
    assert thief.get("/api/v1/cases").status_code == 401
    assert thief.get("/inbox").headers["Location"].startswith("/login")


def test_logging_out_ends_only_that_session(ctx, app):
    make_user(ctx, "anna")
    laptop = login(app, "anna")
    phone = login(app, "anna")
    assert laptop.post("/logout").status_code == 303
    assert not _signed_in(laptop)
    assert _signed_in(phone)


def test_a_new_password_ends_every_session(ctx, app):
    make_user(ctx, "anna")
    client = login(app, "anna")
    thief = _copy(app, client)
    with ctx.sessionmaker.begin() as session:
        users.add_user(ctx, session, "anna", "social_team", "dordrecht", "een-nieuw-wachtwoord")
    assert not _signed_in(client)
    assert not _signed_in(thief)
    assert _signed_in(login(app, "anna", "een-nieuw-wachtwoord"))


def test_deactivation_ends_every_session_for_good(ctx, app):
    make_user(ctx, "anna")
    client = login(app, "anna")
    with ctx.sessionmaker.begin() as session:
        users.deactivate_user(ctx, session, "anna")
    assert not _signed_in(client)
    with ctx.sessionmaker.begin() as session:
        users.user_named(session, "anna").is_active = True  # type: ignore[union-attr]
    assert not _signed_in(client)  # switching the user back on revives no old cookie


def test_a_revoked_token_fails_at_its_next_request(ctx, app):
    make_user(ctx, "anna")
    headers = bearer(ctx, username="anna")
    client = app.test_client()
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    with ctx.sessionmaker.begin() as session:
        session.execute(update(ApiToken).values(revoked=True))
    assert client.get("/api/v1/cases", headers=headers).status_code == 401


def test_a_deactivated_users_token_fails_at_its_next_request(ctx, app):
    make_user(ctx, "anna")
    headers = bearer(ctx, username="anna")
    client = app.test_client()
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    with ctx.sessionmaker.begin() as session:
        session.execute(update(User).values(is_active=False))
    assert client.get("/api/v1/cases", headers=headers).status_code == 401
