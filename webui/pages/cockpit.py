"""The managers' cockpit: the chain's figures, its process instances by case number, the
heatmap and the national DDAS delivery. Counts and progress only, never a household's
name, address or notes (domain.md §6)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from engine import access
from engine.access import READ_FIGURES
from webui.auth import login_required
from webui.pages import actor

bp = Blueprint("cockpit", __name__)


def require(capability: str) -> None:
    """Refuse (403) who lacks ``capability``: the cockpit's pages are for some roles only."""
    if not access.may(actor(), capability):
        abort(403)


@bp.get("/cockpit")
@login_required
def index() -> str:
    require(READ_FIGURES)
    return render_template("cockpit/index.html")
