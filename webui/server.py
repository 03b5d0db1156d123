"""``ketenflow serve``: gunicorn (as in production), on SQLite with a timer loop per worker.

Running the timer loop in every worker is safe (claiming is version-checked on SQLite, so a
timer fires once however many loops look for it). On PostgreSQL the web workers run no timer
loop: ``ketenflow worker`` does, several side by side with ``SKIP LOCKED``
(``EngineSettings.runs_embedded_worker``).

No request may take longer than the worker timeout (``TIMEOUT``): a large signal batch is
accepted as a job and runs in a thread of the worker that accepted it
(``engine.chain.signal_batches``), committing chunk by chunk. A worker that shuts down lets
that thread finish its chunk and marks the batch interrupted (``worker_exit``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from engine import metrics
from engine.chain import signal_batches
from engine.settings import EngineSettings
from engine.worker import start_in_thread


class KetenflowServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any], embedded_worker: bool) -> None:
        self.options = options
        self.embedded_worker = embedded_worker
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("post_worker_init",
                     _warm_up_and_run_timers if self.embedded_worker else _warm_up)
        self.cfg.set("worker_exit", _stop_batches)

    def load(self) -> Any:
        from webui import create_app

        return create_app()


def return_large_blocks_to_os() -> bool:
    """Make glibc hand freed blocks of 1 MiB and more back to the OS at once.

    A password check (scrypt) needs 16 MiB for a moment. glibc raises its mmap threshold after
    the first such block is freed and from then on keeps the next ones in the heap, so every
    worker that served a login stayed 16 MiB larger. Returns False where there is no glibc.
    """
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = getattr(libc, "mallopt", None)
    except OSError:
        return False
    return bool(mallopt is not None and mallopt(_M_MMAP_THRESHOLD, 1 << 20) == 1)


_M_MMAP_THRESHOLD = -3  # glibc's malloc.h


def _warm_up(worker: Any) -> None:
    """Compile every template before the worker takes requests: otherwise the first page
    each worker renders waits tens of milliseconds for Jinja.

    Then everything the worker holds for good (modules, the app, its templates and mappings)
    goes into the collector's permanent generation: its full collections walk only what
    requests made, not the whole start-up heap (server CPU per API case 9.44 → 9.13 ms with
    the response headers added in one go, ``webui.security_headers``; alternating rounds).
    """
    return_large_blocks_to_os()
    environment = worker.wsgi.jinja_env
    for name in environment.list_templates(extensions=["html"]):
        environment.get_template(name)
    gc.collect()
    gc.freeze()


def _warm_up_and_run_timers(worker: Any) -> None:
    _warm_up(worker)
    start_in_thread(worker.wsgi.extensions["ketenflow"])


def _stop_batches(_server: Any, _worker: Any) -> None:
    signal_batches.stop_running(timeout=GRACEFUL_TIMEOUT - 1)


#: Seconds a request may take before gunicorn kills its worker, and a shutdown may take.
TIMEOUT = 60
GRACEFUL_TIMEOUT = 5


#: gunicorn's own lines (start, worker boots and deaths) as JSON on standard error, like ours;
#: the access line is the app's (``webui.request_log``: with the request id, without the query).
LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "engine.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json",
                             "stream": "ext://sys.stderr"}},
    "loggers": {"gunicorn.error": {"handlers": [], "level": "INFO", "propagate": True},
                "spiff": {"handlers": [], "level": "WARNING", "propagate": True}},
    "root": {"handlers": ["console"], "level": "INFO"},
}


class ServerLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger without its access line: the app writes that one. gunicorn would
    otherwise gather every field of its own line for each response, only to drop it at
    WARNING (a twentieth of a quick API call's CPU)."""

    def access(self, *_args: Any) -> None:
        return None


def _child_exit(_server: Any, worker: Any) -> None:
    metrics.process_exited(worker.pid)


def serve_options(host: str, port: int, workers: int) -> dict[str, Any]:
    """gunicorn's settings for ``ketenflow serve``."""
    return {"bind": f"{host}:{port}", "workers": workers,
            "worker_class": "webui.sync_worker.OneWakeSyncWorker",
            "logconfig_dict": LOG_CONFIG, "logger_class": ServerLogger,
            "child_exit": _child_exit, "timeout": TIMEOUT, "graceful_timeout": GRACEFUL_TIMEOUT}


def serve(host: str, port: int, workers: int, settings: EngineSettings) -> None:
    KetenflowServer(serve_options(host, port, workers), settings.runs_embedded_worker()).run()
