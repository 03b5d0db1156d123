"""Organisations, users with their role, and API tokens (stored as hashes only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))  # municipality, corporation, sdd, care, region


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    #: where notifications go (``engine.notifications``); none: the person gets no mail
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(32))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class ApiToken(Base):
    """A bearer token: either an organisation's machine token or a user's personal token."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    revoked: Mapped[bool] = mapped_column(default=False)


class LoginSession(Base):
    """One signed-in browser session, server side: the cookie carries only its random key.

    Logging out ends the row, so a cookie copied before the logout opens nothing afterwards;
    a password change or deactivation ends every session of the user. Only the key's SHA-256
    is stored.
    """

    __tablename__ = "login_session"
    __table_args__ = (Index("ix_login_session_user", "user_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class LoginFailure(Base):
    """One wrong password (or unknown username), kept only as long as throttling needs it.

    Counted per address (many accounts guessed from one place) and per account *and*
    address, so nobody can lock someone else out from elsewhere.
    """

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_address", "address", "at"),
                      Index("ix_login_failure_username", "username", "address", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
