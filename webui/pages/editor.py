"""The process owners' editor: drafts of the chain's process files, the BPMN modeler, saving as
you go (a stale save is a 409 with a Dutch message), download and upload of a draft as a zip
bundle, one file (a diagram, table or form) uploaded into a draft, the publish gate (bundle
checks and every scenario in an isolated database), a second owner's approval, and publishing
with a change note. Only holders of ``EDIT_PROCESSES`` reach any of it; everyone else gets 403
before anything is looked up."""

from __future__ import annotations

import json
import posixpath
from typing import Any

from flask import Blueprint, Response, abort, flash, jsonify, render_template, request
from flask_babel import gettext as _

from engine import access, chain, drafts
from engine.access import EDIT_PROCESSES
from engine.bundles import BundleFile
from engine.errors import BundleInvalid, Conflict, InvalidInput, NotAllowed
from webui import htmx
from webui.auth import login_required
from webui.db import commit, engine_context, get_session
from webui.pages import actor

bp = Blueprint("editor", __name__)


def _require() -> None:
    if not access.may(actor(), EDIT_PROCESSES):
        abort(403)


def _revision(raw: str | None) -> int:
    try:
        return int((raw or "").strip().strip('"'))
    except ValueError:
        raise InvalidInput({"revision": _("de revisie waarop u werkte ontbreekt")}) from None


@bp.get("/editor")
@login_required
def index() -> Any:
    _require()
    return render_template("editor/index.html", drafts=drafts.list_drafts(get_session(),
                                                                         actor()))


@bp.post("/editor/drafts")
@login_required
def create() -> Any:
    _require()
    ctx, session, who = engine_context(), get_session(), actor()
    upload = request.files.get("bundle")
    try:
        files = drafts.read_bundle(ctx, upload.read()) if upload and upload.filename else None
        draft = drafts.create(ctx, session, who, request.form.get("title", ""), files)
    except InvalidInput as invalid:
        session.rollback()
        return render_template("editor/index.html", errors=invalid.errors,
                               title=request.form.get("title", ""),
                               drafts=drafts.list_drafts(session, who)), 422
    commit()
    flash(_("Concept %(title)s aangemaakt.", title=draft.title), "success")
    return htmx.redirect_to(f"/editor/drafts/{draft.id}")


@bp.get("/editor/drafts/<int:draft_id>")
@login_required
def show(draft_id: int) -> Any:
    _require()
    return render_template("editor/draft.html",
                           draft=drafts.get(get_session(), actor(), draft_id))


@bp.get("/editor/drafts/<int:draft_id>/edit/<path:name>")
@login_required
def edit(draft_id: int, name: str) -> Any:
    _require()
    draft = drafts.get(get_session(), actor(), draft_id)
    if name not in draft.files or not name.endswith(".bpmn"):
        abort(404)
    return render_template("editor/edit.html", draft=draft, name=name,
                           roles=json.dumps(list(access.caseworker_lanes())))


@bp.get("/editor/drafts/<int:draft_id>/files/<path:name>")
@login_required
def read(draft_id: int, name: str) -> Any:
    _require()
    content = drafts.read_file(get_session(), actor(), draft_id, name)
    mimetype = "application/json" if name.endswith(".json") else "application/xml"
    return Response(content, mimetype=mimetype)


@bp.put("/editor/drafts/<int:draft_id>/files/<path:name>")
@login_required
def save(draft_id: int, name: str) -> Any:
    _require()
    ctx, session, who = engine_context(), get_session(), actor()
    try:
        revision = drafts.save_file(ctx, session, who, draft_id, name, request.get_data(),
                                    _revision(request.headers.get("If-Match")))
    except (Conflict, InvalidInput) as error:
        session.rollback()
        status = 409 if isinstance(error, Conflict) else 422
        return jsonify({"error": error.message}), status
    commit()
    return jsonify({"revision": revision})


@bp.get("/editor/drafts/<int:draft_id>/bundle.zip")
@login_required
def download(draft_id: int) -> Any:
    _require()
    content = drafts.bundle(get_session(), actor(), draft_id)
    return Response(content, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="concept-{draft_id}.zip"'})


@bp.post("/editor/drafts/<int:draft_id>/bundle")
@login_required
def upload(draft_id: int) -> Any:
    _require()
    ctx, session, who = engine_context(), get_session(), actor()
    found = request.files.get("bundle")
    try:
        if found is None or not found.filename:
            raise InvalidInput({"bundle": _("kies een zip-bestand met de procesbestanden")})
        drafts.upload(ctx, session, who, draft_id, found.read(),
                      _revision(request.form.get("revision")))
    except (Conflict, InvalidInput) as error:
        session.rollback()
        return _draft_page(draft_id, error), 409 if isinstance(error, Conflict) else 422
    commit()
    flash(_("Bundel geladen in het concept."), "success")
    return htmx.redirect_to(f"/editor/drafts/{draft_id}")


@bp.post("/editor/drafts/<int:draft_id>/files")
@login_required
def add_files(draft_id: int) -> Any:
    """One diagram (or table, or form) uploaded on its own, or a few: added to the draft or
    replacing the file of the same name, in the folder given."""
    _require()
    ctx, session, who = engine_context(), get_session(), actor()
    folder = request.form.get("folder", "").strip().strip("/")
    limit = ctx.settings.max_file_bytes
    try:
        files = []
        for found in request.files.getlist("files"):
            if not found.filename:
                continue
            name = posixpath.basename(found.filename.replace("\\", "/"))
            name = f"{folder}/{name}" if folder else name
            with found.stream:  # a big upload is spooled to a temporary file: closed here
                content = found.read(limit + 1)  # at most one byte past the limit in memory
            if len(content) > limit:
                raise InvalidInput({"file": _("'%(name)s' is groter dan de grens van "
                                              "%(limit)d bytes", name=name, limit=limit)})
            files.append(BundleFile(name, content))
        drafts.add_files(ctx, session, who, draft_id, files,
                         _revision(request.form.get("revision")))
    except (Conflict, InvalidInput) as error:
        session.rollback()
        return _draft_page(draft_id, error), 409 if isinstance(error, Conflict) else 422
    commit()
    flash(_("%(count)d bestand(en) toegevoegd aan het concept: %(names)s.", count=len(files),
            names=", ".join(f.name for f in files)), "success")
    return htmx.redirect_to(f"/editor/drafts/{draft_id}")


@bp.get("/editor/drafts/<int:draft_id>/gate")
@login_required
def gate(draft_id: int) -> Any:
    _require()
    draft = drafts.get(get_session(), actor(), draft_id)
    return render_template("editor/gate.html", draft=draft, report=drafts.gate_report(draft),
                           approval=engine_context().settings.publish_approval,
                           me=actor().username, authors=drafts.authors(draft))


@bp.post("/editor/drafts/<int:draft_id>/gate")
@login_required
def run_gate(draft_id: int) -> Any:
    """Runs synchronously (tens of seconds); the button shows "bezig" until the page returns."""
    _require()
    ctx, session, who = engine_context(), get_session(), actor()
    try:
        drafts.run_gate(ctx, session, who, draft_id, _revision(request.form.get("revision")),
                        chain.install)
    except (Conflict, InvalidInput) as error:
        session.rollback()
        return _draft_page(draft_id, error), 409 if isinstance(error, Conflict) else 422
    commit()
    return htmx.redirect_to(f"/editor/drafts/{draft_id}/gate")


@bp.post("/editor/drafts/<int:draft_id>/approve")
@login_required
def approve(draft_id: int) -> Any:
    _require()
    ctx, session, who = engine_context(), get_session(), actor()
    try:
        drafts.approve(ctx, session, who, draft_id, _revision(request.form.get("revision")))
    except NotAllowed as refused:
        session.rollback()
        return _draft_page(draft_id, refused), 403
    except (Conflict, InvalidInput) as error:
        session.rollback()
        return _draft_page(draft_id, error), 409 if isinstance(error, Conflict) else 422
    commit()
    flash(_("Concept goedgekeurd."), "success")
    return htmx.redirect_to(f"/editor/drafts/{draft_id}/gate")


@bp.post("/editor/drafts/<int:draft_id>/scenario")
@login_required
def save_scenario(draft_id: int) -> Any:
    """A scenario typed in the browser: checked, then saved into the draft as a file."""
    _require()
    ctx, session, who = engine_context(), get_session(), actor()
    name = request.form.get("name", "").strip()
    try:
        if not name or not all(c.isalnum() or c in "_-" for c in name):
            raise InvalidInput({"name": _("de naam bestaat uit letters, cijfers, - en _")})
        drafts.save_file(ctx, session, who, draft_id, f"scenarios/{name}.json",
                         request.form.get("content", "").encode(),
                         _revision(request.form.get("revision")))
    except (Conflict, InvalidInput) as error:
        session.rollback()
        return _draft_page(draft_id, error), 409 if isinstance(error, Conflict) else 422
    commit()
    flash(_("Scenario %(name)s opgeslagen.", name=name), "success")
    return htmx.redirect_to(f"/editor/drafts/{draft_id}")


@bp.post("/editor/drafts/<int:draft_id>/publish")
@login_required
def publish(draft_id: int) -> Any:
    _require()
    ctx, session, who = engine_context(), get_session(), actor()
    try:
        deployed = drafts.publish(ctx, session, who, draft_id,
                                  _revision(request.form.get("revision")),
                                  request.form.get("change_note", ""))
    except BundleInvalid as invalid:
        session.rollback()
        return _draft_page(draft_id, problems=invalid.problems), 422
    except (Conflict, InvalidInput) as error:
        session.rollback()
        return _draft_page(draft_id, error), 409 if isinstance(error, Conflict) else 422
    commit()
    flash(_("Concept gepubliceerd als versie %(version)d.", version=deployed.version),
          "success")
    return htmx.redirect_to(f"/editor/drafts/{draft_id}")


def _draft_page(draft_id: int, error: Exception | None = None,
                problems: list[Any] | None = None) -> str:
    message = getattr(error, "message", None)
    if isinstance(error, InvalidInput):
        message = "; ".join(error.errors.values())
    return render_template("editor/draft.html", error=message, problems=problems or [],
                           draft=drafts.get(get_session(), actor(), draft_id))
