"""Fresh bench databases: a SQLite file in a temporary folder, or a recreated PostgreSQL db."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

PG_ENV = ("KETENFLOW_BENCH_PG_URL", "KETENFLOW_TEST_DATABASE_URL")
DEFAULT_PG_NAME = "ketenflow_bench"


@dataclass(frozen=True)
class Target:
    """One database kind the bench runs on."""

    kind: str          # "sqlite" or "postgresql"
    label: str         # "SQLite", "PostgreSQL"
    pg_url: str | None = None


def targets(skip_pg: bool = False) -> list[Target]:
    found = [Target("sqlite", "SQLite")]
    if skip_pg:
        return found
    for name in PG_ENV:
        url = os.environ.get(name)
        if url:
            found.append(Target("postgresql", "PostgreSQL", url))
            break
    return found


def fresh_url(target: Target, purpose: str, workdir: Path) -> str:
    """A URL of an empty database for ``purpose`` (``engine`` or ``http``)."""
    if target.kind == "sqlite":
        path = workdir / f"bench-{purpose}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    assert target.pg_url is not None
    url = make_url(target.pg_url)
    # KETENFLOW_TEST_DATABASE_URL names the test database: never drop that one.
    base = url.database if url.database and "bench" in url.database else DEFAULT_PG_NAME
    name = f"{base}_{purpose}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def backend_cpu_seconds(db: Engine) -> float:
    """CPU seconds (``bench.http_path.cpu_seconds``) of the client backends now connected to
    ``db``'s database; 0 on SQLite. For reads, whose cost is all in the backends that answer
    them: the cluster's background processes (autovacuum after a fill) are left out."""
    if db.dialect.name != "postgresql":
        return 0.0
    from bench.http_path import cpu_seconds

    with db.connect() as connection:
        pids = connection.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend'")).scalars().all()
    return sum(cpu_seconds(pid) for pid in pids)


def server_cpu_seconds(db: Engine) -> float:
    """CPU seconds (``bench.http_path.cpu_seconds``) of the whole PostgreSQL server behind
    ``db`` so far; 0 on SQLite, whose work is done inside the calling process.

    Every process of the cluster counts: the backends, and the WAL writer, checkpointer and
    autovacuum workers that the writes keep busy. A process that ended meanwhile (an
    autovacuum worker) is still counted: the postmaster's ``cutime``/``cstime`` hold its
    children's CPU once they exit. The server must run on this machine and serve nothing but
    the bench while it measures."""
    if db.dialect.name != "postgresql":
        return 0.0
    from bench.http_path import children, cpu_seconds, stat_fields

    postmaster = _postmaster_pid(db)
    fields = stat_fields(postmaster)
    exited = (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")  # cutime, cstime
    return cpu_seconds(postmaster) + exited + sum(cpu_seconds(pid)
                                                  for pid in children(postmaster))


_POSTMASTERS: dict[str, int] = {}


def _postmaster_pid(db: Engine) -> int:
    """The pid of the PostgreSQL server behind ``db``, asked once per database: asking on
    every reading would put a query of the bench's own inside the window it measures."""
    key = db.url.render_as_string(hide_password=True)
    if key not in _POSTMASTERS:
        from bench.http_path import stat_fields

        with db.connect() as connection:
            backend = int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())
        _POSTMASTERS[key] = int(stat_fields(backend)[1])
    return _POSTMASTERS[key]


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="ketenflow-bench-"))
