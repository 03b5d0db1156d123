"""Single signals while a 10,000-row batch runs, against ``ketenflow serve`` (2 workers).

A fresh database gets the intake chain (``ketenflow init``) and a corporation's machine token;
the server runs as in production. One client posts a batch of ``BATCH_ROWS`` signals (accepted
as a job, 202); while the job runs, a second client sends one new signal every
``SINGLE_EVERY`` seconds and times each answer, round trip on loopback. A third polls the job
until it is done and checks its counts and the cases. The report gives the single signals'
median and max: how long a household reported on its own waits behind a large batch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import median, ms
from bench.http_path import API, Client, Server, cli
from engine import chain, users
from engine.context import build_context
from engine.settings import EngineSettings

BATCH_ROWS = 10_000
SINGLE_EVERY = 0.25
CORPORATION = "woonbron"
#: a postcode and place in each municipality (rows are spread over all six)
PLACES = (("3311 AB", "Dordrecht"), ("3331 KL", "Zwijndrecht"), ("3351 XA", "Papendrecht"),
          ("3342 GA", "Hendrik-Ido-Ambacht"), ("3361 AC", "Sliedrecht"),
          ("2951 BT", "Alblasserdam"))


@dataclass
class IntakeResult:
    rows: int = 0
    accept_ms: float = 0.0          # the 202 for the batch
    batch_seconds: float = 0.0      # from the POST until the job reported done
    created: int = 0
    single: list[float] = field(default_factory=list)   # ms per single signal
    single_failed: list[str] = field(default_factory=list)

    @property
    def single_median(self) -> float:
        return median(self.single)

    @property
    def single_max(self) -> float:
        return max(self.single) if self.single else float("nan")


def signal(external_id: str, number: int) -> dict[str, Any]:
    postcode, city = PLACES[number % len(PLACES)]
    return {"external_id": external_id,
            "tenant": {"name": "Bench Huurder (synthetisch)", "street": "Voorstraat",
                       "house_number": str(number % 90_000 + 1), "postcode": postcode,
                       "city": city},
            "arrears": {"amount": "812.50", "months": 2}, "monthly_rent": "640.00"}


def corporation_token(url: str) -> str:
    ctx = chain.install(build_context(EngineSettings(database_url=url, embedded_worker=False)))
    try:
        with ctx.sessionmaker.begin() as session:
            return users.create_token(ctx, session, org_slug=CORPORATION, label="bench").token
    finally:
        ctx.close()


def measure_intake(url: str, work: Path, rows: int = BATCH_ROWS) -> IntakeResult:
    cli(url, "init")
    token = corporation_token(url)
    server = Server(url, work / "serve-intake.log")
    result = IntakeResult(rows=rows)
    batch_client = single_client = poll_client = None
    try:
        server.start()
        batch_client, single_client, poll_client = (Client(server.port) for _ in range(3))
        # warm both workers' single-signal path first
        for n in range(4):
            status, body = single_client.call("POST", f"{API}/signals", token,
                                              signal(f"WARM-{n}", n))
            if status != 201:
                raise AssertionError(f"intake warm-up: {status} {body}")
        batch = [signal(f"BATCH-{n}", n) for n in range(rows)]
        started = time.perf_counter()
        status, body = batch_client.call("POST", f"{API}/signals/batch", token, batch)
        result.accept_ms = ms(time.perf_counter() - started)
        if status != 202:
            raise AssertionError(f"intake batch: {status} {str(body)[:300]}")
        job = f"{API}/signals/batch/{body['job_id']}"
        number, next_poll = 0, 0.0
        while True:
            now = time.perf_counter()
            if now >= next_poll:
                status, state = poll_client.call("GET", job, token)
                next_poll = now + 1.0
                if status != 200:
                    raise AssertionError(f"intake job: {status} {state}")
                if state["status"] not in ("queued", "running"):
                    result.batch_seconds = time.perf_counter() - started
                    break
            number += 1
            t = time.perf_counter()
            status, answer = single_client.call("POST", f"{API}/signals", token,
                                                signal(f"SINGLE-{number}", 50_000 + number))
            elapsed = ms(time.perf_counter() - t)
            if status == 201:
                result.single.append(elapsed)
            else:
                result.single_failed.append(f"{status} {str(answer)[:200]}")
            time.sleep(SINGLE_EVERY)
        if state["status"] != "done" or state["created"] != rows:
            refused = [item for item in state.get("items") or []
                       if item.get("status") != "created"][:5]
            raise AssertionError(f"intake job ended {state['status']} with "
                                 f"{state['created']} of {rows} created; rows not created: "
                                 f"{refused}; the server's log:\n{server.first_error()}")
        result.created = state["created"]
    finally:
        for client in (batch_client, single_client, poll_client):
            if client is not None:
                client.close()
        server.stop()
    return result
