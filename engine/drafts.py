"""Drafts of the chain's process files: edited on the server, invisible to cases until published.

A draft starts from the live version's files (or from an uploaded bundle), is saved as the
process owner edits it, and is published by deploying its files through the normal deploy path
with all its checks, once the publish gate (``engine.gate``: the bundle checks and every
scenario in an isolated database) passed for the revision and a second process owner approved
it (``publish_approval``). Every save names the revision it started from; a save on a stale revision
is a ``Conflict`` that says who saved in between, so two owners never overwrite each other
silently (the revision is bumped with a conditional UPDATE, atomic on SQLite and PostgreSQL).
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import access
from engine.access import EDIT_PROCESSES, Actor
from engine.bundles import BundleFile, parse_xml
from engine.context import EngineContext
from engine.deployments import BUNDLE_SUFFIXES, deploy, read_folder
from engine.errors import BundleInvalid, Conflict, InvalidInput, NotAllowed, NotFound
from engine.form_schemas import is_form_file, read_form
from engine.gate import GateReport, Install
from engine.gate import run_gate as run_gate_on
from engine.models import Deployment, DeploymentFile, Draft, DraftFile, Event
from engine.scenario_format import ScenarioFormatError, is_scenario_file
from engine.scenario_format import parse as parse_scenario
from engine.views import DeploymentView

OPEN, PUBLISHED = "open", "published"
#: An uploaded bundle holds at most this many files.
MAX_FILES = 200


@dataclass(frozen=True)
class DraftView:
    id: int
    title: str
    base_version: int | None
    revision: int
    state: str
    published_version: int | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    files: list[str]
    gate_revision: int | None = None
    gate_passed: bool | None = None
    gate_report: dict[str, Any] | None = None
    gate_by: str | None = None
    approved_revision: int | None = None
    approved_by: str | None = None

    @property
    def gate_current(self) -> bool:
        """The gate ran on this revision and passed."""
        return self.gate_revision == self.revision and bool(self.gate_passed)

    @property
    def approved(self) -> bool:
        return self.approved_revision == self.revision and bool(self.approved_by)

    @property
    def is_open(self) -> bool:
        return self.state == OPEN

    def edits_in_browser(self, name: str) -> bool:
        """The file has an editor in the browser, and the draft is still open."""
        return self.is_open and editable(name)


def require_editor(actor: Actor) -> None:
    """:raise NotAllowed: ``actor`` does not edit process models."""
    if not access.may(actor, EDIT_PROCESSES):
        raise NotAllowed("alleen proceseigenaren bewerken concepten")


def _view(session: Session, draft: Draft) -> DraftView:
    names = session.scalars(select(DraftFile.name).where(DraftFile.draft_id == draft.id)
                            .order_by(DraftFile.name)).all()
    return DraftView(draft.id, draft.title, draft.base_version, draft.revision, draft.state,
                     draft.published_version, draft.created_at, draft.created_by,
                     draft.updated_at, draft.updated_by, list(names), draft.gate_revision,
                     draft.gate_passed, draft.gate_report, draft.gate_by,
                     draft.approved_revision, draft.approved_by)


def _draft(session: Session, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFound(f"concept {draft_id} bestaat niet")
    return draft


def live_files(ctx: EngineContext, session: Session) -> tuple[int | None, list[BundleFile]]:
    """The newest deployment's version and files; the repository's ``processes`` folder when
    nothing was deployed yet."""
    latest = session.scalars(select(Deployment).order_by(Deployment.version.desc())
                             .limit(1)).first()
    if latest is None:
        return None, read_folder(ctx.settings.processes_dir)
    rows = session.scalars(select(DeploymentFile).where(
        DeploymentFile.deployment_id == latest.id).order_by(DeploymentFile.name)).all()
    return latest.version, [BundleFile(row.name, row.content) for row in rows]


def create(ctx: EngineContext, session: Session, actor: Actor, title: str,
           files: list[BundleFile] | None = None) -> DraftView:
    """A new draft holding ``files``, or the live version's files when none are given."""
    require_editor(actor)
    title = title.strip()
    if not title:
        raise InvalidInput({"title": "geef het concept een naam"})
    if len(title) > 200:
        raise InvalidInput({"title": "de naam is langer dan 200 tekens"})
    base, live = live_files(ctx, session)
    chosen = live if files is None else files
    for f in chosen:
        _check_file(ctx, f.name, f.content)
    now = ctx.clock.now()
    draft = Draft(title=title, base_version=base, revision=1, state=OPEN, created_at=now,
                  created_by=actor.username, updated_at=now, updated_by=actor.username)
    session.add(draft)
    session.flush()
    for f in chosen:
        session.add(DraftFile(draft_id=draft.id, name=f.name, content=f.content))
    session.flush()
    return _view(session, draft)


def list_drafts(session: Session, actor: Actor) -> list[DraftView]:
    require_editor(actor)
    rows = session.scalars(select(Draft).order_by(Draft.updated_at.desc(), Draft.id.desc()))
    return [_view(session, d) for d in rows]


def get(session: Session, actor: Actor, draft_id: int) -> DraftView:
    require_editor(actor)
    return _view(session, _draft(session, draft_id))


def read_file(session: Session, actor: Actor, draft_id: int, name: str) -> bytes:
    require_editor(actor)
    _draft(session, draft_id)
    content = session.scalars(select(DraftFile.content).where(
        DraftFile.draft_id == draft_id, DraftFile.name == name)).first()
    if content is None:
        raise NotFound(f"het concept heeft geen bestand '{name}'")
    return content


def _check_name(name: str) -> None:
    if (not name or "\\" in name or name.startswith("/") or ".." in name.split("/")
            or len(name) > 300):
        raise InvalidInput({"file": f"'{name}' is geen geldige bestandsnaam (een relatief pad)"})
    if not name.endswith(BUNDLE_SUFFIXES):
        raise InvalidInput({"file": f"'{name}': alleen .bpmn-, .dmn- en .json-bestanden"})


def _check_file(ctx: EngineContext, name: str, content: bytes) -> None:
    """A draft may be incomplete (the lint and the publish checks say what is missing), but
    each file is a safe, well-formed file of its kind: a form one the inbox can draw."""
    _check_name(name)
    limit = ctx.settings.max_file_bytes
    if len(content) > limit:
        raise InvalidInput({"file": f"'{name}' is {len(content)} bytes; de grens is {limit}"})
    if name.endswith((".bpmn", ".dmn")):
        try:
            parse_xml(name, content, limit)
        except BundleInvalid as invalid:
            raise InvalidInput({"file": "; ".join(str(p) for p in invalid.problems)}) from None
    elif is_scenario_file(name):
        try:
            parse_scenario(content)
        except ScenarioFormatError as error:
            raise InvalidInput({"file": f"'{name}': {error}"}) from None
    elif is_form_file(name):
        problems = read_form(content)[1]
        if problems:
            raise InvalidInput({"file": f"'{name}': " + "; ".join(map(str, problems))})
    else:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput({"file": f"'{name}' is geen UTF-8-tekst"}) from None


def editable(name: str) -> bool:
    """The files the browser edits: diagrams, decision tables and task forms (scenarios have
    their own form on the draft's page)."""
    return name.endswith((".bpmn", ".dmn")) or is_form_file(name)


def _bump(ctx: EngineContext, session: Session, actor: Actor, draft_id: int,
          revision: int) -> int:
    """Claim the next revision, or raise ``Conflict`` when ``revision`` is stale."""
    draft = _draft(session, draft_id)
    if draft.state != OPEN:
        raise Conflict(f"concept {draft_id} is al gepubliceerd (versie "
                       f"{draft.published_version}) en kan niet meer worden gewijzigd")
    done = session.execute(
        update(Draft).where(Draft.id == draft_id, Draft.revision == revision,
                            Draft.state == OPEN)
        .values(revision=Draft.revision + 1, updated_at=ctx.clock.now(),
                updated_by=actor.username)
        .execution_options(synchronize_session=False))
    if getattr(done, "rowcount", 0) != 1:
        session.refresh(draft)
        raise Conflict(
            f"Het concept is intussen gewijzigd door {draft.updated_by} (revisie "
            f"{draft.revision}); u werkte op revisie {revision}. Uw wijziging is niet "
            f"opgeslagen: laad het concept opnieuw en breng de wijziging nogmaals aan.")
    session.refresh(draft)
    return draft.revision


def save_file(ctx: EngineContext, session: Session, actor: Actor, draft_id: int, name: str,
              content: bytes, revision: int) -> int:
    """Store one file of the draft (new or changed); returns the draft's new revision.

    :raise Conflict: ``revision`` is not the draft's current one (someone saved in between).
    """
    require_editor(actor)
    _check_file(ctx, name, content)
    new_revision = _bump(ctx, session, actor, draft_id, revision)
    row = session.scalars(select(DraftFile).where(DraftFile.draft_id == draft_id,
                                                  DraftFile.name == name)).first()
    if row is None:
        session.add(DraftFile(draft_id=draft_id, name=name, content=content))
    else:
        row.content = content
    session.flush()
    return new_revision


def add_files(ctx: EngineContext, session: Session, actor: Actor, draft_id: int,
              files: list[BundleFile], revision: int) -> int:
    """Add files to the draft, or replace those of the same name (a diagram, a table or a form
    uploaded on its own); all or none, in one new revision, which is returned.

    :raise InvalidInput: no file, or a file refused (named: file, and line for XML).
    :raise Conflict: ``revision`` is stale.
    """
    require_editor(actor)
    if not files:
        raise InvalidInput({"file": "kies een of meer .bpmn-, .dmn- of .json-bestanden"})
    if len(files) > MAX_FILES:
        raise InvalidInput({"file": f"{len(files)} bestanden; de grens is {MAX_FILES}"})
    for f in files:
        _check_file(ctx, f.name, f.content)
    new_revision = _bump(ctx, session, actor, draft_id, revision)
    for f in files:
        row = session.scalars(select(DraftFile).where(DraftFile.draft_id == draft_id,
                                                      DraftFile.name == f.name)).first()
        if row is None:
            session.add(DraftFile(draft_id=draft_id, name=f.name, content=f.content))
        else:
            row.content = f.content
    session.flush()
    return new_revision


def bundle(session: Session, actor: Actor, draft_id: int) -> bytes:
    """The draft's files as a zip (the bundle a deploy or an upload takes)."""
    require_editor(actor)
    _draft(session, draft_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for row in session.scalars(select(DraftFile).where(DraftFile.draft_id == draft_id)
                                   .order_by(DraftFile.name)):
            info = zipfile.ZipInfo(row.name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, row.content)
    return buffer.getvalue()


def read_bundle(ctx: EngineContext, content: bytes) -> list[BundleFile]:
    """The files of an uploaded zip: relative names, bundle file types, each within the size
    limit (read with that limit, so a zip bomb stops early). Folders are skipped.

    :raise InvalidInput: not a zip, too many files, or a file refused (named).
    """
    limit = ctx.settings.max_file_bytes
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise InvalidInput({"bundle": "het bestand is geen zip-bestand"}) from None
    infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > MAX_FILES:
        raise InvalidInput({"bundle": f"de zip bevat {len(infos)} bestanden; de grens is "
                                      f"{MAX_FILES}"})
    files: list[BundleFile] = []
    for info in infos:
        name = posixpath.normpath(info.filename) if info.filename else ""
        try:
            _check_name(info.filename)
        except InvalidInput as invalid:
            raise InvalidInput({"bundle": invalid.errors["file"]}) from None
        if info.file_size > limit:
            raise InvalidInput({"bundle": f"'{name}' is {info.file_size} bytes; de grens is "
                                          f"{limit}"})
        with archive.open(info) as stream:
            data = stream.read(limit + 1)
        if len(data) > limit:
            raise InvalidInput({"bundle": f"'{name}' is groter dan {limit} bytes"})
        try:
            _check_file(ctx, info.filename, data)
        except InvalidInput as invalid:
            raise InvalidInput({"bundle": invalid.errors["file"]}) from None
        files.append(BundleFile(info.filename, data))
    if not files:
        raise InvalidInput({"bundle": "de zip bevat geen .bpmn-, .dmn- of .json-bestanden"})
    return files


def upload(ctx: EngineContext, session: Session, actor: Actor, draft_id: int,
           content: bytes, revision: int) -> int:
    """Replace the draft's files by an uploaded bundle; returns the new revision.

    :raise Conflict: ``revision`` is stale.
    """
    require_editor(actor)
    files = read_bundle(ctx, content)
    new_revision = _bump(ctx, session, actor, draft_id, revision)
    for row in session.scalars(select(DraftFile).where(DraftFile.draft_id == draft_id)):
        session.delete(row)
    session.flush()
    for f in files:
        session.add(DraftFile(draft_id=draft_id, name=f.name, content=f.content))
    session.flush()
    return new_revision


def _files(session: Session, draft_id: int) -> list[BundleFile]:
    return [BundleFile(row.name, row.content) for row in session.scalars(
        select(DraftFile).where(DraftFile.draft_id == draft_id).order_by(DraftFile.name))]


def _current(session: Session, draft_id: int, revision: int) -> Draft:
    """The open draft at ``revision``; :raise Conflict: published, or changed since."""
    draft = _draft(session, draft_id)
    if draft.state != OPEN:
        raise Conflict(f"concept {draft_id} is al gepubliceerd als versie "
                       f"{draft.published_version}")
    if draft.revision != revision:
        raise Conflict(f"Het concept is intussen gewijzigd door {draft.updated_by} (revisie "
                       f"{draft.revision}); bekijk het opnieuw.")
    return draft


def gate_report(draft: DraftView) -> GateReport | None:
    return None if draft.gate_report is None else GateReport.from_json(draft.gate_report)


def run_gate(ctx: EngineContext, session: Session, actor: Actor, draft_id: int,
             revision: int, install: Install) -> GateReport:
    """Run the publish gate (``engine.gate``) on the draft at ``revision`` and keep the
    report on the draft; a later save makes it stale (it names its revision)."""
    require_editor(actor)
    draft = _current(session, draft_id, revision)
    report = run_gate_on(ctx, _files(session, draft_id), install)
    draft.gate_revision, draft.gate_passed = revision, report.passed
    draft.gate_report, draft.gate_by = report.to_json(), actor.username
    draft.gate_at = ctx.clock.now()
    session.flush()
    return report


def authors(draft: Draft | DraftView) -> set[str]:
    """Who made the draft what it is: they never approve it."""
    return {draft.created_by, draft.updated_by}


def approve(ctx: EngineContext, session: Session, actor: Actor, draft_id: int,
            revision: int) -> None:
    """A second process owner approves the draft at ``revision`` (whose gate passed).

    :raise NotAllowed: ``actor`` wrote the draft. :raise Conflict: stale, or no passing gate.
    """
    require_editor(actor)
    draft = _current(session, draft_id, revision)
    if actor.username in authors(draft):
        raise NotAllowed("u heeft dit concept zelf gemaakt of gewijzigd: een andere "
                         "proceseigenaar keurt het goed")
    _require_gate(draft)
    draft.approved_revision, draft.approved_by = revision, actor.username
    draft.approved_at = ctx.clock.now()
    session.flush()


def _require_gate(draft: Draft) -> None:
    if draft.gate_revision != draft.revision or not draft.gate_passed:
        raise Conflict("De poort is voor deze revisie nog niet geslaagd: start de controle "
                       "(bundel en alle scenario's) en los op wat faalt.")


def publish(ctx: EngineContext, session: Session, actor: Actor, draft_id: int,
            revision: int, change_note: str = "") -> DeploymentView:
    """Deploy the draft's files through the deploy path and its checks; the draft is then
    read-only. Publishes exactly the revision the owner saw, and only when the gate passed
    for it and (unless ``publish_approval`` is off) a second owner approved it. The publish
    is an event naming the author, the approver and the change note.

    :raise BundleInvalid: every problem the checks found (file, element, line).
    :raise Conflict: stale, published already, no passing gate, or not approved.
    """
    require_editor(actor)
    draft = _current(session, draft_id, revision)
    _require_gate(draft)
    approver = None
    if ctx.settings.publish_approval:
        if draft.approved_revision != revision or not draft.approved_by:
            raise Conflict("Een tweede proceseigenaar moet deze revisie eerst goedkeuren.")
        approver = draft.approved_by
    note = change_note.strip()
    if not note:
        raise InvalidInput({"change_note": "beschrijf de wijziging (de wijzigingsnotitie)"})
    author = draft.updated_by
    deployed = deploy(ctx, session, actor, _files(session, draft_id), note)
    _bump(ctx, session, actor, draft_id, revision)
    draft.state = PUBLISHED
    draft.published_version = deployed.version
    session.add(Event(instance_id=None, at=ctx.clock.now(), kind="process_published",
                      actor=actor.username, detail={
                          "version": deployed.version, "draft_id": draft_id,
                          "author": author, "approver": approver, "publisher": actor.username,
                          "change_note": note}))
    session.flush()
    return deployed
