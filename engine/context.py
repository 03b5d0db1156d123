"""The assembled engine: settings, database, clock, script sandbox and spec cache.

Each entry point (web app, worker, CLI, tests) builds one ``EngineContext`` with
``build_context`` and passes it to the service functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import Clock, SystemClock
from engine.db import make_engine, make_sessionmaker
from engine.sandbox.scripting import SandboxEnvironment, SandboxScriptEngine, ScriptHost
from engine.settings import EngineSettings
from engine.specs import SpecCache
from engine.workflow_cache import WorkflowCache


@dataclass
class EngineContext:
    settings: EngineSettings
    db: Engine
    sessionmaker: sessionmaker[Session]
    clock: Clock
    scripts: ScriptHost
    script_engine: SandboxScriptEngine
    specs: SpecCache = field(default_factory=SpecCache)
    workflows: WorkflowCache = field(default_factory=lambda: WorkflowCache(0))
    #: called at the end of every saved step with (ctx, session, instance, workflow, ready
    #: human tasks); read models that follow the process (a case's milestone) hook in here.
    step_hooks: list[Callable[..., None]] = field(default_factory=list)

    def close(self) -> None:
        self.scripts.close()
        self.db.dispose()


def build_context(settings: EngineSettings, clock: Clock | None = None,
                  db: Engine | None = None, scripts: ScriptHost | None = None) -> EngineContext:
    """Assemble the engine; pass ``db`` or ``scripts`` to share them (tests, benchmark)."""
    engine = db or make_engine(settings.database_url)
    host = scripts or ScriptHost(settings.script_timeout_seconds, settings.script_memory_mb,
                                 settings.max_task_data_bytes)
    from engine.chain import cases  # the case read model follows every step

    return EngineContext(
        step_hooks=[cases.after_step],
        workflows=WorkflowCache(settings.workflow_cache_size),
        settings=settings,
        db=engine,
        sessionmaker=make_sessionmaker(engine),
        clock=clock or SystemClock(),
        scripts=host,
        script_engine=SandboxScriptEngine(environment=SandboxEnvironment(host)),
    )
