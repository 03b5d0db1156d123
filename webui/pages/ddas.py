"""The managers' download of the national DDAS delivery (``ketenflow export ddas`` in the
browser): a form for the period and the municipality, and the JSON file as an attachment.

The engine builds the file and records the export (``engine.chain.ddas_export``); this page
only reads the form, names each wrong field in Dutch, and hands the file over.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request

from engine.chain import ddas_export
from engine.chain.policy import EXPORT_DDAS
from engine.errors import InvalidInput
from webui.auth import login_required
from webui.db import engine_context
from webui.pages import actor
from webui.pages.cockpit import require

bp = Blueprint("ddas", __name__)
#: The form's fields, in the order the error summary lists them.
FIELDS = ("from", "to", "municipality")


@bp.route("/cockpit/ddas", methods=["GET", "POST"])
@login_required
def download() -> Any:
    """The form (GET without a period), or the file (GET with ``from`` and ``to``, or POST)."""
    require(EXPORT_DDAS)
    source = request.form if request.method == "POST" else request.args
    values = {name: (source.get(name) or "").strip() for name in FIELDS}
    if request.method == "GET" and not (values["from"] or values["to"]):
        return _form(values, {})
    try:
        start, end = ddas_export.parse_period(values["from"], values["to"])
        delivery = ddas_export.export_delivery(engine_context(), actor(), start, end,
                                               values["municipality"] or None, channel="web")
    except InvalidInput as invalid:
        return _form(values, invalid.errors), 422
    return Response(delivery.json(), mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{delivery.filename()}"',
        "Cache-Control": "no-store"})


def _form(values: dict[str, str], errors: dict[str, str]) -> str:
    municipalities = ddas_export.selectable(engine_context(), actor())
    ordered = {name: errors[name] for name in FIELDS if name in errors}
    return render_template("cockpit/ddas.html", values=values, errors=ordered,
                           municipalities=municipalities)
