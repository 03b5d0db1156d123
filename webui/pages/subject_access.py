"""Subject access and correction (AVG art. 15 and 16): the administrator's and the privacy
officer's pages over ``engine.chain.subject_access``. The report is a printable Dutch page and
the same as JSON; only the administrator corrects, with a reason."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request
from flask_babel import lazy_gettext as _l

from engine import access
from engine.chain import policy, subject_access
from engine.errors import InvalidInput, NotFound
from webui.auth import login_required
from webui.db import engine_context
from webui.pages import actor

bp = Blueprint("subject_access", __name__)
SEARCH = ("case_number", "postcode", "house_number")
#: The case's columns as the printable report names them (the JSON keeps the column names).
CASE_FIELDS = {
    "case_number": _l("Zaaknummer"), "corporation": _l("Woningcorporatie"),
    "municipality": _l("Gemeente"), "external_id": _l("Kenmerk van de corporatie"),
    "tenant_name": _l("Naam"), "street": _l("Straat"), "house_number": _l("Huisnummer"),
    "postcode": _l("Postcode"), "city": _l("Plaats"), "phone": _l("Telefoon"),
    "email": _l("E-mail"), "date_of_birth": _l("Geboortedatum"),
    "synthetic": _l("Synthetische demogegevens"), "arrears_amount": _l("Huurachterstand"),
    "arrears_months": _l("Maanden achterstand"), "arrears_since": _l("Achterstand sinds"),
    "monthly_rent": _l("Maandhuur"), "crisis": _l("Crisis"),
    "warm_handover": _l("Warme overdracht"), "duplicate": _l("Dubbele melding"),
    "milestone": _l("Mijlpaal"), "closed": _l("Afgesloten"),
    "referred_to_sdd": _l("Verwezen naar de SDD"),
    "referred_to_care": _l("Verwezen naar het Meldpunt"), "outcome": _l("Uitkomst"),
    "national_result": _l("Landelijk eindresultaat"), "hearing_date": _l("Zittingsdatum"),
    "eviction_date": _l("Ontruimingsdatum"), "closed_at": _l("Afgesloten op"),
    "repeat": _l("Herhaalde melding"), "opened_by": _l("Geopend door"),
    "known_sdd_trajectory": _l("Al bekend bij de SDD"), "created_at": _l("Aangemaakt op"),
    "updated_at": _l("Gewijzigd op"), "created_by": _l("Aangemaakt door"),
    "erased_at": _l("Persoonsgegevens gewist op")}


def _correctable() -> dict[str, Any]:
    """The fields an administrator may correct, with their labels (AVG art. 16)."""
    return {name: CASE_FIELDS[name] for name in subject_access.CORRECTABLE}


def _require(capability: str) -> None:
    if not access.may(actor(), capability):
        abort(403)


def _query() -> dict[str, str]:
    return {name: (request.args.get(name) or "").strip()[:40] for name in SEARCH}


@bp.get("/subject-access")
@login_required
def index() -> Any:
    """The search form, or the tenant's report once a case number or address is given."""
    _require(policy.SUBJECT_ACCESS)
    query = _query()
    if not any(query.values()):
        return render_template("subject_access/index.html", query=query, errors={},
                               report=None)
    try:
        found = subject_access.report(engine_context(), actor(), **query)
    except InvalidInput as invalid:
        return render_template("subject_access/index.html", query=query,
                               errors=invalid.errors, report=None), 422
    except NotFound as missing:
        return render_template("subject_access/index.html", query=query,
                               errors={"case_number": missing.message}, report=None), 404
    return render_template("subject_access/index.html", query=query, errors={}, report=found,
                           fields=_correctable(), case_fields=CASE_FIELDS)


@bp.get("/subject-access/export.json")
@login_required
def export() -> Any:
    _require(policy.SUBJECT_ACCESS)
    query = _query()
    try:
        found = subject_access.report(engine_context(), actor(), **query)
    except InvalidInput as invalid:
        return Response(json.dumps({"fouten": invalid.errors}, ensure_ascii=False), 422,
                        mimetype="application/json")
    return Response(json.dumps(found, ensure_ascii=False, indent=2, default=str),
                    mimetype="application/json", headers={
                        "Content-Disposition": 'attachment; filename="inzageverzoek.json"',
                        "Cache-Control": "no-store"})


@bp.post("/subject-access/correct")
@login_required
def correct() -> Any:
    _require(policy.CORRECT_PERSONAL_DATA)
    form = {name: (request.form.get(name) or "") for name in ("case_number", "field", "value",
                                                               "reason")}
    try:
        subject_access.correct(engine_context(), actor(), **form)
    except InvalidInput as invalid:
        query = {"case_number": form["case_number"], "postcode": "", "house_number": ""}
        found = subject_access.report(engine_context(), actor(), case_number=form["case_number"])
        return render_template("subject_access/index.html", query=query, errors={},
                               correction_errors=invalid.errors, report=found,
                               fields=_correctable(), case_fields=CASE_FIELDS,
                               form=form), 422
    return redirect(f"/subject-access?case_number={form['case_number'].strip().upper()}", 303)
