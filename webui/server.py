"""``ketenflow serve``: gunicorn (as in production) with the embedded timer loop per worker.

Running the timer loop in every worker is safe: claiming is ``SKIP LOCKED`` on PostgreSQL and
version-checked on SQLite, so a timer fires once however many loops look for it.
"""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

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

    def load(self) -> Any:
        from webui import create_app

        return create_app()


def _warm_up(worker: Any) -> None:
    """Compile every template before the worker takes requests: otherwise the first page
    each worker renders waits tens of milliseconds for Jinja."""
    environment = worker.wsgi.jinja_env
    for name in environment.list_templates(extensions=["html"]):
        environment.get_template(name)


def _warm_up_and_run_timers(worker: Any) -> None:
    _warm_up(worker)
    start_in_thread(worker.wsgi.extensions["ketenflow"])


def serve(host: str, port: int, workers: int, settings: EngineSettings) -> None:
    options = {"bind": f"{host}:{port}", "workers": workers, "worker_class": "sync",
               "accesslog": "-", "timeout": 60, "graceful_timeout": 5}
    KetenflowServer(options, settings.embedded_worker).run()
