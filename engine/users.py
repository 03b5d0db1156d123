"""Organisations, users, passwords and API tokens.

Passwords are hashed with scrypt (standard library), tokens are random and stored as SHA-256
only; the plain token is shown once when created.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.access import ROLES, Actor
from engine.context import EngineContext
from engine.errors import InvalidInput, NotFound
from engine.models import ApiToken, Organisation, User

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
             password: str | None, display_name: str | None = None) -> User:
    """Create a user (or update role, organisation and password of an existing one).

    :raise InvalidInput: unknown role, empty username or too short password.
    """
    errors: dict[str, str] = {}
    if not username.strip():
        errors["username"] = "is verplicht"
    if role not in ROLES:
        errors["role"] = f"onbekende rol; kies uit {', '.join(ROLES)}"
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
    if password is not None:
        user.password_hash = hash_password(password)
    session.flush()
    return user


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


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_for_token(session: Session, token: str) -> Actor | None:
    """The actor a bearer token acts as, or None for an unknown or revoked token.

    One joined query: a personal token takes its user's role and organisation, an
    organisation's machine token acts as that organisation (corporations as ``corporation``).
    """
    found = session.execute(
        select(ApiToken.user_id, User.username, User.role, User.display_name, User.is_active,
               Organisation.slug, Organisation.kind)
        .select_from(ApiToken)
        .outerjoin(User, User.id == ApiToken.user_id)
        .join(Organisation, Organisation.id == func.coalesce(User.organisation_id,
                                                             ApiToken.organisation_id))
        .where(ApiToken.token_hash == _token_hash(token), ApiToken.revoked.is_(False))).first()
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
