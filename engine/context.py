"""The assembled engine: settings, database, clock, script sandbox and spec cache.

Each entry point (web app, worker, CLI, tests) builds one ``EngineContext`` with
``build_context``, lets the domain on top install itself (``engine.chain.install``: its
need-to-know policy and its ``ChainHooks``) and passes it to the service functions. The engine
calls the domain only through those hooks, so it imports nothing of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine.change_notices import change_notices
from engine.clock import Clock, SystemClock
from engine.db import make_engine, make_sessionmaker
from engine.definition_cache import LatestDefinitions
from engine.sandbox.scripting import SandboxEnvironment, SandboxScriptEngine, ScriptHost
from engine.settings import EngineSettings
from engine.specs import SpecCache
from engine.token_cache import TokenCache
from engine.workflow_cache import WorkflowCache

if TYPE_CHECKING:
    from engine.access import Actor
    from engine.models import HumanTask, ProcessInstance


class StepHook(Protocol):
    """Called at the end of every saved step with the instance row, the workflow after the
    step and its ready human tasks: read models that follow the process (a case's
    milestone) hook in here."""

    def __call__(self, ctx: EngineContext, session: Session, row: ProcessInstance,
                 workflow: Any, ready: list[Any], /) -> None: ...


class CompletionHook(Protocol):
    """Called once a person's completion of ``task`` has been stepped, with the validated form
    data, the workflow after the step and the deployment of its spec (to keep what was
    recorded)."""

    def __call__(self, ctx: EngineContext, session: Session, actor: Actor, task: HumanTask,
                 instance: ProcessInstance, data: dict[str, Any], workflow: Any,
                 deployment_id: int, /) -> None: ...


class CaseSearch(Protocol):
    """A filter on the ``Case`` table for what a search box's text means (a case number, a
    postcode, a name), written for ``dialect`` (each has its own index for it)."""

    def __call__(self, query: str, dialect: str, /) -> Any: ...


def _case_number_prefix(query: str, dialect: str, /) -> Any:
    """Without a domain installed, a search matches case numbers by prefix."""
    from engine.models import Case
    from engine.search import starts_with

    return starts_with(Case.case_number, query.strip().upper())


class DailyJob(Protocol):
    """A job the worker runs once a day (whatever the number of workers): the retention
    purge hooks in here. Returns a short summary for the log."""

    def __call__(self, ctx: EngineContext, /) -> Any: ...


class ClosedCaseEvents(Protocol):
    """How the domain treats a message about a case it has closed: a legal event reopens the
    household's file as a new linked case (``engine.chain.households``)."""

    def follow(self, session: Session, case: Any, /) -> Any:
        """The newest case of ``case``'s reopen chain (``case`` itself when never reopened)."""

    def reopens(self, name: str, /) -> bool:
        """Whether message ``name`` for a closed case opens a new one."""

    def reopen(self, ctx: EngineContext, session: Session, closed: Any, name: str,
               payload: dict[str, Any], username: str | None, /) -> tuple[Any, dict[str, Any]]:
        """The new linked case and the payload its process starts with."""


@dataclass
class ChainHooks:
    """Where the domain on top of the engine plugs in; ``engine.chain.install`` fills it."""

    after_step: list[StepHook] = field(default_factory=list)
    after_completion: list[CompletionHook] = field(default_factory=list)
    case_search: CaseSearch = _case_number_prefix
    #: None: a message for a closed case is kept like any other
    closed_cases: ClosedCaseEvents | None = None
    #: name -> job the worker runs once a day (``engine.worker.run_daily_jobs``)
    daily_jobs: dict[str, DailyJob] = field(default_factory=dict)
    #: work the worker does every round besides the timers (the figures' fold); each returns
    #: how much it did
    periodic: list[Callable[[EngineContext], int]] = field(default_factory=list)
    #: the name of what installed the hooks (installing twice is a no-op)
    installed: str | None = None


@dataclass
class EngineContext:
    settings: EngineSettings
    db: Engine
    sessionmaker: sessionmaker[Session]
    clock: Clock
    scripts: ScriptHost
    script_engine: SandboxScriptEngine
    #: bearer tokens already looked up by this process (kept on PostgreSQL only)
    tokens: TokenCache
    #: the deployed definitions the hot paths ask for (kept on PostgreSQL only)
    definitions: LatestDefinitions
    specs: SpecCache = field(default_factory=SpecCache)
    workflows: WorkflowCache = field(default_factory=lambda: WorkflowCache(0))
    hooks: ChainHooks = field(default_factory=ChainHooks)

    def close(self) -> None:
        self.scripts.close()
        self.tokens.notices.close()   # the definitions' cache listens through the same
        self.db.dispose()


def build_context(settings: EngineSettings, clock: Clock | None = None,
                  db: Engine | None = None, scripts: ScriptHost | None = None) -> EngineContext:
    """Assemble the engine; pass ``db`` or ``scripts`` to share them (tests, benchmark). The
    caller installs the domain on it (``engine.chain.install``)."""
    engine = db or make_engine(settings.database_url)
    notices = change_notices(engine)  # one listener per database engine, shared by contexts
    host = scripts or ScriptHost(settings.script_timeout_seconds, settings.script_memory_mb,
                                 settings.max_task_data_bytes)
    return EngineContext(
        workflows=WorkflowCache(settings.workflow_cache_size,
                                int(settings.workflow_cache_mb * 1024 * 1024)),
        settings=settings,
        db=engine,
        sessionmaker=make_sessionmaker(engine),
        tokens=TokenCache(notices),
        definitions=LatestDefinitions(notices),
        clock=clock or SystemClock(),
        scripts=host,
        script_engine=SandboxScriptEngine(environment=SandboxEnvironment(host)),
    )
