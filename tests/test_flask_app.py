"""The app's Flask asks once per hook or view whether it is a coroutine function."""

from __future__ import annotations

from typing import Any

import flask.app
import pytest

from webui import KetenflowFlask


def _app() -> KetenflowFlask:
    app = KetenflowFlask(__name__)

    @app.before_request
    def before() -> None:
        return None

    @app.after_request
    def after(response: Any) -> Any:
        return response

    @app.get("/ping")
    def ping() -> str:
        return "pong"

    return app


def test_a_request_asks_no_coroutine_question_after_the_first(
        monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[Any] = []
    real = flask.app.iscoroutinefunction

    def counting(func: Any) -> bool:
        asked.append(func)
        return real(func)

    monkeypatch.setattr(flask.app, "iscoroutinefunction", counting)
    client = _app().test_client()
    assert client.get("/ping").get_data(as_text=True) == "pong"
    first = len(asked)
    assert first >= 3  # the hook before, the view, the hook after
    for _ in range(3):
        assert client.get("/ping").get_data(as_text=True) == "pong"
    assert len(asked) == first


def test_a_coroutine_function_is_still_refused_or_wrapped_as_flask_does() -> None:
    async def view() -> str:
        return "x"

    app = _app()
    try:
        wrapped = flask.Flask.ensure_sync(app, view)
    except RuntimeError as flask_says:  # Flask without its async extra
        with pytest.raises(RuntimeError, match=str(flask_says)[:20]):
            app.ensure_sync(view)
        return
    assert app.ensure_sync(view) is not view
    assert callable(wrapped)
