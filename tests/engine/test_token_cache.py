"""The token cache (over ``engine.change_notices``) answers a known token without a query, and
never after a credential changed: not after a change by this process, not after one by another
(a second database engine stands for another worker: it shares no cache and no statement
watch), not once its listening connection is gone. SQLite caches nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import event, text, update
from sqlalchemy.engine import Engine

from engine import users
from engine.access import Actor
from engine.change_notices import ChangeNotices, change_notices
from engine.context import EngineContext
from engine.db import make_engine
from engine.models import ApiToken, Organisation, User
from engine.token_cache import TokenCache
from tests.factories import make_user, only_on

CACHED_ON_POSTGRES = "SQLite caches no tokens (test_sqlite_asks_the_database_every_time)"
UNCACHED_ON_SQLITE = "PostgreSQL caches (test_a_known_token_is_answered_without_a_query)"


@pytest.fixture
def other_worker(ctx: EngineContext) -> Iterator[Engine]:
    """The same database through an engine of its own, as another process would reach it."""
    other = make_engine(ctx.db.url.render_as_string(hide_password=False))
    yield other
    other.dispose()


@pytest.fixture
def token_queries(ctx: EngineContext) -> Iterator[list[str]]:
    """The token look-ups ``ctx``'s engine sends to the database."""
    seen: list[str] = []

    def watch(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "FROM api_token" in statement:
            seen.append(statement)

    event.listen(ctx.db, "before_cursor_execute", watch)
    yield seen
    event.remove(ctx.db, "before_cursor_execute", watch)


def _ask(ctx: EngineContext, token: str) -> Actor | None:
    with ctx.sessionmaker.begin() as session:
        return users.actor_for_bearer(ctx, session, token)


def _token(ctx: EngineContext, **whose: str) -> str:
    with ctx.sessionmaker.begin() as session:
        return users.create_token(ctx, session, **whose).token


def _refused_within(ctx: EngineContext, token: str, seconds: float = 5.0) -> bool:
    """The notice of another process's change travels on its own connection: allow it to
    arrive (it takes well under a millisecond; the entries live a minute)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _ask(ctx, token) is None:
            return True
        time.sleep(0.01)
    return False



def test_a_known_token_is_answered_without_a_query(ctx, token_queries):
    only_on(ctx, "postgresql", CACHED_ON_POSTGRES)
    make_user(ctx, "anna")
    token = _token(ctx, username="anna")
    first, second = _ask(ctx, token), _ask(ctx, token)
    assert first == second and first is not None and first.username == "anna"
    assert len(token_queries) == 1


def test_sqlite_asks_the_database_every_time(ctx, token_queries):
    only_on(ctx, "sqlite", UNCACHED_ON_SQLITE)
    make_user(ctx, "anna")
    token = _token(ctx, username="anna")
    assert _ask(ctx, token) == _ask(ctx, token) is not None
    assert len(token_queries) == 2


def test_unknown_and_revoked_tokens_are_never_kept(ctx, token_queries):
    only_on(ctx, "postgresql", CACHED_ON_POSTGRES)
    assert _ask(ctx, "kf_nobody") is None
    assert _ask(ctx, "kf_nobody") is None
    assert len(token_queries) == 2


@pytest.mark.parametrize("change", [
    pytest.param(lambda: update(ApiToken).values(revoked=True), id="token revoked"),
    pytest.param(lambda: update(User).values(is_active=False), id="user deactivated"),
])
def test_a_change_by_this_process_is_refused_at_the_next_request(ctx, change):
    only_on(ctx, "postgresql", CACHED_ON_POSTGRES)
    make_user(ctx, "anna")
    token = _token(ctx, username="anna")
    assert _ask(ctx, token) is not None
    with ctx.sessionmaker.begin() as session:
        session.execute(change())
    assert _ask(ctx, token) is None  # at once: no waiting for the notice


@pytest.mark.parametrize("change", [
    pytest.param("UPDATE api_token SET revoked = true", id="token revoked"),
    pytest.param("UPDATE app_user SET is_active = false", id="user deactivated"),
    pytest.param("DELETE FROM api_token", id="token deleted"),
])
def test_a_change_by_another_process_reaches_the_cache(ctx, other_worker, change):
    only_on(ctx, "postgresql", CACHED_ON_POSTGRES)
    make_user(ctx, "anna")
    token = _token(ctx, username="anna")
    assert _ask(ctx, token) is not None
    with other_worker.begin() as connection:
        connection.execute(text(change))
    assert _refused_within(ctx, token)


def test_another_process_moving_a_user_changes_what_the_token_may_see(ctx, other_worker):
    only_on(ctx, "postgresql", CACHED_ON_POSTGRES)
    make_user(ctx, "anna", org="dordrecht")
    token = _token(ctx, username="anna")
    assert _ask(ctx, token).organisation == "dordrecht"  # type: ignore[union-attr]
    with other_worker.begin() as connection:
        zwijndrecht = connection.scalar(text("SELECT id FROM organisation WHERE slug = "
                                             "'zwijndrecht'"))
        connection.execute(update(User).values(organisation_id=zwijndrecht))
    deadline = time.monotonic() + 5.0
    while _ask(ctx, token).organisation != "zwijndrecht":  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "the move never reached the cache"
        time.sleep(0.01)


def test_a_change_that_decides_nothing_keeps_the_cache(ctx, other_worker, token_queries):
    only_on(ctx, "postgresql", CACHED_ON_POSTGRES)
    make_user(ctx, "anna")
    token = _token(ctx, username="anna")
    _ask(ctx, token)
    with other_worker.begin() as connection:  # what a sign-in or a new password writes
        connection.execute(update(User).values(password_hash="scrypt$changed"))
        connection.execute(update(Organisation).where(Organisation.slug == "sdd")
                           .values(name="Sociale Dienst Drechtsteden (SDD)"))
    time.sleep(0.05)
    _ask(ctx, token)
    assert len(token_queries) == 1


def test_without_its_listening_connection_the_cache_asks_the_database(ctx, other_worker,
                                                                      token_queries):
    only_on(ctx, "postgresql", CACHED_ON_POSTGRES)
    make_user(ctx, "anna")
    token = _token(ctx, username="anna")
    _ask(ctx, token)
    listener = change_notices(ctx.db)._listener
    assert listener is not None
    with other_worker.begin() as connection:  # the connection dies (a restart, a network cut)
        connection.execute(text("SELECT pg_terminate_backend(:pid)"),
                           {"pid": listener.info.backend_pid})
        connection.execute(text("UPDATE api_token SET revoked = true"))
    time.sleep(0.05)
    assert _ask(ctx, token) is None  # asked, not answered from what it held
    assert len(token_queries) == 2


def test_a_cache_that_cannot_listen_caches_nothing(ctx, token_queries):
    only_on(ctx, "postgresql", CACHED_ON_POSTGRES)
    unreachable = make_engine(ctx.db.url.set(database="ketenflow_no_such_database")
                              .render_as_string(hide_password=False))
    notices = ChangeNotices(unreachable)  # its LISTEN fails: the database is not there
    cache = TokenCache(notices)
    make_user(ctx, "anna")
    token = _token(ctx, username="anna")

    def ask() -> Actor | None:
        with ctx.sessionmaker.begin() as session:
            return cache.actor(token, lambda: users.actor_for_token(session, token))

    try:
        assert ask() is not None and ask() is not None
        assert len(token_queries) == 2
    finally:
        notices.close()
        unreachable.dispose()
