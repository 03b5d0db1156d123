"""Preparing a bench database: schema, organisations, the workload, users and tokens."""

from __future__ import annotations

from dataclasses import dataclass

from bench.common import (
    ADMIN_USER,
    MUNICIPALITY,
    OWNER_USER,
    PASSWORD,
    TEAM_USER,
    WORKLOAD,
)
from engine import deployments, users
from engine.access import SYSTEM, Actor
from engine.context import EngineContext
from engine.models import User
from engine.schema import upgrade


@dataclass(frozen=True)
class People:
    team: Actor
    owner: Actor
    admin: Actor
    team_token: str
    owner_token: str
    admin_token: str


def prepare(ctx: EngineContext, *, schema: bool = True, deploy: bool = True) -> People:
    """Bring ``ctx``'s database to a runnable state; returns the actors and their tokens."""
    if schema:
        upgrade(ctx.db)
    with ctx.sessionmaker.begin() as session:
        users.ensure_organisations(session)
        if deploy:
            deployments.deploy_path(ctx, session, SYSTEM, WORKLOAD)
        made: dict[str, User] = {}
        for name, role, org in ((TEAM_USER, "social_team", MUNICIPALITY),
                                (OWNER_USER, "process_owner", "regio"),
                                (ADMIN_USER, "admin", "regio")):
            made[name] = users.add_user(ctx, session, name, role, org, PASSWORD)
        tokens = {name: users.create_token(ctx, session, username=name, label="bench").token
                  for name in made}
        actors = {name: users.actor_for(user) for name, user in made.items()}
    return People(actors[TEAM_USER], actors[OWNER_USER], actors[ADMIN_USER],
                  tokens[TEAM_USER], tokens[OWNER_USER], tokens[ADMIN_USER])
