"""The ``ketenflow`` command: init, serve, worker, deploy, user add/deactivate, token
create/list/revoke, seed-demo, export ddas, figures rebuild/fold, purge, access-log verify."""

from __future__ import annotations

import gc
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NoReturn

import click

from engine import chain, deployments, heartbeat, logs, users
from engine.access import SYSTEM
from engine.chain.policy import ROLES
from engine.context import EngineContext, build_context
from engine.errors import BundleInvalid, Conflict, EngineError, InvalidInput
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
    """Serve the web app and API (gunicorn); on SQLite runs the timer loop in-process."""
    from webui.config import DEFAULTS
    from webui.server import serve as run

    _metrics_directory()
    logs.configure()
    settings = EngineSettings.from_env()
    configured = os.environ.get("KETENFLOW_WEB_WORKERS") or DEFAULTS["WEB_WORKERS"]
    run(host, port, workers or int(configured), settings)


@main.command()
def worker() -> None:
    """Run the timer loop as its own process (production; on PostgreSQL the only one, and
    several may run side by side)."""
    from engine.worker import run_forever

    stop = threading.Event()

    def on_signal(*_args: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    logs.configure()
    with _engine() as ctx:
        click.echo(f"timer loop running every {ctx.settings.worker_interval_seconds:g} s")
        run_forever(ctx, stop)


def _metrics_directory() -> None:
    """Where the web workers (and a ``ketenflow worker`` given the same directory) keep their
    Prometheus counters so one scrape adds them up: ``PROMETHEUS_MULTIPROC_DIR``, else a fresh
    private directory. Set before prometheus_client is first imported (``engine.metrics``)."""
    from engine.metrics import MULTIPROCESS_DIR

    directory = os.environ.get(MULTIPROCESS_DIR)
    if directory:
        os.makedirs(directory, exist_ok=True)
    else:
        os.environ[MULTIPROCESS_DIR] = tempfile.mkdtemp(prefix="ketenflow-metrics-")


@main.group()
def user() -> None:
    """Manage users."""


@user.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--org", "org_slug", required=True, help="organisation slug, e.g. dordrecht")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@click.option("--name", "display_name", default=None)
@click.option("--email", default=None,
              help="address for notification mails (an empty value removes it)")
def user_add(username: str, role: str, org_slug: str, password_stdin: bool,
             display_name: str | None, email: str | None) -> None:
    """Add a user (or change an existing one's role, organisation and password)."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _engine() as ctx, ctx.sessionmaker.begin() as session:
        users.add_user(ctx, session, username, role, org_slug, password, display_name,
                       email=email)
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


#: seed-demo drives the cases with its own clock, a day per transaction: a timer loop (of
#: ``ketenflow serve`` or ``ketenflow worker``) on the same database fires the same cases'
#: timers meanwhile and the seeding stops with a write conflict. So it refuses up front.
SEED_BESIDE_WORKER = (
    "fout: op deze database draait een timerlus (ketenflow serve of ketenflow worker gaf zojuist "
    "een hartslag). seed-demo moet eerst: stop de server en de worker, draai "
    "`ketenflow seed-demo` en start ze daarna weer (`make run` doet het in die volgorde).")
SEED_INTERRUPTED = (
    "fout: een ander proces schreef in de database terwijl seed-demo liep, dus het vullen is "
    "halverwege gestopt. seed-demo moet vóór `ketenflow serve` en `ketenflow worker`: stop ze, "
    "begin met een lege database (`ketenflow init`), vul die en start ze daarna weer.")


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
        if heartbeat.worker_alive(ctx):
            click.echo(SEED_BESIDE_WORKER, err=True)
            sys.exit(1)
        # A year of cases builds and drops millions of small objects (workflow trees); the
        # collector's default threshold (700) would trace the long-lived ones over and over.
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        try:
            result = seed_year(ctx, seed=seed, signals=signals, days=days,
                               until=until.date() if until else None)
        except Conflict:
            click.echo(SEED_INTERRUPTED, err=True)
            sys.exit(1)
        for line in result.lines():
            click.echo(line)
        # the managers' figures include the demo at once: counted in one pass (no worker runs)
        figures.rebuild(ctx)


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


@main.command()
@click.option("--dry-run", is_flag=True, help="only list what would be erased")
def purge(dry_run: bool) -> None:
    """Erase the personal data of cases closed longer than KETENFLOW_RETENTION_DAYS ago."""
    from engine.chain.retention import purge as run

    with _engine() as ctx:
        result = run(ctx, SYSTEM, dry_run=dry_run, channel="cli")
    for line in result.lines():
        click.echo(line)


@main.group()
def export() -> None:
    """Export files for outside parties."""


#: Exit status of a command given wrong input (click's own usage errors use it too).
USAGE_ERROR = 2
#: The CLI's names of the export's fields (``engine.chain.ddas_export`` names them so).
_OPTION_OF = {"from": "--from", "to": "--to", "municipality": "--municipality",
              "output": "--output"}


def _usage(invalid: InvalidInput) -> NoReturn:
    """Wrong input: one Dutch line per field, named as the option, and exit status 2."""
    for name, message in invalid.errors.items():
        click.echo(f"fout: {_OPTION_OF.get(name, name)}: {message}", err=True)
    sys.exit(USAGE_ERROR)


@export.command("ddas")
@click.option("--from", "start", required=True, metavar="JJJJ-MM-DD",
              help="first day of the period (signals received from this day)")
@click.option("--to", "end", required=True, metavar="JJJJ-MM-DD",
              help="last day of the period (included)")
@click.option("--municipality", default=None, metavar="SLUG",
              help="one municipality, e.g. dordrecht (default: every member municipality)")
@click.option("--output", default=None, metavar="BESTAND",
              help="write the JSON to this file instead of standard output")
def export_ddas(start: str, end: str, municipality: str | None, output: str | None) -> None:
    """The national DDAS delivery (VNG exchange specification v0.9) of a period, as JSON."""
    from engine.chain.ddas_export import export_delivery, parse_period

    try:
        first, last = parse_period(start, end)
    except InvalidInput as invalid:
        _usage(invalid)
    if output is not None:
        folder = os.path.dirname(os.path.abspath(output))
        if os.path.isdir(output) or not os.path.isdir(folder) or not os.access(folder,
                                                                               os.W_OK):
            _usage(InvalidInput({"output": f"kan {output} niet schrijven (de map bestaat "
                                           "niet, is niet schrijfbaar, of het is een map)"}))
    with _engine() as ctx:
        try:
            delivery = export_delivery(ctx, SYSTEM, first, last, municipality, channel="cli")
        except InvalidInput as invalid:
            _usage(invalid)
    text = delivery.json()
    if output is None:
        click.echo(text, nl=False)
    else:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    counts = delivery.counts
    click.echo(f"DDAS-levering {first.isoformat()} t/m {last.isoformat()}: "
               f"{len(delivery.municipalities)} gemeente(n), {counts.signals} signalen, "
               f"{counts.cases} zaken, {counts.results} met resultaat, "
               f"{counts.contact_attempts} contactpogingen", err=True)



@main.group("access-log")
def access_log_group() -> None:
    """The access log (every read of a household's data)."""


@access_log_group.command("verify")
def access_log_verify() -> None:
    """Recompute the access log's hash chain: exit 0 when every row is as written, else 1
    naming the first row that was changed, removed or inserted."""
    from engine import access_log

    with _engine() as ctx, ctx.sessionmaker() as session:
        result = access_log.verify(session)
    if result.ok:
        click.echo(f"access log intact: {result.rows} rows")
        return
    click.echo(f"access log broken at row {result.broken_at}: {result.reason} "
               f"({result.rows} rows before it verified)", err=True)
    sys.exit(1)


if __name__ == "__main__":
    main()
