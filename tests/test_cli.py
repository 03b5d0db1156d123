"""The `ketenflow` command as an operator uses it: init, deploy (refused and accepted),
user add, token create."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.bpmn_builder import FORM, script_process
from tests.factories import BPMN


def _run(tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KETENFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    return subprocess.run([sys.executable, "-m", "webui.cli", *args], input=stdin, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_cli_round_trip(tmp_path: Path) -> None:
    assert _run(tmp_path, "init", "--no-deploy").returncode == 0

    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "probe.bpmn").write_bytes(script_process("import os\nx = open('/etc/passwd')"))
    (evil / "check.json").write_bytes(FORM)
    refused = _run(tmp_path, "deploy", str(evil))
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert lines == ["probe.bpmn:17 [attack]: script: import is not allowed in scripts",
                     "probe.bpmn:18 [attack]: script: 'open' is not available in scripts"]
    assert "Traceback" not in refused.stderr

    accepted = _run(tmp_path, "deploy", str(BPMN / "review"))
    assert accepted.returncode == 0, accepted.stderr
    assert "version 1" in accepted.stdout

    added = _run(tmp_path, "user", "add", "anna", "--role", "social_team", "--org",
                 "dordrecht", "--password-stdin", stdin="een-lang-wachtwoord\n")
    assert added.returncode == 0, added.stderr
    token = _run(tmp_path, "token", "create", "--user", "anna")
    assert token.returncode == 0 and token.stdout.startswith("kf_")
    unknown = _run(tmp_path, "token", "create", "--org", "nowhere")
    assert unknown.returncode == 1 and "nowhere" in unknown.stderr
