"""Deploying bundles: validate, hash, store once, and find the definition to start."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.orm import Session

from engine.access import Actor, may_deploy
from engine.bundles import BundleFile, validate_bundle
from engine.context import EngineContext
from engine.errors import BundleInvalid, BundleProblem, NotAllowed, NotFound
from engine.models import Deployment, DeploymentFile, ProcessDefinition
from engine.serialization import dump_spec
from engine.views import DeploymentView, ProcessView

BUNDLE_SUFFIXES = (".bpmn", ".dmn", ".json")


def read_folder(path: str | Path) -> list[BundleFile]:
    """The bundle files under a folder (or one file), named relative to it."""
    root = Path(path)
    if root.is_file():
        return [BundleFile(root.name, root.read_bytes())]
    if not root.is_dir():
        raise BundleInvalid([BundleProblem(str(path), "no such file or folder")])
    return [BundleFile(p.relative_to(root).as_posix(), p.read_bytes())
            for p in sorted(root.rglob("*")) if p.is_file() and p.suffix in BUNDLE_SUFFIXES]


def deploy(ctx: EngineContext, session: Session, actor: Actor,
           files: list[BundleFile], change_note: str | None = None) -> DeploymentView:
    """Validate and store a bundle as the next version.

    Deploying a bundle identical to the newest version stores nothing and returns that
    version (``new`` False), so ``ketenflow init`` can run on every start.

    :raise BundleInvalid: every problem, naming file, element and line.
    """
    if not may_deploy(actor):
        raise NotAllowed("only process owners deploy process versions")
    bad = [f.name for f in files if not f.name.endswith(BUNDLE_SUFFIXES)]
    if bad:
        raise BundleInvalid([BundleProblem(n, "unsupported file type (use .bpmn, .dmn or "
                                              ".json)") for n in bad])
    validated = validate_bundle(files, ctx.settings.max_file_bytes)
    latest = session.scalars(select(Deployment).order_by(Deployment.version.desc())
                             .limit(1)).first()
    if latest is not None and latest.bundle_sha256 == validated.sha256:
        return _view(session, latest, new=False)
    version = (latest.version if latest else 0) + 1
    deployment = Deployment(version=version, bundle_sha256=validated.sha256,
                            created_at=ctx.clock.now(), created_by=actor.username,
                            change_note=(change_note or "").strip()[:2000] or None)
    session.add(deployment)
    session.flush()
    for f in validated.files:
        session.add(DeploymentFile(deployment_id=deployment.id, name=f.name, sha256=f.sha256,
                                   content=f.content))
    for p in validated.processes:
        session.add(ProcessDefinition(
            deployment_id=deployment.id, process_id=p.process_id, name=p.name,
            file_name=p.file_name, spec_json=dump_spec(p.spec, p.subprocess_specs),
            start_messages=p.start_messages, has_none_start=p.has_none_start,
            forms=p.forms))
    session.flush()
    return _view(session, deployment, new=True)


def deploy_path(ctx: EngineContext, session: Session, actor: Actor,
                path: str | Path, change_note: str | None = None) -> DeploymentView:
    return deploy(ctx, session, actor, read_folder(path), change_note)


def list_deployments(session: Session) -> list[DeploymentView]:
    rows = session.scalars(select(Deployment).order_by(Deployment.version.desc())).all()
    return [_view(session, d) for d in rows]


def _view(session: Session, deployment: Deployment, new: bool = True) -> DeploymentView:
    files = session.scalars(select(DeploymentFile.name).where(
        DeploymentFile.deployment_id == deployment.id).order_by(DeploymentFile.name)).all()
    definitions = session.scalars(select(ProcessDefinition).where(
        ProcessDefinition.deployment_id == deployment.id)
        .order_by(ProcessDefinition.process_id)).all()
    return DeploymentView(
        id=deployment.id, version=deployment.version, sha256=deployment.bundle_sha256,
        created_at=deployment.created_at, created_by=deployment.created_by, files=list(files),
        processes=[ProcessView(d.process_id, d.name, d.file_name, list(d.start_messages),
                               d.has_none_start) for d in definitions],
        new=new)


_LATEST_DEFINITION = (select(ProcessDefinition).join(Deployment)
                      .where(ProcessDefinition.process_id == bindparam("process_id"))
                      .order_by(Deployment.version.desc()).limit(1))


def latest_definition(session: Session, process_id: str) -> ProcessDefinition:
    """The newest deployed definition of ``process_id``.

    :raise NotFound: no deployment has that process.
    """
    definition = session.scalars(_LATEST_DEFINITION, {"process_id": process_id}).first()
    if definition is None:
        raise NotFound(f"no deployed process with id '{process_id}'")
    return definition


def _live(*columns: Any) -> Select[Any]:
    """``columns`` of the newest definition of every deployed process: each process id in
    the newest deployment that contains it, most recently deployed first."""
    newest = (select(ProcessDefinition.process_id,
                     func.max(Deployment.version).label("version"))
              .join(Deployment).group_by(ProcessDefinition.process_id).subquery())
    return (select(*columns).select_from(ProcessDefinition).join(Deployment)
            .join(newest, and_(newest.c.process_id == ProcessDefinition.process_id,
                               newest.c.version == Deployment.version))
            .order_by(Deployment.version.desc(), ProcessDefinition.process_id))


def live_definitions(session: Session) -> list[ProcessDefinition]:
    """The definition in service of every deployed process (see ``_live``).

    A bundle with one process replaces that process only; the others stay in service.
    """
    return list(session.scalars(_live(ProcessDefinition)))


def live_definition_ids(session: Session) -> list[int]:
    """The ids of the definitions in service (see ``_live``)."""
    return list(session.scalars(_live_ids()))


@lru_cache(maxsize=1)
def _live_ids() -> Select[Any]:
    return _live(ProcessDefinition.id)


@lru_cache(maxsize=1)
def _live_start_messages() -> Select[Any]:
    """``_live`` of the ids and start messages, built once (every message looks it up)."""
    return _live(ProcessDefinition.id, ProcessDefinition.start_messages)


def definition_for_start_message(session: Session, name: str) -> ProcessDefinition | None:
    """The live definition that a message called ``name`` starts, if any (when several do,
    the most recently deployed). Reads only the start-message lists, then the one found."""
    for definition_id, start_messages in session.execute(_live_start_messages()):
        if name in start_messages:
            return session.get(ProcessDefinition, definition_id)
    return None
