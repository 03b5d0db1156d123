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


def test_token_list_and_revoke(tmp_path: Path) -> None:
    assert _run(tmp_path, "init", "--no-deploy").returncode == 0
    assert _run(tmp_path, "user", "add", "anna", "--role", "social_team", "--org", "dordrecht",
                "--password-stdin", stdin="een-lang-wachtwoord\n").returncode == 0
    machine = _run(tmp_path, "token", "create", "--org", "woonbron", "--label", "koppeling")
    personal = _run(tmp_path, "token", "create", "--user", "anna")
    secrets = [machine.stdout.strip(), personal.stdout.strip()]

    listed = _run(tmp_path, "token", "list")
    assert listed.returncode == 0, listed.stderr
    assert not any(secret in listed.stdout for secret in secrets)
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert rows[0][:5] == ["id", "kind", "whom", "created", "revoked"]
    assert [(r[1], r[2], r[4], r[5]) for r in rows[1:]] == [
        ("org", "woonbron", "no", "koppeling"), ("user", "anna", "no", "")]

    revoked = _run(tmp_path, "token", "revoke", rows[1][0])
    assert revoked.returncode == 0, revoked.stderr
    assert "woonbron" in revoked.stdout
    after = [line.split("\t") for line in _run(tmp_path, "token", "list").stdout.splitlines()]
    assert [r[4] for r in after[1:]] == ["yes", "no"]

    for missing in ("999", "99999999999999999999"):
        unknown = _run(tmp_path, "token", "revoke", missing)
        assert unknown.returncode == 1 and "Traceback" not in unknown.stderr
        assert missing in unknown.stderr

    deactivated = _run(tmp_path, "user", "deactivate", "anna")
    assert deactivated.returncode == 0 and "anna" in deactivated.stdout
    nobody = _run(tmp_path, "user", "deactivate", "niemand")
    assert nobody.returncode == 1 and "niemand" in nobody.stderr


def test_export_ddas(tmp_path: Path) -> None:
    """`ketenflow export ddas`: the delivery to a file or standard output; wrong input is one
    Dutch line naming the option and exit status 2, never a traceback."""
    import json

    assert _run(tmp_path, "init", "--no-deploy").returncode == 0
    target = tmp_path / "levering.json"
    written = _run(tmp_path, "export", "ddas", "--from", "2026-01-01", "--to", "2026-03-31",
                   "--municipality", "sliedrecht", "--output", str(target))
    assert written.returncode == 0, written.stderr
    assert written.stdout == ""
    content = json.loads(target.read_text(encoding="utf-8"))
    assert [lv["gemeentecode"] for lv in content["leveringen"]] == ["0610"]
    assert (content["startdatumLevering"], content["einddatumLevering"]) == \
        ("2026-01-01", "2026-03-31")
    assert "0 signalen, 0 zaken" in written.stderr

    printed = _run(tmp_path, "export", "ddas", "--from", "2026-01-01", "--to", "2026-01-31")
    assert printed.returncode == 0, printed.stderr
    assert len(json.loads(printed.stdout)["leveringen"]) == 6

    for args, line in [
        (("--from", "2026-13-01", "--to", "2026-01-31"),
         "fout: --from: '2026-13-01' is geen geldige datum (JJJJ-MM-DD)"),
        (("--from", "2026-02-01", "--to", "2026-01-31"),
         "fout: --to: de einddatum ligt vóór de begindatum"),
        (("--from", "2026-01-01", "--to", "2026-01-31", "--municipality", "rotterdam"),
         "fout: --municipality: 'rotterdam' is geen gemeente die u kunt exporteren (kies uit: "
         "dordrecht, zwijndrecht, hendrik-ido-ambacht, papendrecht, sliedrecht, alblasserdam)"),
        (("--from", "2026-01-01", "--to", "2026-01-31", "--output",
          str(tmp_path / "nergens" / "x.json")),
         f"fout: --output: kan {tmp_path / 'nergens' / 'x.json'} niet schrijven (de map "
         "bestaat niet, is niet schrijfbaar, of het is een map)"),
    ]:
        refused = _run(tmp_path, "export", "ddas", *args)
        assert refused.returncode == 2, (args, refused.stderr)
        assert refused.stderr.strip() == line and refused.stdout == ""
    missing = _run(tmp_path, "export", "ddas", "--from", "2026-01-01")
    assert missing.returncode == 2 and "--to" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_figures_rebuild_and_fold(tmp_path: Path) -> None:
    assert _run(tmp_path, "init", "--no-deploy").returncode == 0
    rebuilt = _run(tmp_path, "figures", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout.strip() == "figures rebuilt from 0 cases"
    folded = _run(tmp_path, "figures", "fold")
    assert folded.returncode == 0 and folded.stdout.strip() == "0 queued changes folded"
