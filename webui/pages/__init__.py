"""The caseworkers' pages: inbox, task, case and the corporation portal (Jinja2 + htmx).

Each view calls engine service functions with the signed-in actor; another scope's case or
task is ``NotFound`` and so a 404 page. Every page works as plain HTML; htmx requests get the
partial the page includes (``webui.htmx``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from engine.access import Actor
from webui.auth import current_actor


def actor() -> Actor:
    """The signed-in actor (views are ``login_required``)."""
    found = current_actor()
    if found is None:  # pragma: no cover - login_required runs first
        raise RuntimeError("no signed-in user")
    return found


def home_for(who: Actor) -> str:
    if who.role.startswith("corporation"):
        return "/portal"
    if who.role in ("social_team", "social_team_lead", "budget_advice", "care_referral"):
        return "/inbox"
    if who.role == "admin":
        return "/cases"
    return "/welcome"


ROLE_LABELS: dict[str, tuple[str, str]] = {
    "corporation": ("Medewerker huurincasso", "Rent collection officer"),
    "corporation_lead": ("Teamleider incasso", "Collection team lead"),
    "social_team": ("Medewerker sociaal team", "Social team member"),
    "social_team_lead": ("Coördinator sociaal team", "Social team coordinator"),
    "budget_advice": ("Budgetadviseur SDD", "SDD budget advisor"),
    "care_referral": ("Medewerker Meldpunt Zorg en Overlast", "Care reporting point officer"),
    "process_owner": ("Proceseigenaar", "Process owner"),
    "manager": ("Manager", "Manager"),
    "privacy_officer": ("Privacyfunctionaris", "Privacy officer"),
    "admin": ("Applicatiebeheer", "Administrator"),
}


def _globals() -> dict[str, Any]:
    """Template globals, made once per app (a context processor would rebuild them for every
    page and fragment)."""
    from engine.cases import CORPORATION_MESSAGES, MILESTONE_LABELS, OUTCOME_LABELS
    from engine.households import OPENED_BY_LABELS
    from engine.users import REFERENCE_ORGANISATIONS
    from webui.i18n import pick

    names = {slug: name for slug, name, _kind in REFERENCE_ORGANISATIONS}

    def role_label(role: str | None) -> str:
        nl, en = ROLE_LABELS.get(role or "", (role or "", role or ""))
        return pick(nl, en)

    def opened_by_label(opened_by: str | None) -> str:
        nl, en = OPENED_BY_LABELS.get(opened_by or "", (opened_by or "", opened_by or ""))
        return pick(nl, en)

    def outcome_label(outcome: str | None) -> str:
        return pick(outcome, OUTCOME_LABELS.get(outcome or "", outcome))

    return {"role_label": role_label, "org_name": lambda slug: names.get(slug, slug),
            "opened_by_label": opened_by_label, "outcome_label": outcome_label,
            "labels": MILESTONE_LABELS, "messages": CORPORATION_MESSAGES,
            "htmx_available": (Path(__file__).parent.parent / "static" / "vendor" /
                               "htmx.min.js").exists()}


def init_app(app: Flask) -> None:
    from webui.pages import cases, inbox, portal, tasks

    for module in (inbox, tasks, cases, portal):
        app.register_blueprint(module.bp)
    app.jinja_env.globals.update(_globals())
