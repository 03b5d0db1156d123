"""Signing in with a password, throttled: after repeated failures the account waits a while.

After ``MAX_FAILURES`` wrong passwords in a row the account is locked for ``LOCK_MINUTES``;
a correct password during the lock is refused too. An unknown username costs the same hash
work as a known one, so timing does not tell which usernames exist. The outcome is returned
(not raised) so the caller can commit the failure counter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from engine.access import Actor
from engine.context import EngineContext
from engine.models import User
from engine.users import actor_for, check_password, hash_password, user_named

MAX_FAILURES = 5
LOCK_MINUTES = 5
_DUMMY_HASH = hash_password("not-a-real-password")


@dataclass(frozen=True)
class SignIn:
    actor: Actor | None
    locked_minutes: int | None = None


def sign_in(ctx: EngineContext, session: Session, username: str, password: str) -> SignIn:
    """The actor for a correct username and password, else why not (locked or wrong)."""
    now = ctx.clock.now()
    user = user_named(session, username.strip())
    if user is None or not user.is_active:
        check_password(_DUMMY_HASH, password)
        return SignIn(None)
    if user.locked_until is not None and user.locked_until > now:
        remaining = user.locked_until - now
        return SignIn(None, max(1, int(remaining.total_seconds() // 60) + 1))
    if not check_password(user.password_hash, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILURES:
            user.failed_logins = 0
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            session.flush()
            return SignIn(None, LOCK_MINUTES)
        session.flush()
        return SignIn(None)
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    return SignIn(actor_for(user))


def load_actor(session: Session, user_id: int) -> Actor | None:
    """The actor of a signed-in session, or None when the user is gone or deactivated."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    return actor_for(user)
