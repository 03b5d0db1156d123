"""The session cookie's signer: built once per key set, never kept past a key change."""

from __future__ import annotations

from flask import Flask, session

from webui.cookie_session import CookieSessionInterface


def _app(key: str, fallbacks: list[str] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=key, SECRET_KEY_FALLBACKS=fallbacks or [])
    app.session_interface = CookieSessionInterface()

    @app.post("/set")
    def set_value() -> str:
        session["who"] = "anna"
        return "ok"

    @app.get("/get")
    def get_value() -> str:
        return str(session.get("who"))

    return app


def test_the_signer_is_built_once_for_the_same_keys() -> None:
    app = _app("sleutel-a")
    interface = app.session_interface
    assert isinstance(interface, CookieSessionInterface)
    first = interface.get_signing_serializer(app)
    assert first is not None and interface.get_signing_serializer(app) is first
    client = app.test_client()
    client.post("/set")
    assert client.get("/get").get_data(as_text=True) == "anna"


def test_a_changed_key_refuses_old_cookies_unless_it_is_a_fallback() -> None:
    app = _app("sleutel-a")
    client = app.test_client()
    client.post("/set")
    before = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    app.config["SECRET_KEY"] = "sleutel-b"  # rotated without a fallback: the cookie is void
    assert client.get("/get").get_data(as_text=True) == "None"
    assert app.session_interface.get_signing_serializer(app) is not before  # type: ignore[attr-defined]
    client.post("/set")
    app.config.update(SECRET_KEY="sleutel-c", SECRET_KEY_FALLBACKS=["sleutel-b"])
    assert client.get("/get").get_data(as_text=True) == "anna"  # signed with a fallback
