"""The chain of eviction prevention on top of the generic engine: cases, intake, case file,
its need-to-know policy and the demo year.

The engine imports nothing of this package; every entry point that builds an engine context
installs the chain on it with ``install``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.context import EngineContext

NAME = "engine.chain"


def install(ctx: EngineContext) -> EngineContext:
    """Plug the chain into ``ctx``: its policy becomes the engine's need-to-know, the case read
    model follows every step, every step queues its case for the managers' figures (the
    worker folds them in), a completed task's record is kept, and searches understand case
    numbers, postcodes and names. Installing twice changes nothing. Returns ``ctx``."""
    from engine.chain import (
        case_file,
        cases,
        figures,
        households,
        policy,
        referral_packages,
        retention,
    )
    from engine.sandbox import script_runtime

    policy.install()
    script_runtime.install_helpers("engine.chain.script_helpers")
    if ctx.hooks.installed == NAME:
        return ctx
    ctx.hooks.after_step.append(cases.after_step)
    ctx.hooks.after_step.append(figures.after_step)
    ctx.hooks.periodic.append(figures.fold)
    ctx.hooks.after_completion.append(case_file.record_completion)
    ctx.hooks.after_completion.append(referral_packages.after_completion)
    ctx.hooks.case_search = cases.search_filter
    ctx.hooks.closed_cases = households.ClosedCaseEvents()
    ctx.hooks.daily_jobs[retention.DAILY_JOB] = retention.daily
    ctx.hooks.installed = NAME
    return ctx
