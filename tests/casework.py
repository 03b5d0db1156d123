"""Helpers for case tests: signals with defaults, corporation actors, the test chain bundle."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy.orm import Session

from engine import tasks, users
from engine.access import Actor
from engine.chain import intake
from engine.context import EngineContext
from tests.factories import deploy, make_user

#: The five corporations and a postcode in each municipality.
POSTCODES = {"dordrecht": ("3311 AB", "Dordrecht"), "zwijndrecht": ("3331 KL", "Zwijndrecht"),
             "papendrecht": ("3351 XA", "Papendrecht"),
             "hendrik-ido-ambacht": ("3342 GA", "Hendrik-Ido-Ambacht"),
             "sliedrecht": ("3361 AC", "Sliedrecht"), "alblasserdam": ("2951 BT", "Alblasserdam")}


def signal(external_id: str = "WB-2026-000123", municipality: str = "dordrecht",
           **overrides: Any) -> dict[str, Any]:
    postcode, city = POSTCODES[municipality]
    body: dict[str, Any] = {
        "external_id": external_id,
        "tenant": {"name": "J. de Vries (synthetisch)", "street": "Voorstraat",
                   "house_number": "12a", "postcode": postcode, "city": city,
                   "phone": "0612345678", "email": "j.devries@example.nl",
                   "date_of_birth": "1980-04-02"},
        "arrears": {"amount": "812.50", "months": 1, "since": "2026-03-01"},
        "monthly_rent": "640.00", "warm_handover": False, "crisis": False,
    }
    body = copy.deepcopy(body)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(body.get(key), dict):
            body[key].update(value)
        else:
            body[key] = value
    return body


def corporation(ctx: EngineContext, org: str = "woonbron", role: str = "corporation") -> Actor:
    return make_user(ctx, f"{role}-{org}", role, org)


def machine(ctx: EngineContext, org: str = "woonbron") -> Actor:
    with ctx.sessionmaker.begin() as session:
        created = users.create_token(ctx, session, org_slug=org)
        actor = users.actor_for_token(session, created.token)
    assert actor is not None
    return actor


def deploy_chain(ctx: EngineContext) -> None:
    deploy(ctx, "intake")


def report(ctx: EngineContext, actor: Actor, **kwargs: Any) -> intake.SignalResult:
    with ctx.sessionmaker.begin() as session:
        return intake.report_signal(ctx, session, actor, signal(**kwargs))


def complete_claimed(ctx: EngineContext, session: Session, actor: Actor, task_id: str,
                     data: Any) -> Any:
    """Claim the task, then complete it: only the holder of the claim may (issue 9)."""
    tasks.claim_task(ctx, session, actor, task_id)
    return tasks.complete_task(ctx, session, actor, task_id, data)
