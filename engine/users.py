"""Organisations, users, passwords and API tokens.

Passwords are hashed with scrypt (standard library), tokens are random and stored as SHA-256
only; the plain token is shown once when created. A new password or a deactivation ends every
signed-in session of the user (``engine.logins`` opens and checks them).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from engine.access import Actor, roles
from engine.context import EngineContext
from engine.errors import InvalidInput, NotFound
from engine.models import ApiToken, Organisation, User
from engine.models.party import LoginSession

#: The reference organisations of the Drechtsteden chain (slug, name, kind).
REFERENCE_ORGANISATIONS = (
    ("dordrecht", "Gemeente Dordrecht", "municipality"),
    ("zwijndrecht", "Gemeente Zwijndrecht", "municipality"),
    ("papendrecht", "Gemeente Papendrecht", "municipality"),
    ("hendrik-ido-ambacht", "Gemeente Hendrik-Ido-Ambacht", "municipality"),
    ("sliedrecht", "Gemeente Sliedrecht", "municipality"),
    ("alblasserdam", "Gemeente Alblasserdam", "municipality"),
    ("woonbron", "Woonbron", "corporation"),
    ("trivire", "Trivire", "corporation"),
    ("woonkracht10", "Woonkracht10", "corporation"),
    ("tablis", "Tablis Wonen", "corporation"),
    ("rhiant", "Rhiant", "corporation"),
    ("sdd", "Sociale Dienst Drechtsteden", "sdd"),
    ("veilig-thuis", "Veilig Thuis Zuid-Holland Zuid", "care"),
    ("regio", "Regio Drechtsteden", "region"),
)

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(stored: str | None, password: str) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, salt_hex, digest_hex = stored.split("$")
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), dklen=32,
                            **_SCRYPT)
    return hmac.compare_digest(digest.hex(), digest_hex)


def ensure_organisations(session: Session) -> int:
    """Load the reference organisations (idempotent); returns how many were added."""
    existing = set(session.scalars(select(Organisation.slug)).all())
    added = 0
    for slug, name, kind in REFERENCE_ORGANISATIONS:
        if slug not in existing:
            session.add(Organisation(slug=slug, name=name, kind=kind))
            added += 1
    session.flush()
    return added


def user_named(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def organisation(session: Session, slug: str) -> Organisation:
    found = session.scalars(select(Organisation).where(Organisation.slug == slug)).first()
    if found is None:
        raise NotFound(f"no organisation '{slug}'")
    return found


def add_user(ctx: EngineContext, session: Session, username: str, role: str, org_slug: str,
             password: str | None, display_name: str | None = None,
             email: str | None = None) -> User:
    """Create a user (or update role, organisation and password of an existing one; an
    ``email`` given replaces the address notification mails go to, "" removes it).

    :raise InvalidInput: unknown role, empty username, too short password or an address
        that is not one.
    """
    errors: dict[str, str] = {}
    if email and not _plausible_address(email):
        errors["email"] = "is geen geldig e-mailadres"
    if not username.strip():
        errors["username"] = "is verplicht"
    if role not in roles():
        errors["role"] = f"onbekende rol; kies uit {', '.join(roles())}"
    if password is not None and len(password) < 8:
        errors["password"] = "moet minstens 8 tekens hebben"  # noqa: S105 - a message
    if errors:
        raise InvalidInput(errors)
    org = organisation(session, org_slug)
    user = user_named(session, username)
    if user is None:
        user = User(username=username, created_at=ctx.clock.now(), display_name=username)
        session.add(user)
    user.role = role
    user.organisation_id = org.id
    user.display_name = display_name or user.display_name or username
    if email is not None:
        user.email = email.strip() or None
    if password is not None:
        user.password_hash = hash_password(password)
        if user.id is not None:
            end_sessions(ctx, session, user.id)
    session.flush()
    return user


def _plausible_address(email: str) -> bool:
    """One ``local@domain.tld``, no spaces, no header tricks (CR/LF, commas, brackets)."""
    text = email.strip()
    local, at, domain = text.rpartition("@")
    return (bool(at and local and "." in domain.strip(".")) and len(text) <= 254
            and not any(c.isspace() or c in ',;<>"()[]\\' for c in text))


def deactivate_user(ctx: EngineContext, session: Session, username: str) -> User:
    """Take a user out: no sign-in, no session, no personal token works any more.

    :raise NotFound: no such user.
    """
    user = user_named(session, username)
    if user is None:
        raise NotFound(f"no user '{username}'")
    user.is_active = False
    session.flush()
    end_sessions(ctx, session, user.id)
    return user


def end_sessions(ctx: EngineContext, session: Session, user_id: int) -> None:
    """End every signed-in session of the user: each cookie issued so far stops working."""
    session.execute(update(LoginSession)
                    .where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
                    .values(ended_at=ctx.clock.now()))


def actor_for(user: User) -> Actor:
    return Actor(username=user.username, role=user.role, organisation=user.organisation.slug,
                 organisation_kind=user.organisation.kind, user_id=user.id,
                 display_name=user.display_name)


def authenticate(session: Session, username: str, password: str) -> Actor | None:
    user = user_named(session, username)
    if user is None or not user.is_active or not check_password(user.password_hash, password):
        return None
    return actor_for(user)


@dataclass(frozen=True)
class CreatedToken:
    token: str
    label: str


def create_token(ctx: EngineContext, session: Session, *, org_slug: str | None = None,
                 username: str | None = None, label: str = "") -> CreatedToken:
    """A new bearer token for an organisation (machine) or a user (personal)."""
    if (org_slug is None) == (username is None):
        raise InvalidInput({"token": "give either an organisation or a user"})
    token = "kf_" + secrets.token_urlsafe(32)
    row = ApiToken(token_hash=_token_hash(token), created_at=ctx.clock.now(), label=label)
    if org_slug is not None:
        row.organisation_id = organisation(session, org_slug).id
    elif username is not None:
        user = user_named(session, username)
        if user is None:
            raise NotFound(f"no user '{username}'")
        row.user_id = user.id
    session.add(row)
    session.flush()
    return CreatedToken(token, label)


@dataclass(frozen=True)
class TokenView:
    """What an operator may know of a token: never the token itself."""

    id: int
    kind: str  # "org" (a machine token) or "user" (a personal token)
    whom: str  # organisation slug or username
    label: str
    created_at: datetime
    revoked: bool


def list_tokens(session: Session) -> list[TokenView]:
    """Every token, oldest first, revoked ones included."""
    return _token_views(session)


def revoke_token(session: Session, token_id: int) -> TokenView:
    """Revoke a token by id; it stops working at the next request (revoking twice is fine).

    :raise NotFound: no token with that id.
    """
    token = session.get(ApiToken, token_id) if 0 < token_id < 2**31 else None
    if token is None:
        raise NotFound(f"no token {token_id}")
    token.revoked = True
    session.flush()
    return _token_views(session, token_id)[0]


def _token_views(session: Session, token_id: int | None = None) -> list[TokenView]:
    query = (select(ApiToken.id, ApiToken.user_id, User.username, Organisation.slug,
                    ApiToken.label, ApiToken.created_at, ApiToken.revoked)
             .select_from(ApiToken)
             .outerjoin(User, User.id == ApiToken.user_id)
             .outerjoin(Organisation, Organisation.id == ApiToken.organisation_id)
             .order_by(ApiToken.id))
    if token_id is not None:
        query = query.where(ApiToken.id == token_id)
    return [TokenView(id=row_id, kind="org" if user_id is None else "user",
                      whom=(slug if user_id is None else username) or "", label=label,
                      created_at=created_at, revoked=revoked)
            for row_id, user_id, username, slug, label, created_at, revoked
            in session.execute(query).all()]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_TOKENS = cast(Table, ApiToken.__table__)
_USER_ROWS = cast(Table, User.__table__)
_ORGANISATION_ROWS = cast(Table, Organisation.__table__)
#: The token's user (if personal) and organisation; built once, as every API call asks it.
_TOKEN_ACTOR = (
    select(_TOKENS.c.user_id, _USER_ROWS.c.username, _USER_ROWS.c.role,
           _USER_ROWS.c.display_name, _USER_ROWS.c.is_active, _ORGANISATION_ROWS.c.slug,
           _ORGANISATION_ROWS.c.kind)
    .select_from(_TOKENS)
    .outerjoin(_USER_ROWS, _USER_ROWS.c.id == _TOKENS.c.user_id)
    .join(_ORGANISATION_ROWS, _ORGANISATION_ROWS.c.id == func.coalesce(
        _USER_ROWS.c.organisation_id, _TOKENS.c.organisation_id))
    .where(_TOKENS.c.token_hash == bindparam("hash"), _TOKENS.c.revoked.is_(False)))


def actor_for_bearer(ctx: EngineContext, session: Session, token: str) -> Actor | None:
    """``actor_for_token`` through the process's token cache (``engine.token_cache``): what
    every API request asks first."""
    token_hash = _token_hash(token)
    return ctx.tokens.actor(token_hash, lambda: _actor_for_hash(session, token_hash))


def actor_for_token(session: Session, token: str) -> Actor | None:
    """The actor a bearer token acts as, or None for an unknown or revoked token.

    One joined query: a personal token takes its user's role and organisation, an
    organisation's machine token acts as that organisation (corporations as ``corporation``).
    """
    return _actor_for_hash(session, _token_hash(token))


def _actor_for_hash(session: Session, token_hash: str) -> Actor | None:
    found = session.connection().execute(_TOKEN_ACTOR, {"hash": token_hash}).first()
    if found is None:
        return None
    user_id, username, role, display_name, is_active, slug, kind = found
    if user_id is not None:
        if not is_active:
            return None
        return Actor(username=username, role=role, organisation=slug, organisation_kind=kind,
                     user_id=user_id, display_name=display_name)
    return Actor(username=f"token:{slug}", role="corporation" if kind == "corporation"
                 else "machine", organisation=slug, organisation_kind=kind)
