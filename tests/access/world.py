"""A small region for access tests: three cases in three scopes, one user per role and org."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from engine.access import Actor
from engine.chain import intake
from engine.context import EngineContext
from engine.models import HumanTask
from tests.casework import complete_claimed, deploy_chain, signal
from tests.factories import make_user

SECRET_NOTE = "Keukentafel-notitie-GEHEIM schulden bij familie en psychische klachten"


@dataclass
class World:
    actors: dict[str, Actor]
    cases: dict[str, str]  # label -> case number
    #: case label -> {username: True when they may see it}
    tasks: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)
    details: dict[str, dict[str, str]] = field(default_factory=dict)


USERS = {  # username: (role, organisation)
    "st-dordrecht": ("social_team", "dordrecht"),
    "stl-dordrecht": ("social_team_lead", "dordrecht"),
    "st-sliedrecht": ("social_team", "sliedrecht"),
    "st-zwijndrecht": ("social_team", "zwijndrecht"),
    "corp-woonbron": ("corporation", "woonbron"),
    "corpl-woonbron": ("corporation_lead", "woonbron"),
    "corp-trivire": ("corporation", "trivire"),
    "sdd": ("budget_advice", "sdd"),
    "meldpunt": ("care_referral", "veilig-thuis"),
    # the desks' leads (issue 10): domain.md §6 has no column for them; each sees what its
    # desk sees and works its desk's lane and its own (the escalations)
    "sddl": ("budget_advice_lead", "sdd"),
    "meldpuntl": ("care_referral_lead", "veilig-thuis"),
    "po": ("process_owner", "regio"),
    "manager": ("manager", "regio"),
    "privacy": ("privacy_officer", "regio"),
    "admin": ("admin", "regio"),
}

#: Who may see which case (label) at all; everyone else gets 404.
CASE_ACCESS = {
    "dordrecht_sdd": {"st-dordrecht", "stl-dordrecht", "corp-woonbron", "corpl-woonbron", "sdd",
                      "sddl", "admin"},
    "sliedrecht_care": {"st-sliedrecht", "corp-trivire", "meldpunt", "meldpuntl", "admin"},
    "zwijndrecht_new": {"st-zwijndrecht", "corp-woonbron", "corpl-woonbron", "admin"},
}
TENANTS = {"dordrecht_sdd": ("Wilma Achterberg", "3312 KL"),
           "sliedrecht_care": ("Karel Oosterhout", "3362 BC"),
           "zwijndrecht_new": ("Sanne Verbeek", "3334 TT")}


def _drive(ctx: EngineContext, actor: Actor, case_number: str, referral: str) -> None:
    for form in ({"attempt_type": "home_visit", "attempt_date": "2026-04-23",
                  "contact_made": True},
                 {"help_wanted": True, "zrm_finances": 2, "assessment_note": SECRET_NOTE,
                  "referral": referral, "monthly_income": 1432.5}):
        with ctx.sessionmaker.begin() as session:
            task_id = session.scalars(select(HumanTask.id).where(
                HumanTask.case_number == case_number, HumanTask.state == "open")).one()
            complete_claimed(ctx, session, actor, task_id, form)


def build(ctx: EngineContext) -> World:
    deploy_chain(ctx)
    actors = {name: make_user(ctx, name, role, org) for name, (role, org) in USERS.items()}
    numbers = {}
    specs = {"dordrecht_sdd": ("corp-woonbron", "dordrecht", "3312 KL", "Dordrecht"),
             "sliedrecht_care": ("corp-trivire", "sliedrecht", "3362 BC", "Sliedrecht"),
             "zwijndrecht_new": ("corp-woonbron", "zwijndrecht", "3334 TT", "Zwijndrecht")}
    for label, (corp, municipality, postcode, city) in specs.items():
        with ctx.sessionmaker.begin() as session:
            body = signal(external_id=f"EXT-{label}", municipality=municipality,
                          tenant={"name": TENANTS[label][0], "postcode": postcode,
                                  "city": city})
            numbers[label] = intake.report_signal(ctx, session, actors[corp], body).case_number
    _drive(ctx, actors["st-dordrecht"], numbers["dordrecht_sdd"], "sdd")
    _drive(ctx, actors["st-sliedrecht"], numbers["sliedrecht_care"], "care")
    world = World(actors, numbers)
    with ctx.sessionmaker() as session:
        for label, number in numbers.items():
            world.tasks[label] = list(session.execute(select(HumanTask.id, HumanTask.role).where(
                HumanTask.case_number == number)).tuples())
    return world


def may_see_task(username: str, role: str | None, case_label: str) -> bool:
    """The task rule: the lane's role within the organisation's scope."""
    user_role, _org = USERS[username]
    if username == "admin":
        return True
    if case_label not in CASE_ACCESS or username not in CASE_ACCESS[case_label]:
        return False
    lanes = {"social_team": {"social_team"}, "social_team_lead": {"social_team",
                                                                   "social_team_lead"},
             "corporation": {"corporation"}, "corporation_lead": {"corporation",
                                                                   "corporation_lead"},
             "budget_advice": {"budget_advice"}, "care_referral": {"care_referral"},
             "budget_advice_lead": {"budget_advice", "budget_advice_lead"},
             "care_referral_lead": {"care_referral", "care_referral_lead"}}
    return role in lanes.get(user_role, set())
