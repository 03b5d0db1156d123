"""The process owners' workspace: the chain's process models, their versions, decision
tables and forms; the diff of two versions; the migration of running cases to a new version.
Process owners see no households: case numbers and counts only.

Reading is ``READ_PROCESSES`` (process owners, managers, administrators); migrating is
``EDIT_PROCESSES`` (process owners only).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request
from flask_babel import gettext as _

from engine import access, process_catalogue, process_diff, process_migration
from engine.access import EDIT_PROCESSES
from engine.chain.policy import READ_PROCESSES
from engine.errors import InvalidInput
from webui.auth import login_required
from webui.db import engine_context, get_session
from webui.pages import actor

bp = Blueprint("processes", __name__)


def require(capability: str) -> None:
    """Refuse (403) who lacks ``capability``: the workspace is for some roles only."""
    if not access.may(actor(), capability):
        abort(403)


def _version(name: str, default: int | None) -> int | None:
    """A version number from the query string (``a``, ``b``, ``version``)."""
    raw = request.values.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or len(raw) > 9:
        raise InvalidInput({name: _("moet een versienummer zijn")})
    return int(raw)


@bp.get("/processes")
@login_required
def index() -> str:
    require(READ_PROCESSES)
    return render_template("processes/index.html",
                           processes=process_catalogue.list_processes(get_session()))


@bp.get("/processes/<process_id>")
@login_required
def detail(process_id: str) -> str:
    require(READ_PROCESSES)
    page = process_catalogue.process_page(get_session(), process_id,
                                          _version("version", None))
    return render_template("processes/detail.html", page=page,
                           live=page.versions[0].version)


@bp.get("/processes/<process_id>/versions/<int:version>/diagram.bpmn")
@login_required
def diagram(process_id: str, version: int) -> Response:
    require(READ_PROCESSES)
    content = process_catalogue.diagram(get_session(), process_id, version)
    return Response(content, mimetype="application/xml")


def _pair(process_id: str) -> tuple[list[process_catalogue.VersionRow], int, int]:
    """The process's versions and the two chosen (default: the live version and the version
    before it)."""
    rows = process_catalogue.versions(get_session(), process_id)
    numbers = [r.version for r in rows]
    b = _version("b", numbers[0])
    a = _version("a", numbers[1] if len(numbers) > 1 else numbers[0])
    assert a is not None and b is not None
    for name, value in (("a", a), ("b", b)):
        if value not in numbers:
            raise InvalidInput({name: _("versie %(version)d van dit proces bestaat niet",
                                        version=value)})
    return rows, a, b


@bp.get("/processes/<process_id>/compare")
@login_required
def compare(process_id: str) -> str:
    require(READ_PROCESSES)
    session = get_session()
    rows, a, b = _pair(process_id)
    old = process_catalogue.process_files(
        session, process_catalogue.definition_at(session, process_id, a))
    new = process_catalogue.process_files(
        session, process_catalogue.definition_at(session, process_id, b))
    diff = process_diff.diff_process(old, new, process_id)
    markers = diff.markers()
    return render_template(
        "processes/compare.html", process_id=process_id, rows=rows, a=a, b=b, diff=diff,
        name=next((r for r in rows if r.version == b), rows[0]),
        markers_a={k: v for k, v in markers.items() if v in ("removed", "changed")},
        markers_b={k: v for k, v in markers.items() if v in ("added", "changed")},
        kinds=[("timer", _("Timers")), ("script", _("Scripts")),
               ("condition", _("Voorwaarden")), ("form", _("Formulieren")),
               ("decision", _("Beslistabellen")), ("message", _("Berichten")),
               ("lane", _("Rollen (lanes)")), ("call", _("Aangeroepen processen"))])


@bp.get("/processes/<process_id>/migrate")
@login_required
def migrate(process_id: str) -> str:
    require(EDIT_PROCESSES)
    rows, a, b = _pair(process_id)
    plan = None
    if a < b:
        plan = process_migration.dry_run(engine_context(), get_session(), actor(), process_id,
                                         a, b)
    return render_template("processes/migrate.html", process_id=process_id, rows=rows, a=a,
                           b=b, plan=plan)


@bp.post("/processes/<process_id>/migrate")
@login_required
def start_migration(process_id: str) -> Any:
    require(EDIT_PROCESSES)
    _rows, a, b = _pair(process_id)
    raw = request.form.getlist("instance")
    if not all(v.isdigit() and len(v) < 12 for v in raw):
        raise InvalidInput({"instance": _("onbekende zaak gekozen")})
    job_id = process_migration.submit(engine_context(), actor(), process_id, a, b,
                                      [int(v) for v in raw])
    process_migration.start(engine_context(), job_id)
    return redirect(f"/processes/{process_id}/migrate/{job_id}", code=303)


@bp.get("/processes/<process_id>/migrate/<job_id>")
@login_required
def migration_job(process_id: str, job_id: str) -> str:
    require(EDIT_PROCESSES)
    job = process_migration.status(engine_context(), get_session(), actor(), job_id)
    if job.process_id != process_id:
        abort(404)
    return render_template("processes/job.html", process_id=process_id, job=job)
