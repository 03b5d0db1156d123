"""The publish gate: a draft's files are checked as any deploy checks them, deployed into an
isolated database (a temporary SQLite file, its own manual clock) and every scenario of the
draft (``scenarios/*.json``) is run there by ``engine.scenarios``; the report says per scenario
whether it passed (naming the failing step) and the coverage the scenarios reach.

Nothing touches the live database: the draft's processes are never seen by real cases. The
domain's install function (``engine.chain.install``) is passed in, so the engine core imports
nothing of the chain. The gate runs in the caller's thread (the web request waits, showing
"bezig"): a run of the chain's scenarios takes tens of seconds.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine import scenarios
from engine.access import SYSTEM
from engine.bundles import BundleFile
from engine.clock import ManualClock
from engine.context import EngineContext, build_context
from engine.deployments import deploy
from engine.errors import BundleInvalid
from engine.scenario_format import ScenarioFormatError
from engine.schema import upgrade
from engine.settings import EngineSettings
from engine.users import ensure_organisations

Install = Callable[[EngineContext], EngineContext]


@dataclass
class GateReport:
    """What a gate run found; stored on the draft as JSON (``to_json``/``from_json``)."""

    passed: bool
    problems: list[dict[str, Any]] = field(default_factory=list)
    scenarios: list[dict[str, Any]] = field(default_factory=list)
    coverage: str = ""
    missing: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GateReport:
        return cls(**data)


def run_gate(ctx: EngineContext, files: list[BundleFile], install: Install) -> GateReport:
    """Check, deploy and run every scenario of ``files`` in a fresh database."""
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="ketenflow-gate-") as folder:
        settings = EngineSettings(database_url=f"sqlite:///{Path(folder) / 'gate.db'}",
                                  processes_dir=ctx.settings.processes_dir,
                                  workflow_cache_size=0,
                                  max_file_bytes=ctx.settings.max_file_bytes,
                                  municipalities=ctx.settings.municipalities)
        clock = ManualClock(scenarios.utc(scenarios.DEFAULT_START))
        isolated = install(build_context(settings, clock=clock, scripts=ctx.scripts))
        try:
            report = _run(isolated, clock, files)
        finally:
            isolated.db.dispose()  # the script host is the caller's: not closed here
    report.seconds = round((datetime.now(UTC) - started).total_seconds(), 1)
    return report


def _run(ctx: EngineContext, clock: ManualClock, files: list[BundleFile]) -> GateReport:
    upgrade(ctx.db)
    with ctx.sessionmaker.begin() as session:
        ensure_organisations(session)
    try:
        with ctx.sessionmaker.begin() as session:
            deploy(ctx, session, SYSTEM, files)
        found = scenarios.load(files)
    except BundleInvalid as invalid:
        return GateReport(False, problems=[
            {"file": p.file, "element": p.element, "line": p.line, "message": p.message}
            for p in invalid.problems])
    except ScenarioFormatError as error:
        return GateReport(False, problems=[{"file": "scenarios", "element": None,
                                            "line": None, "message": str(error)}])
    if not found:
        return GateReport(False, problems=[{
            "file": "scenarios/", "element": None, "line": None,
            "message": "het concept heeft geen scenario's: zonder scenario's is er niets "
                       "bewezen"}])
    suite = scenarios.run_all(ctx, clock, found, files, prefix="GT")
    return GateReport(
        suite.passed,
        scenarios=[{"name": r.name, "title": r.title, "passed": r.passed,
                    "failure": r.failure, "steps": len(r.checks)} for r in suite.results],
        coverage=suite.coverage.summary(),
        missing=suite.coverage.missing_nodes[:50])
