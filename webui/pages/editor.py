"""The process owners' editor: drafts of the chain's process files, the BPMN modeler, the
decision-table editor (dmn-js), task forms as JSON Schema with a preview drawn by the inbox's
own renderer, saving as you go (a stale save is a 409 with a Dutch message), download and
upload of a draft as a zip bundle, one file (a diagram, table or form) uploaded into a draft,
the publish gate (bundle checks and every scenario in an isolated database), a second owner's
approval, and publishing with a change note. Only holders of ``EDIT_PROCESSES`` reach any of
it; everyone else gets 403 before anything is looked up."""

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
from engine.form_schemas import SchemaProblem, is_form_file, read_form
from webui import forms, htmx, security_headers
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
    """The editor for the file's kind: a diagram, a decision table or a task form."""
    _require()
    session, who = get_session(), actor()
    draft = drafts.get(session, who, draft_id)
    if name not in draft.files or not drafts.editable(name):
        abort(404)
    if name.endswith(".dmn"):
        security_headers.allow_style_attributes(security_headers.DMN_WATERMARK_STYLES)
        return render_template("editor/edit_dmn.html", draft=draft, name=name)
    if is_form_file(name):
        source = drafts.read_file(session, who, draft_id, name).decode("utf-8", "replace")
        return render_template("editor/edit_form.html", draft=draft, name=name,
                               source=source, **_preview(source.encode()))
    return render_template("editor/edit.html", draft=draft, name=name,
                           roles=json.dumps(list(access.caseworker_lanes())))


def _preview(content: bytes) -> dict[str, Any]:
    """What the preview shows of a form file: its problems (each with its path), or the
    schema drawn by the inbox's own renderer (``webui.forms`` and ``tasks/_fields.html``)."""
    limit = engine_context().settings.max_file_bytes
    if len(content) > limit:
        return {"schema": None, "fields": [], "problems": [SchemaProblem(
            "(bestand)", f"is {len(content)} bytes; de grens is {limit}")]}
    schema, problems = read_form(content)
    if problems or schema is None:
        return {"schema": None, "fields": [], "problems": problems}
    return {"schema": schema, "fields": forms.fields(schema), "problems": []}


@bp.post("/editor/drafts/<int:draft_id>/preview/<path:name>")
@login_required
def preview(draft_id: int, name: str) -> Any:
    """The form as the inbox would draw it, from the text in the editor (not saved): always
    200, the problems of the schema are part of the answer."""
    _require()
    draft = drafts.get(get_session(), actor(), draft_id)
    if name not in draft.files or not is_form_file(name):
        abort(404)
    shown = _preview(request.get_data())
    answer = Response(render_template("editor/_form_preview.html", **shown))
    answer.headers["X-Form-Valid"] = "false" if shown["problems"] else "true"
    return answer
#: Draft files a process owner edits as text in the browser (diagrams have the modeler).
TEXT_FILES = (".json", ".dmn")


def _text_file(draft: drafts.DraftView, name: str) -> None:
    if name not in draft.files or not name.endswith(TEXT_FILES):
        abort(404)


@bp.get("/editor/drafts/<int:draft_id>/text/<path:name>")
@login_required
def text(draft_id: int, name: str) -> Any:
    """A scenario, form or decision table of the draft as text to read and change."""
    _require()
    session, who = get_session(), actor()
    draft = drafts.get(session, who, draft_id)
    _text_file(draft, name)
    content = drafts.read_file(session, who, draft_id, name).decode("utf-8", "replace")
    return render_template("editor/text.html", draft=draft, name=name, content=content,
                           revision=draft.revision)


@bp.post("/editor/drafts/<int:draft_id>/text/<path:name>")
@login_required
def save_text(draft_id: int, name: str) -> Any:
    """Save the text: checked as any save of the draft (a scenario's format, a decision
    table's XML); a refusal shows the page again with the text kept and the error naming the
    file and the step or line at fault."""
    _require()
    ctx, session, who = engine_context(), get_session(), actor()
    _text_file(drafts.get(session, who, draft_id), name)
    content = request.form.get("content", "")
    revision = request.form.get("revision", "")
    try:
        drafts.save_file(ctx, session, who, draft_id, name, content.encode(),
                         _revision(revision))
    except (Conflict, InvalidInput) as error:
        session.rollback()
        message = ("; ".join(error.errors.values()) if isinstance(error, InvalidInput)
                   else error.message)
        return render_template("editor/text.html", draft=drafts.get(session, who, draft_id),
                               name=name, content=content, revision=revision,
                               error=message), 409 if isinstance(error, Conflict) else 422
    commit()
    flash(_("%(name)s opgeslagen.", name=name), "success")
    return htmx.redirect_to(f"/editor/drafts/{draft_id}")


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
