"""GET /api/v1/stats: the chain's figures for managers, the same as the cockpit shows.

Counts only, from the kept aggregates (``engine.chain.figures``): never a case, a name or an
address; every count from 1 to 4 is "<5", with complementary cells hidden too.
"""

from __future__ import annotations

from typing import Any

from flask import request

from engine import access
from engine.access import READ_FIGURES
from engine.chain import figures
from engine.errors import InvalidInput, NotAllowed
from engine.workdays import AMSTERDAM
from webui.api.routing import current_actor, route
from webui.db import engine_context, get_session

_VALUE = {"oneOf": [{"type": "integer", "minimum": 0}, {"const": figures.HIDDEN}]}
STATS = {
    "type": "object",
    "properties": {
        "filters": {"type": "object"},
        "suppression": {"type": "string"},
        "figures": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"enum": list(figures.FIGURE_IDS)},
            "title": {"type": "string"},
            "rows": {"enum": ["month", "quarter", "year"]},
            "periods": {"type": "array", "items": {"type": "string"}},
            "columns": {"type": "array", "items": {"type": "object"}},
            "cells": {"type": "array", "items": {"type": "array", "items": _VALUE}},
            "row_totals": {"type": ["array", "null"], "items": _VALUE},
            "column_totals": {"type": "array", "items": _VALUE},
            "total": {"oneOf": [_VALUE, {"type": "null"}]},
        }}},
    },
}


def figures_for(args: Any) -> tuple[figures.Filters, list[figures.FigureTable]]:
    """The filters of a request's arguments and the figures for them (page and API alike)."""
    session = get_session()
    today = engine_context().clock.now().astimezone(AMSTERDAM).date()
    filters = figures.parse_filters(args, today, figures.organisations(session))
    tables = figures.tables(session, filters)
    wanted = args.get("figure")
    if wanted:
        if wanted not in figures.FIGURE_IDS:
            raise InvalidInput({"figure": f"'{wanted[:40]}' is geen bekend cijfer"})
        tables = [t for t in tables if t.figure.id == wanted]
    return filters, tables


@route("/stats", "GET", "The chain's figures (managers, process owners, admins); counts "
       "under 5 are \"<5\", with complementary cells hidden", response_schema=STATS, query=[
           {"name": "from", "schema": {"type": "string"},
            "description": "first month, YYYY-MM (default: eleven months before 'to')"},
           {"name": "to", "schema": {"type": "string"},
            "description": "last month, YYYY-MM (default: this month)"},
           {"name": "quarter", "schema": {"type": "string"},
            "description": "instead of from/to: YYYY-Qn"},
           {"name": "municipality", "schema": {"type": "string"}},
           {"name": "corporation", "schema": {"type": "string"}},
           {"name": "figure", "schema": {"enum": list(figures.FIGURE_IDS)}},
           {"name": "lang", "schema": {"enum": ["nl", "en"]}}])
def stats() -> dict[str, Any]:
    if not access.may(current_actor(), READ_FIGURES):
        raise NotAllowed("alleen managers, proceseigenaren en beheerders lezen de cijfers")
    filters, tables = figures_for(request.args)
    lang = "en" if request.args.get("lang") == "en" else "nl"
    return {"filters": filters.as_dict(),
            "suppression": f"counts from 1 to {figures.THRESHOLD - 1} are "
                           f"\"{figures.HIDDEN}\"; complementary cells hidden too",
            "figures": [figures.as_dict(t, lang) for t in tables]}
