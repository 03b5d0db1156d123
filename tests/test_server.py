"""What ``ketenflow serve`` sets up in each worker before it takes requests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.conftest import ROOT

#: Hash a password, then check it four times (each scrypt check takes 16 MiB for a moment),
#: in a fresh interpreter; prints how much larger the process stayed, in MiB.
PROBE = """
import os, sys
from engine.users import check_password, hash_password
from webui.server import return_large_blocks_to_os

def rss():
    with open(f"/proc/{os.getpid()}/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmRSS:")) / 1024

if sys.argv[1] == "set":
    assert return_large_blocks_to_os()
before = rss()
stored = hash_password("geheim")
for _ in range(4):
    assert check_password(stored, "geheim")
print(rss() - before)
"""


def _growth(mode: str) -> float:
    result = subprocess.run([sys.executable, "-c", PROBE, mode], cwd=ROOT, check=True,
                            capture_output=True, text=True, timeout=60)
    return float(result.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc, glibc malloc")
def test_logins_do_not_leave_the_worker_16_mib_larger() -> None:
    if _growth("default") < 12:
        pytest.skip("this C library gives scrypt's memory back by itself")
    assert _growth("set") < 8


def test_gunicorn_leaves_the_access_line_to_the_app() -> None:
    """``ketenflow serve`` runs gunicorn with a logger whose access line is off (the app writes
    its own, ``webui.request_log``), so gunicorn gathers none of its fields."""
    from gunicorn.config import Config

    from webui.server import ServerLogger, serve_options

    config = Config()
    for key, value in serve_options("127.0.0.1", 5000, 2).items():
        config.set(key, value)
    assert config.logger_class is ServerLogger

    class Unreadable:
        def __getattr__(self, name: str) -> None:
            raise AssertionError(f"gunicorn read the response's {name} for its access line")

    logger = ServerLogger(config)
    assert logger.access(Unreadable(), Unreadable(), {}, None) is None


@contextmanager
def _waiting_worker(worker_class: type, listener: socket.socket) -> Iterator[Any]:
    """A gunicorn worker as its arbiter leaves it just before its run loop: the shared
    listening socket, its own wake-up pipe and heartbeat file (gunicorn's, real)."""
    from gunicorn.config import Config
    from gunicorn.workers.workertmp import WorkerTmp

    worker = worker_class.__new__(worker_class)
    worker.sockets = [listener]
    worker.PIPE = os.pipe()
    for end in worker.PIPE:
        os.set_blocking(end, False)
    worker.tmp = WorkerTmp(Config())
    worker.wait_fds = worker.sockets + [worker.PIPE[0]]
    try:
        yield worker
    finally:
        worker.tmp.close()
        for end in worker.PIPE:
            os.close(end)
        if getattr(worker, "_poller", None) is not None:
            worker._poller.close()


def _listener() -> socket.socket:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    return listener


def _woken_by_one_connection(worker_class: type) -> list[bool]:
    """Two workers wait on one listening socket; one client connects. Which of them woke
    for the listener (before their 1.5 s timeout)?"""
    with _listener() as listener, _waiting_worker(worker_class, listener) as first, \
            _waiting_worker(worker_class, listener) as second:
        woke = [False, False]

        def wait(index: int, worker: Any) -> None:
            woke[index] = listener in (worker.wait(1.5) or [])

        threads = [threading.Thread(target=wait, args=pair) for pair in enumerate((first, second))]
        for thread in threads:
            thread.start()
        time.sleep(0.3)  # both are waiting now
        with socket.create_connection(listener.getsockname()):
            for thread in threads:
                thread.join()
        return woke


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="EPOLLEXCLUSIVE is Linux's")
def test_a_new_connection_wakes_one_worker_not_all() -> None:
    """gunicorn's sync worker wakes every idle sibling for each connection (all but one find
    nothing to accept); ``ketenflow serve``'s worker wakes exactly one."""
    from gunicorn.workers.sync import SyncWorker

    from webui.server import serve_options
    from webui.sync_worker import OneWakeSyncWorker

    assert serve_options("127.0.0.1", 5000, 2)["worker_class"] == \
        "webui.sync_worker.OneWakeSyncWorker"
    assert _woken_by_one_connection(SyncWorker) == [True, True]
    assert sorted(_woken_by_one_connection(OneWakeSyncWorker)) == [False, True]


def test_the_worker_still_wakes_for_the_arbiter() -> None:
    """A signal from the arbiter arrives as a byte on the worker's pipe: ``wait`` returns
    for it at once and reads it, so the next wait sleeps again."""
    from webui.sync_worker import OneWakeSyncWorker

    with _listener() as listener, _waiting_worker(OneWakeSyncWorker, listener) as worker:
        os.write(worker.PIPE[1], b".")
        started = time.monotonic()
        assert worker.wait(5) == [worker.PIPE[0]]
        assert time.monotonic() - started < 1
        assert worker.wait(0.1) == []
