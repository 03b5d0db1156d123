"""The caseworkers' pages: inbox, task, case and the corporation portal (Jinja2 + htmx).

Each view calls engine service functions with the signed-in actor; another scope's case or
task is ``NotFound`` and so a 404 page. Every page works as plain HTML; htmx requests get the
partial the page includes (``webui.htmx``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from engine import access
from engine.access import Actor
from engine.chain import policy
from webui.auth import current_actor


def actor() -> Actor:
    """The signed-in actor (views are ``login_required``)."""
    found = current_actor()
    if found is None:  # pragma: no cover - login_required runs first
        raise RuntimeError("no signed-in user")
    return found


def home_for(who: Actor) -> str:
    """The page a person lands on (the chain's policy decides, ``policy.home``)."""
    return policy.home(who.role)


#: Dutch and English names of the roles (the chain's policy holds them).
ROLE_LABELS: dict[str, tuple[str, str]] = policy.LABELS


def _globals() -> dict[str, Any]:
    """Template globals, made once per app (a context processor would rebuild them for every
    page and fragment)."""
    from engine.chain.cases import CORPORATION_MESSAGES, MILESTONE_LABELS, OUTCOME_LABELS
    from engine.chain.households import OPENED_BY_LABELS
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

    def may(capability: str) -> bool:
        """Whether the signed-in actor holds ``capability`` (the chain's policy decides;
        an unknown name is a typo in a template, not a "no")."""
        if capability not in policy.CAPABILITIES:
            raise KeyError(capability)
        who = current_actor()
        return who is not None and access.may(who, capability)

    return {"role_label": role_label, "menu_for": policy.menu, "may": may,
            "org_name": lambda slug: names.get(slug, slug),
            "opened_by_label": opened_by_label, "outcome_label": outcome_label,
            "labels": MILESTONE_LABELS, "messages": CORPORATION_MESSAGES,
            "htmx_available": (Path(__file__).parent.parent / "static" / "vendor" /
                               "htmx.min.js").exists()}


def init_app(app: Flask) -> None:
    from webui.pages import (
        account,
        break_glass,
        cases,
        cockpit,
        ddas,
        editor,
        inbox,
        instances,
        portal,
        privacy,
        processes,
        referral_packages,
        subject_access,
        tasks,
    )

    for module in (inbox, tasks, break_glass, cases, portal, referral_packages, cockpit,
                   instances, ddas, processes, editor, privacy, subject_access, account):
        app.register_blueprint(module.bp)
    app.jinja_env.globals.update(_globals())
