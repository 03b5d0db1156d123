"""Signing in with a password (throttled) and the server-side sessions it opens.

Throttling counts recent failures twice, and neither count lets a stranger lock anyone out:

* per address: after ``ADDRESS_FAILURES`` wrong passwords from one address within
  ``ADDRESS_MINUTES``, that address waits, whichever accounts it tried (spreading guesses over
  many accounts no longer goes unnoticed);
* per account *and* address: after ``MAX_FAILURES`` wrong passwords for one account from one
  address within ``LOCK_MINUTES``, that account waits *from that address only*. The owner,
  signing in from anywhere else, is never refused because someone else guessed.

An unknown username costs the same hash work and is counted the same way as a known one, so
neither the timing nor the throttle tells which usernames exist.

A successful sign-in opens a ``LoginSession``; the cookie carries only its random key, and
every request looks the key up again (``load_actor``). Logging out ends that session, and a
new password or a deactivation ends all of the user's sessions: a copied cookie is worth
nothing once its session has ended.

Outcomes are returned (not raised) so the caller can commit the failure rows.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import Session

from engine.access import Actor
from engine.context import EngineContext
from engine.models import User
from engine.models.party import LoginFailure, LoginSession
from engine.users import actor_for, check_password, hash_password, user_named

MAX_FAILURES = 5
LOCK_MINUTES = 5
ADDRESS_FAILURES = 20
ADDRESS_MINUTES = 15
_DUMMY_HASH = hash_password("not-a-real-password")
_FIELD = 100  # username column width
_ADDRESS = 64  # address column width (an IPv6 address with zone fits)


@dataclass(frozen=True)
class SignIn:
    actor: Actor | None
    locked_minutes: int | None = None
    #: The new session's key, for the cookie (only on success).
    session_key: str | None = None


def sign_in(ctx: EngineContext, session: Session, username: str, password: str,
            address: str | None = None) -> SignIn:
    """The actor and a new session for a correct username and password from ``address``;
    else why not (throttled, or wrong)."""
    now = ctx.clock.now()
    name = username.strip()[:_FIELD]
    where = (address or "unknown")[:_ADDRESS]
    _forget_old_failures(session, now)
    wait = _throttled(session, name, where, now)
    if wait is not None:
        return SignIn(None, wait)
    user = user_named(session, name)
    if user is None or not user.is_active:
        check_password(_DUMMY_HASH, password)
        return _failed(session, name, where, now)
    if not check_password(user.password_hash, password):
        return _failed(session, name, where, now)
    session.execute(delete(LoginFailure).where(LoginFailure.username == name,
                                               LoginFailure.address == where))
    key = _open_session(session, user, now)
    return SignIn(actor_for(user), session_key=key)


def _failed(session: Session, name: str, where: str, now: datetime) -> SignIn:
    session.add(LoginFailure(username=name, address=where, at=now))
    session.flush()
    return SignIn(None, _throttled(session, name, where, now))


def _throttled(session: Session, name: str, where: str, now: datetime) -> int | None:
    """Whole minutes to wait before ``name`` may try again from ``where``, or None."""
    waits = [
        _wait(session, now, MAX_FAILURES, LOCK_MINUTES,
              (LoginFailure.username == name, LoginFailure.address == where)),
        _wait(session, now, ADDRESS_FAILURES, ADDRESS_MINUTES,
              (LoginFailure.address == where,)),
    ]
    longest = max((w for w in waits if w is not None), default=None)
    if longest is None:
        return None
    return max(1, int(longest.total_seconds() // 60) + 1)


def _wait(session: Session, now: datetime, limit: int, minutes: int,
          conditions: tuple[ColumnElement[bool], ...]) -> timedelta | None:
    """How long until fewer than ``limit`` failures matching ``conditions`` fall within the
    last ``minutes``; None when that is already so."""
    window = timedelta(minutes=minutes)
    recent = session.scalars(
        select(LoginFailure.at).where(*conditions, LoginFailure.at > now - window)
        .order_by(LoginFailure.at.desc()).limit(limit)).all()
    if len(recent) < limit:
        return None
    return recent[-1] + window - now


def _forget_old_failures(session: Session, now: datetime) -> None:
    """Failures older than every window count for nothing; they are not kept."""
    oldest = now - timedelta(minutes=max(LOCK_MINUTES, ADDRESS_MINUTES))
    session.execute(delete(LoginFailure).where(LoginFailure.at <= oldest))


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _open_session(session: Session, user: User, now: datetime) -> str:
    """A new session for ``user``; the user's ended sessions are cleared away."""
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id,
                                               LoginSession.ended_at.is_not(None)))
    key = secrets.token_urlsafe(32)
    session.add(LoginSession(key_hash=_key_hash(key), user_id=user.id, started_at=now))
    session.flush()
    return key


def load_actor(session: Session, key: str) -> Actor | None:
    """The actor of a live session, or None when the session has ended or its user is gone
    or deactivated."""
    user = session.scalars(
        select(User).join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.key_hash == _key_hash(key),
               LoginSession.ended_at.is_(None))).first()
    if user is None or not user.is_active:
        return None
    return actor_for(user)


def sign_out(ctx: EngineContext, session: Session, key: str) -> None:
    """End the session with this key (a no-op when it has ended already)."""
    session.execute(update(LoginSession)
                    .where(LoginSession.key_hash == _key_hash(key),
                           LoginSession.ended_at.is_(None))
                    .values(ended_at=ctx.clock.now()))

