"""Signal batches: chunks that commit as they go, large ones as a job to poll."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from engine.chain import signal_batches
from engine.models import Case, ProcessInstance, SignalBatchRow
from tests.casework import POSTCODES, corporation, signal
from tests.webclient import bearer
from webui import create_app

MUNICIPALITIES = list(POSTCODES)


def rows(count: int, prefix: str = "WB") -> list[dict[str, Any]]:
    return [signal(external_id=f"{prefix}-{n}", municipality=MUNICIPALITIES[n % 6],
                   tenant={"house_number": str(n + 1)}) for n in range(count)]


def count(ctx, model: Any = Case) -> int:
    with ctx.sessionmaker() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def wait_for(client, headers, job_id: str, timeout: float = 900) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/signals/batch/{job_id}", headers=headers)
        assert response.status_code == 200, response.json
        if response.json["status"] not in ("queued", "running"):
            return dict(response.json)
        time.sleep(0.5)
    raise AssertionError(f"batch {job_id} still running after {timeout} s")


def test_a_batch_of_ten_thousand_rows_completes_as_a_job(ctx, client, corp):
    response = client.post("/api/v1/signals/batch", json=rows(10_000), headers=corp)
    assert response.status_code == 202, response.json
    job_id = response.json["job_id"]
    assert response.headers["Location"] == f"/api/v1/signals/batch/{job_id}"
    done = wait_for(client, corp, job_id)
    assert done["status"] == "done"
    assert (done["total"], done["processed"], done["created"], done["existing"],
            done["invalid"]) == (10_000, 10_000, 10_000, 0, 0)
    items = done["items"]
    assert [i["row"] for i in items] == list(range(1, 10_001))
    assert {i["status"] for i in items} == {"created"}
    assert len({i["case_number"] for i in items}) == 10_000
    assert count(ctx) == 10_000
    assert count(ctx, ProcessInstance) == 10_000
    with ctx.sessionmaker() as session:
        numbers = session.scalars(select(Case.case_number)
                                  .where(Case.municipality == "dordrecht")).all()
        kept = session.scalar(select(func.count()).select_from(SignalBatchRow)
                              .where(SignalBatchRow.signal.is_not(None)))
    assert sorted(numbers) == [f"DR-2026-{n:06d}" for n in range(1, len(numbers) + 1)]
    assert kept == 0  # no personal data left behind in the batch rows


def test_a_single_signal_sent_while_a_batch_runs_is_answered(ctx, app, client, corp):
    response = client.post("/api/v1/signals/batch", json=rows(400), headers=corp)
    assert response.status_code == 202
    job_id = response.json["job_id"]
    answers = []

    def single() -> None:
        other = app.test_client()
        answers.append(other.post("/api/v1/signals", headers=corp,
                                  json=signal(external_id="SINGLE-1", municipality="dordrecht",
                                              tenant={"house_number": "9999"})))

    while client.get(f"/api/v1/signals/batch/{job_id}",
                     headers=corp).json["status"] == "queued":
        time.sleep(0.05)
    thread = threading.Thread(target=single)
    thread.start()
    thread.join(120)
    during = client.get(f"/api/v1/signals/batch/{job_id}", headers=corp).json
    done = wait_for(client, corp, job_id)
    assert answers and answers[0].status_code == 201, answers[0].json
    assert done["created"] == 400
    assert count(ctx) == 401
    assert during["processed"] <= 400


def test_a_bad_row_never_stops_the_good_ones(ctx, client, corp):
    batch = rows(150)
    batch[3] = signal(external_id="BAD-1", monthly_rent="nul")
    batch[70] = "geen melding"
    batch[120] = batch[0]
    response = client.post("/api/v1/signals/batch", json=batch, headers=corp)
    done = wait_for(client, corp, response.json["job_id"])
    assert (done["created"], done["existing"], done["invalid"]) == (147, 1, 2)
    by_row = {i["row"]: i for i in done["items"]}
    assert by_row[4]["errors"] == [{"field": "monthly_rent", "message": by_row[4]["errors"][0]
                                    ["message"]}]
    assert by_row[4]["external_id"] == "BAD-1"
    assert by_row[71]["status"] == "invalid"
    assert by_row[121]["case_number"] == by_row[1]["case_number"]
    assert count(ctx) == 147


def test_an_interrupted_job_says_so_and_sending_the_batch_again_is_safe(ctx, clock, client,
                                                                       corp):
    batch = rows(150)
    first_part = client.post("/api/v1/signals/batch", json=batch[:60], headers=corp)
    assert first_part.status_code == 200 and first_part.json["created"] == 60
    # A job whose runner died before its end (the worker was killed): its heartbeat stops.
    job_id = signal_batches.submit(ctx, corporation(ctx, "woonbron"), batch)
    clock.advance(signal_batches.STALE_AFTER + timedelta(seconds=1))
    stale = client.get(f"/api/v1/signals/batch/{job_id}", headers=corp).json
    assert stale["status"] == "interrupted"
    again = client.post("/api/v1/signals/batch", json=batch, headers=corp)
    done = wait_for(client, corp, again.json["job_id"])
    assert (done["created"], done["existing"], done["invalid"]) == (90, 60, 0)
    assert count(ctx) == 150
    assert count(ctx, ProcessInstance) == 150


def test_any_worker_answers_for_a_job_and_another_organisation_gets_404(ctx, client, corp):
    response = client.post("/api/v1/signals/batch", json=rows(120), headers=corp)
    job_id = response.json["job_id"]
    other_worker = create_app({"TESTING": True, "SECRET_KEY": "test"}, ctx=ctx).test_client()
    done = wait_for(other_worker, corp, job_id)
    assert done["created"] == 120
    trivire = bearer(ctx, org="trivire")
    hidden = client.get(f"/api/v1/signals/batch/{job_id}", headers=trivire)
    missing = client.get("/api/v1/signals/batch/" + "0" * 32, headers=trivire)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json["detail"] == missing.json["detail"]
    assert client.get("/api/v1/signals/batch/nonsense", headers=corp).status_code == 404
