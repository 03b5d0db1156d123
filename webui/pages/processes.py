"""The process owners' workspace: the chain's process models, their versions, decision
tables and forms. Process owners see no households: case numbers and counts only."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from engine import access
from engine.chain.policy import READ_PROCESSES
from webui.auth import login_required
from webui.pages import actor

bp = Blueprint("processes", __name__)


def require(capability: str) -> None:
    """Refuse (403) who lacks ``capability``: the workspace is for some roles only."""
    if not access.may(actor(), capability):
        abort(403)


@bp.get("/processes")
@login_required
def index() -> str:
    require(READ_PROCESSES)
    return render_template("processes/index.html")
