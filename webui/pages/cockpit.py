"""The managers' cockpit: the chain's figures, its process instances by case number, the
heatmap and the national DDAS delivery. Counts and progress only, never a household's
name, address or notes (domain.md §6)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, render_template, request

from engine import access
from engine.access import READ_FIGURES
from engine.chain import figures
from engine.errors import InvalidInput
from webui.api.stats import figures_for
from webui.auth import login_required
from webui.db import get_session
from webui.i18n import lang
from webui.pages import actor

bp = Blueprint("cockpit", __name__)

#: The filter arguments a figure's CSV link carries over from the page.
FILTER_ARGS = ("from", "to", "quarter", "municipality", "corporation")


def require(capability: str) -> None:
    """Refuse (403) who lacks ``capability``: the cockpit's pages are for some roles only."""
    if not access.may(actor(), capability):
        abort(403)


@bp.get("/cockpit")
@login_required
def index() -> tuple[str, int]:
    """The figures as charts with their tables beside them, filtered by period and
    organisation; a filter that is not understood is named on the page (422)."""
    require(READ_FIGURES)
    args = {name: request.args.get(name, "") for name in FILTER_ARGS}
    errors: dict[str, str] = {}
    try:
        filters, tables = figures_for(request.args)
    except InvalidInput as invalid:
        errors = invalid.errors
        filters, tables = figures_for({})
    language = lang()
    data = [figures.as_dict(t, language) for t in tables]
    query = urlencode({k: v for k, v in args.items() if v and not errors})
    session = get_session()
    context: dict[str, Any] = {
        "filters": filters, "args": args, "errors": errors, "figures": data,
        "organisations": figures.organisations(session), "quarters": figures.quarters(session),
        "query": query, "evictions_2014": figures.EVICTIONS_2014,
        "step_labels": {k: figures.label(v, language) for k, v in figures.STEP_LABELS.items()},
        "chart_data": {"reference": figures.EVICTIONS_2014,
                       "hidden": figures.HIDDEN, "figures": data}}
    return render_template("cockpit/index.html", **context), 422 if errors else 200


@bp.get("/cockpit/figures/<figure_id>.csv")
@login_required
def figure_csv(figure_id: str) -> Response:
    """One figure as CSV, with the page's filters and the same suppression."""
    require(READ_FIGURES)
    if figure_id not in figures.FIGURE_IDS:
        abort(404)
    try:
        filters, tables = figures_for({**request.args.to_dict(), "figure": figure_id})
    except InvalidInput as invalid:
        return Response("; ".join(f"{k}: {v}" for k, v in invalid.errors.items()), 422,
                        mimetype="text/plain")
    name = f"{figure_id}_{filters.start:%Y-%m}_{filters.end:%Y-%m}.csv"
    return Response("\ufeff" + figures.csv_text(tables[0], lang()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
