"""A deploy never takes another process out of service: the start-message lookup covers the
newest definition of every deployed process, and intake fails loudly when no process starts
(issue 8, item 4)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import deployments
from engine.access import SYSTEM
from engine.context import EngineContext
from engine.errors import EngineError
from engine.models import Case, Deployment, Message, ProcessDefinition, ProcessInstance
from tests.casework import corporation, report
from tests.factories import deploy
from tests.processes.chain import deploy_chain


def _deploy_one_process(ctx: EngineContext, process_id: str, tmp_path: Path) -> int:
    """A bundle of one process of processes/, as a process owner would deploy it."""
    folder = tmp_path / process_id
    shutil.copytree(Path(ctx.settings.processes_dir) / process_id, folder)
    with ctx.sessionmaker.begin() as session:
        return deployments.deploy_path(ctx, session, SYSTEM, folder).version


def _version(session: Session, definition: ProcessDefinition) -> int:
    deployment = session.get(Deployment, definition.deployment_id)
    assert deployment is not None
    return deployment.version


def _instances(ctx: EngineContext, case_number: str) -> int:
    with ctx.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(ProcessInstance).where(
            ProcessInstance.business_key == case_number)) or 0


def test_a_signal_still_starts_the_chain_after_a_one_process_deploy(
        ctx: EngineContext, tmp_path: Path) -> None:
    deploy_chain(ctx)
    assert _deploy_one_process(ctx, "outreach", tmp_path) == 2
    result = report(ctx, corporation(ctx), external_id="WB-1")
    assert result.created
    assert _instances(ctx, result.case_number) == 1
    with ctx.sessionmaker() as session:
        statuses = session.scalars(select(Message.status)).all()
    assert statuses == ["started"]  # nothing pending for good


def test_each_process_is_served_by_the_newest_deployment_that_contains_it(
        ctx: EngineContext, tmp_path: Path) -> None:
    deploy_chain(ctx)
    _deploy_one_process(ctx, "outreach", tmp_path)
    with ctx.sessionmaker() as session:
        live = {d.process_id: _version(session, d)
                for d in deployments.live_definitions(session)}
    assert live["outreach"] == 2
    assert live["arrears_case"] == live["help_track"] == 1  # still in service


def test_a_start_message_starts_the_newest_version_of_its_process(ctx: EngineContext) -> None:
    deploy(ctx, "messages")  # v1: case_file, started by case_opened
    deploy(ctx, "intake")  # v2: the intake chain, started by arrears_signal
    assert deploy(ctx, "messages").version == 3  # case_file again, as a new version
    with ctx.sessionmaker() as session:
        opened = deployments.definition_for_start_message(session, "case_opened")
        signal = deployments.definition_for_start_message(session, "arrears_signal")
        assert opened is not None and _version(session, opened) == 3
        assert signal is not None and _version(session, signal) == 2
        assert deployments.definition_for_start_message(session, "tenant_moved") is None
    result = report(ctx, corporation(ctx), external_id="WB-2")
    assert _instances(ctx, result.case_number) == 1


def test_intake_fails_loudly_when_no_live_process_starts_a_case(ctx: EngineContext) -> None:
    deploy(ctx, "messages")  # a bundle without arrears_signal
    with pytest.raises(EngineError) as failed:
        report(ctx, corporation(ctx), external_id="WB-3")
    assert "arrears_signal" in failed.value.message
    with ctx.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0
        assert session.scalar(select(func.count()).select_from(Message)) == 0
