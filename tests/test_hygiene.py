"""What a fresh machine and an operator need (issue 13, item 6): exact dev tools and a Python
lockfile that ``make install`` uses, PostgreSQL's driver as an extra with a clear error without
it, a README that names every prerequisite, a compose file of one image, and ``seed-demo``
refusing to run beside a live timer loop."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from engine.db import make_engine
from engine.errors import ConfigurationError
from engine.models import WorkerHeartbeat
from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
README = (ROOT / "README.md").read_text()


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _lock() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"requirements.lock: {line!r} is not pinned with =="
            pins[_name(name)] = version.strip()
    return pins


def test_dev_tools_are_pinned_exactly_and_as_locked() -> None:
    lock = _lock()
    dev = [r for r in PYPROJECT["project"]["optional-dependencies"]["dev"]
           if not r.startswith("ketenflow")]
    assert {"pytest", "mypy", "ruff"} <= {_name(r) for r in dev}
    for requirement in dev:
        name, _, version = requirement.partition("==")
        assert version, f"{requirement} is not pinned exactly"
        assert lock[_name(name)] == version, f"{name}: pyproject {version}, lock {lock[name]}"


def test_every_dependency_is_in_the_lockfile() -> None:
    lock = _lock()
    extras = PYPROJECT["project"]["optional-dependencies"]
    wanted = PYPROJECT["project"]["dependencies"] + extras["postgres"] + extras["dev"]
    assert [r for r in wanted if _name(r) not in lock and _name(r) != "ketenflow"] == []
    assert "ketenflow" not in lock  # the project itself is installed with --no-deps


def test_make_install_uses_the_lockfile() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet --disable-pip-version-check -r requirements.lock" in makefile
    assert "--no-deps -e ." in makefile
    assert re.search(r"^lock:", makefile, re.M)


def test_psycopg_is_an_extra() -> None:
    assert not [r for r in PYPROJECT["project"]["dependencies"] if _name(r) == "psycopg"]
    assert [_name(r) for r in PYPROJECT["project"]["optional-dependencies"]["postgres"]] == \
        ["psycopg"]
    assert "ketenflow[postgres]" in PYPROJECT["project"]["optional-dependencies"]["dev"]


def test_a_postgresql_url_without_psycopg_says_what_to_install() -> None:
    probe = ("import sys; sys.modules['psycopg'] = None\n"  # as if it were not installed
             "from engine.db import make_engine\n"
             "make_engine('postgresql+psycopg://kf@127.0.0.1/kf')\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert "ConfigurationError" in result.stderr
    assert "pip install 'ketenflow[postgres]'" in result.stderr
    assert "KETENFLOW_DATABASE_URL" in result.stderr


def test_a_postgresql_url_without_a_driver_is_refused_plainly() -> None:
    with pytest.raises(ConfigurationError, match="postgresql\\+psycopg://"):
        make_engine("postgresql://kf@127.0.0.1/kf")


def test_readme_names_every_prerequisite_and_the_run_overrides() -> None:
    for needed in ("Python 3.11", "Node", "npm", "esbuild", "Chromium", "PostgreSQL",
                   "make run HOST=", "PORT=", "make lock", "requirements.lock",
                   "ketenflow[postgres]", "KETENFLOW_METRICS_TOKEN", "/metrics",
                   "/api/v1/ready", "pg_dump", "docker compose", "PROMETHEUS_MULTIPROC_DIR",
                   "X-Request-Id"):
        assert needed in README, needed


def test_compose_runs_postgres_web_and_a_worker_of_one_image() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "web", "worker"}
    web, worker = services["web"], services["worker"]
    assert web["build"] == worker["build"] == "."
    assert web["image"] == worker["image"]
    assert worker["command"] == ["worker"]
    assert "ketenflow serve" in " ".join(web["entrypoint"])
    assert web["environment"]["KETENFLOW_EMBEDDED_WORKER"] == "false"
    url = web["environment"]["KETENFLOW_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://") and "@db/" in url
    assert services["db"]["image"].startswith("postgres:")
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements.lock" in dockerfile
    assert 'ENTRYPOINT ["ketenflow"]' in dockerfile


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT),
            "KETENFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'seed.db'}",
            "KETENFLOW_PROCESSES_DIR": str(ROOT / "processes"),
            "KETENFLOW_WORKER_INTERVAL_SECONDS": "0.5"}


def test_seed_demo_beside_a_running_worker_says_it_must_run_first(tmp_path: Path) -> None:
    env = _env(tmp_path)
    cli = [sys.executable, "-m", "webui.cli"]
    subprocess.run([*cli, "init"], env=env, cwd=tmp_path, check=True, capture_output=True,
                   timeout=120)
    worker = subprocess.Popen([*cli, "worker"], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = make_engine(env["KETENFLOW_DATABASE_URL"])
    try:
        deadline = time.monotonic() + 60
        with db.connect() as connection:
            while not connection.scalar(select(func.count()).select_from(WorkerHeartbeat)):
                assert time.monotonic() < deadline, "the worker never beat"
                time.sleep(0.2)
        seeded = subprocess.run([*cli, "seed-demo", "--signals", "20", "--days", "10"],
                                env=env, cwd=tmp_path, capture_output=True, text=True,
                                timeout=300)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        db.dispose()
    assert seeded.returncode == 1
    assert "seed-demo moet eerst" in seeded.stderr
    assert "someone else changed this" not in seeded.stderr
