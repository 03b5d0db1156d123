"""`ketenflow deploy processes/` accepts the chain's bundle as it is, without any warning."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from engine import deployments
from engine.access import SYSTEM
from engine.context import EngineContext

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
PROCESS_IDS = ["arrears_case", "assessment_plan", "care_referral", "case_closure",
               "debt_assistance_referral", "help_track", "outreach", "payment_arrangement"]


def test_deploy_path_accepts_the_bundle_without_warnings(
        ctx: EngineContext, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ctx.sessionmaker.begin() as session:
            view = deployments.deploy_path(ctx, session, SYSTEM, PROCESSES)
    assert [str(w.message) for w in caught] == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []

    assert view.new and view.version == 1
    assert [p.process_id for p in view.processes] == PROCESS_IDS
    starts = {p.process_id: p.start_messages for p in view.processes}
    assert starts["arrears_case"] == ["arrears_signal"]
    assert all(not messages for pid, messages in starts.items() if pid != "arrears_case")
    on_disk = sorted(p.relative_to(PROCESSES).as_posix() for p in PROCESSES.rglob("*")
                     if p.suffix in (".bpmn", ".dmn", ".json"))
    assert view.files == on_disk
    assert len([f for f in on_disk if f.endswith(".bpmn")]) == 8

    with ctx.sessionmaker.begin() as session:  # the same bundle again stores nothing
        again = deployments.deploy_path(ctx, session, SYSTEM, PROCESSES)
    assert (again.new, again.version) == (False, 1)


def _ketenflow(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("ketenflow")
    command = [str(script)] if script.exists() else [
        sys.executable, "-c", "from webui.cli import main; main()"]
    return subprocess.run([*command, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_cli_deploy_processes_exits_cleanly(tmp_path: Path) -> None:
    env = {**os.environ, "KETENFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'kf.db'}",
           "PYTHONWARNINGS": "always"}
    env.pop("KETENFLOW_PROCESSES_DIR", None)
    init = _ketenflow("init", "--no-deploy", env=env)
    assert init.returncode == 0, init.stderr
    assert init.stderr == ""

    deployed = _ketenflow("deploy", "processes", env=env)
    assert deployed.returncode == 0, deployed.stderr
    assert deployed.stderr == ""
    assert "deployed as version 1" in deployed.stdout
    for process_id in PROCESS_IDS:
        assert process_id in deployed.stdout

    again = _ketenflow("deploy", "processes/", env=env)
    assert again.returncode == 0 and again.stderr == ""
    assert "unchanged, still version 1" in again.stdout
