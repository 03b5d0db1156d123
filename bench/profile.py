"""Where the engine path's time goes: ``python -m bench.profile [--pg] [-n 200]``.

Runs engine-path lifecycles (as in ``bench.run``) under cProfile and prints the functions
with the most cumulative and own time, then the SQL statements of one lifecycle, step by step.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys

from bench import databases
from bench.engine_path import EnginePath

#: (label, file suffix, function name): cumulative time of these, per lifecycle.
COMPONENTS = (
    ("engine.tasks.complete_task (2 per lifecycle)", "engine/tasks.py", "complete_task"),
    ("engine.instances.start_instance", "engine/instances.py", "start_instance"),
    ("engine.inbox.inbox (2 per lifecycle)", "engine/inbox.py", "inbox"),
    ("engine.runtime.step (3 per lifecycle)", "engine/runtime.py", "step"),
    ("engine.runtime.save", "engine/runtime.py", "save"),
    ("engine.runtime._run (do_engine_steps)", "engine/runtime.py", "_run"),
    ("  ScriptHost.run (sandbox round trip)", "engine/sandbox/scripting.py", "run"),
    ("  SandboxScriptEngine.evaluate (conditions)", "engine/sandbox/scripting.py", "evaluate"),
    ("engine.serialization.dump_workflow", "engine/serialization.py", "dump_workflow"),
    ("engine.serialization.load_workflow", "engine/serialization.py", "load_workflow"),
    ("BpmnWorkflow.__init__ (new instance)", "SpiffWorkflow/bpmn/workflow.py", "__init__"),
    ("jsonschema validate (forms)", "engine/forms.py", "validate"),
    ("Session.flush (ORM unit of work)", "sqlalchemy/orm/session.py", "flush"),
    ("Session.execute/scalars (incl. autoflush)", "sqlalchemy/orm/session.py",
     "_execute_internal"),
    ("Session.get", "sqlalchemy/orm/session.py", "get"),
    ("Session.commit", "sqlalchemy/orm/session.py", "commit"),
    ("sessionmaker.begin context (begin+commit+close)", "sqlalchemy/orm/session.py",
     "_maker_context_manager"),
    ("SQL compile + cache key", "sqlalchemy/sql/cache_key.py", "_generate_cache_key"),
    ("DBAPI cursor.execute", "~", "<method 'execute' of 'sqlite3.Cursor' objects>"),
    ("DBAPI cursor.executemany", "~", "<method 'executemany' of 'sqlite3.Cursor' objects>"),
    ("DBAPI connection.commit", "~", "<method 'commit' of 'sqlite3.Connection' objects>"),
    ("psycopg cursor.execute", "psycopg/cursor.py", "execute"),
    ("psycopg cursor.executemany", "psycopg/cursor.py", "executemany"),
    ("psycopg connection.commit", "psycopg/connection.py", "commit"),
    ("json.dumps", "json/__init__.py", "dumps"),
    ("json.loads", "json/__init__.py", "loads"),
)


def breakdown(stats: pstats.Stats, n: int) -> list[str]:
    table = stats.stats  # type: ignore[attr-defined]
    lines = []
    for label, file_part, func in COMPONENTS:
        total = 0.0
        calls = 0
        for (file, _line, name), (_cc, nc, _tt, ct, _callers) in table.items():
            where = file.replace("\\", "/")
            if name == func and (where == "~" if file_part == "~" else file_part in where):
                total += ct
                calls += nc
        if calls:
            lines.append(f"  {label:<52} {total / n * 1000:7.2f} ms  ({calls / n:.1f} calls)")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("-n", type=int, default=200, help="profiled lifecycles")
    parser.add_argument("--pg", action="store_true", help="on PostgreSQL (KETENFLOW_BENCH_PG_URL)")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args(argv)
    targets = databases.targets()
    target = targets[-1] if args.pg else targets[0]
    if args.pg and target.kind != "postgresql":
        print("set KETENFLOW_BENCH_PG_URL", file=sys.stderr)
        return 2
    work = databases.workdir()
    bench = EnginePath(databases.fresh_url(target, "profile", work))
    try:
        bench.prepare()
        for _ in range(20):
            bench.lifecycle()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.n):
            bench.lifecycle()
        profiler.disable()
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats(order).print_stats(args.top)
            print(f"--- {target.label}: {args.n} lifecycles, by {order} ---")
            print(out.getvalue())
        print(f"--- {target.label}: cumulative ms per lifecycle (profiled, so inflated) ---")
        print("\n".join(breakdown(pstats.Stats(profiler), args.n)))
        print()
        bench.counter.keep, bench.counter.log = True, []
        times, counts, _ = bench.lifecycle()
        bench.counter.keep = False
        print(f"--- SQL of one lifecycle: {sum(counts.values())} statements ---")
        log = iter(bench.counter.log)
        for step, count in counts.items():
            print(f"[{step}] {times[step] * 1000:.2f} ms, {count} statements")
            while True:
                line = next(log, None)
                if line is None:
                    break
                print("   ", line[:220])
                if line == "COMMIT":
                    break
    finally:
        bench.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
