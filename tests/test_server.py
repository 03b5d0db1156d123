"""What ``ketenflow serve`` sets up in each worker before it takes requests."""

from __future__ import annotations

import subprocess
import sys

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
