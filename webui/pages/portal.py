"""The corporations' front door: report a tenant (form or CSV) and follow own tenants' cases."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, render_template, request
from flask_babel import gettext as _

from engine.access import may_report_signals
from engine.chain import cases, intake, signal_batches
from engine.errors import InvalidInput, NotFound
from webui import htmx
from webui.auth import login_required
from webui.db import commit, engine_context, get_session
from webui.pages import actor

bp = Blueprint("portal", __name__)
MAX_UPLOAD = 5 * 1024 * 1024


def _require_corporation() -> None:
    if not may_report_signals(actor()):
        raise NotFound("the portal is for housing corporations")


@bp.get("/portal")
@login_required
def index() -> Any:
    _require_corporation()
    page = cases.list_cases(engine_context(), get_session(), actor(), limit=10,
                            what="portal recent cases")
    open_tasks = cases.corporation_tasks(engine_context(), get_session(), actor())
    return render_template("portal/index.html", page=page, labels=cases.MILESTONE_LABELS,
                           open_tasks=open_tasks, outcomes=cases.OUTCOME_LABELS)


def _signal_from_form(form: Any) -> dict[str, Any]:
    def text(name: str) -> str | None:
        value = (form.get(name) or "").strip()
        return value or None

    months = text("arrears_months")
    signal: dict[str, Any] = {
        "external_id": text("external_id") or "",
        "tenant": {k: v for k, v in {
            "name": text("name") or "", "street": text("street") or "",
            "house_number": text("house_number") or "", "postcode": text("postcode") or "",
            "city": text("city") or "", "phone": text("phone"), "email": text("email"),
            "date_of_birth": text("date_of_birth")}.items() if v is not None},
        "arrears": {k: v for k, v in {
            "amount": text("arrears_amount") or "",
            "months": int(months) if months and months.isascii() and months.isdecimal()
            else (months or ""),
            "since": text("arrears_since")}.items() if v is not None},
        "monthly_rent": text("monthly_rent") or "",
        "warm_handover": form.get("warm_handover") == "on",
        "crisis": form.get("crisis") == "on",
    }
    return signal


#: Error keys of a signal (``tenant/postcode``) and the form input that shows them.
_INPUT_OF = {"tenant/name": "name", "tenant/street": "street",
             "tenant/house_number": "house_number", "tenant/postcode": "postcode",
             "tenant/city": "city", "tenant/phone": "phone", "tenant/email": "email",
             "tenant/date_of_birth": "date_of_birth", "arrears/amount": "arrears_amount",
             "arrears/months": "arrears_months", "arrears/since": "arrears_since"}


@bp.route("/portal/report", methods=["GET", "POST"])
@login_required
def report() -> Any:
    _require_corporation()
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            result = intake.report_signal(engine_context(), get_session(), actor(),
                                          _signal_from_form(request.form))
        except InvalidInput as invalid:
            get_session().rollback()
            errors = {_INPUT_OF.get(k, k): v for k, v in invalid.errors.items()}
        else:
            commit()
            if result.created:
                flash(_("Melding ontvangen: casus %(number)s is aangemaakt.",
                        number=result.case_number), "success")
            else:
                flash(_("Deze huurder was al gemeld onder casus %(number)s.",
                        number=result.case_number), "info")
            return htmx.redirect_to(f"/cases/{result.case_number}")
    return render_template("portal/report.html", errors=errors, values=request.form), \
        422 if errors else 200


@bp.route("/portal/upload", methods=["GET", "POST"])
@login_required
def upload() -> Any:
    """A small file is reported at once; a large one is processed as a job in the background
    (``engine.chain.signal_batches``) and its page (``upload_job``) shows progress, then results."""
    _require_corporation()
    results: list[intake.RowResult] | None = None
    error = None
    if request.method == "POST":
        file = request.files.get("file")
        raw = file.read(MAX_UPLOAD + 1) if file else b""
        if not raw:
            error = _("Kies een CSV-bestand.")
        elif len(raw) > MAX_UPLOAD:
            error = _("Het bestand is groter dan 5 MB.")
        else:
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("cp1252", errors="replace")
            try:
                rows = intake.parse_csv(text)
                if len(rows) <= signal_batches.SYNC_ROWS:
                    results = signal_batches.report_batch(engine_context(), actor(), rows)
                else:
                    job_id = signal_batches.submit(engine_context(), actor(), rows)
                    signal_batches.start(engine_context(), job_id)
                    return htmx.redirect_to(f"/portal/upload/{job_id}")
            except InvalidInput as invalid:
                error = "; ".join(f"{k}: {v}" for k, v in invalid.errors.items())
    counts = intake.batch_counts(results or [])
    return render_template("portal/upload.html", results=results, error=error,
                           counts=counts, columns=list(intake.CSV_COLUMNS)), \
        422 if error else 200


@bp.get("/portal/upload/<job_id>")
@login_required
def upload_job(job_id: str) -> Any:
    _require_corporation()
    job = signal_batches.status(engine_context(), get_session(), actor(), job_id)
    if job.items is None:
        flash(_("Het bestand wordt verwerkt: %(processed)d van %(total)d regels klaar. "
                "Vernieuw deze pagina om de voortgang te zien.",
                processed=job.processed, total=job.total), "info")
    elif job.status == "interrupted":
        flash(_("De verwerking is afgebroken na %(processed)d van %(total)d regels. Upload "
                "het bestand opnieuw: regels die al gemeld zijn, worden niet dubbel gemeld.",
                processed=job.processed, total=job.total), "error")
    return render_template("portal/upload.html", results=job.items, error=None,
                           counts=intake.batch_counts(job.items or []),
                           columns=list(intake.CSV_COLUMNS))
