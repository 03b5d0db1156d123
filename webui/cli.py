"""The ``ketenflow`` command: init, serve, worker, deploy, user add/deactivate, token
create/list/revoke, seed-demo, figures rebuild/fold."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NoReturn

import click

from engine import chain, deployments, users
from engine.access import SYSTEM
from engine.chain.policy import ROLES
from engine.context import EngineContext, build_context
from engine.errors import BundleInvalid, EngineError
from engine.schema import upgrade
from engine.settings import EngineSettings
from engine.views import DeploymentView


def _context() -> EngineContext:
    settings = EngineSettings.from_env()
    if settings.database_url.startswith("sqlite:///"):
        from pathlib import Path
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True,
                                                                             exist_ok=True)
    return chain.install(build_context(settings))


@contextmanager
def _engine() -> Iterator[EngineContext]:
    """The engine context of one command; an engine error ends the command with exit 1."""
    ctx = _context()
    try:
        yield ctx
    except EngineError as error:
        _fail(error)
    finally:
        ctx.close()


def _prepare(ctx: EngineContext, deploy: bool = True) -> tuple[int, DeploymentView | None]:
    """Database up to date, organisations loaded and, with ``deploy``, processes/ deployed;
    returns the organisations added and the deployment."""
    upgrade(ctx.db)
    with ctx.sessionmaker.begin() as session:
        added = users.ensure_organisations(session)
        view = (deployments.deploy_path(ctx, session, SYSTEM, ctx.settings.processes_dir)
                if deploy else None)
    return added, view


def _fail(error: EngineError) -> NoReturn:
    if isinstance(error, BundleInvalid):
        for problem in error.problems:
            click.echo(str(problem), err=True)
    else:
        click.echo(f"error: {error.message}", err=True)
    sys.exit(1)


@click.group()
def main() -> None:
    """Ketenflow: the Drechtsteden eviction-prevention chain as executable BPMN."""


@main.command()
@click.option("--no-deploy", is_flag=True, help="Only create or upgrade the database.")
def init(no_deploy: bool) -> None:
    """Create or upgrade the database, load the organisations, deploy processes/."""
    with _engine() as ctx:
        added, view = _prepare(ctx, deploy=not no_deploy)
        click.echo(f"database ready ({added} organisations added)")
        if view is not None:
            state = "deployed as" if view.new else "unchanged, still"
            click.echo(f"{ctx.settings.processes_dir}: {state} version {view.version} "
                       f"({len(view.processes)} processes, {len(view.files)} files)")


@main.command()
@click.argument("path")
def deploy(path: str) -> None:
    """Validate and deploy a bundle (a folder or a file)."""
    with _engine() as ctx, ctx.sessionmaker.begin() as session:
        view = deployments.deploy_path(ctx, session, SYSTEM, path)
    state = "deployed as" if view.new else "unchanged, still"
    click.echo(f"{path}: {state} version {view.version}: "
               + ", ".join(p.process_id for p in view.processes))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=None, type=int,
              help="gunicorn workers (default: KETENFLOW_WEB_WORKERS, else 2)")
def serve(host: str, port: int, workers: int | None) -> None:
    """Serve the web app and API (gunicorn); runs the timer loop in-process by default."""
    from webui.config import DEFAULTS
    from webui.server import serve as run

    settings = EngineSettings.from_env()
    configured = os.environ.get("KETENFLOW_WEB_WORKERS") or DEFAULTS["WEB_WORKERS"]
    run(host, port, workers or int(configured), settings)


@main.command()
def worker() -> None:
    """Run the timer loop as its own process (production)."""
    from engine.worker import run_forever

    stop = threading.Event()

    def on_signal(*_args: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with _engine() as ctx:
        click.echo(f"timer loop running every {ctx.settings.worker_interval_seconds:g} s")
        run_forever(ctx, stop)


@main.group()
def user() -> None:
    """Manage users."""


@user.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--org", "org_slug", required=True, help="organisation slug, e.g. dordrecht")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@click.option("--name", "display_name", default=None)
def user_add(username: str, role: str, org_slug: str, password_stdin: bool,
             display_name: str | None) -> None:
    """Add a user (or change an existing one's role, organisation and password)."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _engine() as ctx, ctx.sessionmaker.begin() as session:
        users.add_user(ctx, session, username, role, org_slug, password, display_name)
    click.echo(f"user {username} ({role}, {org_slug}) saved")


@user.command("deactivate")
@click.argument("username")
def user_deactivate(username: str) -> None:
    """Deactivate a user: signed out everywhere, no sign-in and no personal token works."""
    with _engine() as ctx, ctx.sessionmaker.begin() as session:
        users.deactivate_user(ctx, session, username)
    click.echo(f"user {username} deactivated")


@main.group()
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@click.option("--org", "org_slug", default=None, help="a corporation's machine token")
@click.option("--user", "username", default=None, help="a personal token for this user")
@click.option("--label", default="")
def token_create(org_slug: str | None, username: str | None, label: str) -> None:
    """Create a token; it is printed once and only its hash is stored."""
    with _engine() as ctx, ctx.sessionmaker.begin() as session:
        created = users.create_token(ctx, session, org_slug=org_slug, username=username,
                                     label=label)
    click.echo(created.token)


@token.command("list")
def token_list() -> None:
    """Every token: id, kind (org/user), whom, created, revoked; never the token itself."""
    with _engine() as ctx, ctx.sessionmaker() as session:
        views = users.list_tokens(session)
    click.echo("id\tkind\twhom\tcreated\trevoked\tlabel")
    for view in views:
        click.echo(f"{view.id}\t{view.kind}\t{view.whom}\t"
                   f"{view.created_at.isoformat(timespec='seconds')}\t"
                   f"{'yes' if view.revoked else 'no'}\t{view.label}")


@token.command("revoke")
@click.argument("token_id", type=int)
def token_revoke(token_id: int) -> None:
    """Revoke a token by its id (see ``token list``); it stops working at once."""
    with _engine() as ctx, ctx.sessionmaker.begin() as session:
        view = users.revoke_token(session, token_id)
    click.echo(f"token {view.id} ({view.kind} {view.whom}) revoked")


@main.command("seed-demo")
@click.option("--seed", default=1, show_default=True, type=int, help="random seed")
@click.option("--signals", default=1800, show_default=True, type=int,
              help="arrears signals to report")
@click.option("--days", default=365, show_default=True, type=int,
              help="days the signals are spread over")
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="last day of the period (default: yesterday); the same seed and period "
                   "give the same cases")
def seed_demo(seed: int, signals: int, days: int, until: datetime | None) -> None:
    """Demo users and a realistic period of synthetic cases, driven through the engine."""
    from engine.chain import figures
    from engine.chain.demo_cases import has_demo_cases, seed_year

    with _engine() as ctx:
        _prepare(ctx)
        if has_demo_cases(ctx):
            click.echo("demo cases already present; nothing seeded")
            return
        result = seed_year(ctx, seed=seed, signals=signals, days=days,
                           until=until.date() if until else None)
        for line in result.lines():
            click.echo(line)
        figures.fold_all(ctx)  # the managers' figures include the demo at once


@main.group("figures")
def figures_group() -> None:
    """The managers' figures (cockpit, GET /api/v1/stats)."""


@figures_group.command("rebuild")
def figures_rebuild() -> None:
    """Count every case anew (existing data, or after the figures' rules changed); run it
    with the worker stopped: a fold during the rebuild would count its cases twice."""
    from engine.chain import figures

    with _engine() as ctx:
        upgrade(ctx.db)
        counted = figures.rebuild(ctx)
        click.echo(f"figures rebuilt from {counted} cases")


@figures_group.command("fold")
def figures_fold() -> None:
    """Fold the queued case changes into the figures now (the worker does this every round)."""
    from engine.chain import figures

    with _engine() as ctx:
        click.echo(f"{figures.fold_all(ctx)} queued changes folded")


if __name__ == "__main__":
    main()
