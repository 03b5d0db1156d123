"""The request-scoped database session: opened lazily, committed or rolled back at teardown."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from engine.context import EngineContext


def engine_context() -> EngineContext:
    ctx: EngineContext = current_app.extensions["ketenflow"]
    return ctx


def get_session() -> Session:
    if "db_session" not in g:
        g.db_session = engine_context().sessionmaker()
        g.db_session.begin()
    session: Session = g.db_session
    return session


def commit() -> None:
    """Commit the request's work (called by views after a successful change)."""
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        try:
            session.commit()
        finally:
            session.close()


def _teardown(error: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is None:
        return
    try:
        if error is None and session.in_transaction():
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_teardown)
