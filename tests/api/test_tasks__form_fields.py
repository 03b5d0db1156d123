"""POST /api/v1/tasks/{id}/complete takes only the form's own fields (issue 8, item 2), and no
text a database cannot store, there or in a signal (item 3): 422 naming each field."""

from __future__ import annotations

from typing import Any

import pytest

from tests.casework import deploy_chain, signal
from tests.webclient import bearer

OUTREACH = {"attempt_type": "home_visit", "attempt_date": "2026-04-23", "contact_made": True,
            "attempt_note": "Huisbezoek, huurder thuis getroffen."}


@pytest.fixture
def case_number(ctx: Any, app: Any) -> str:
    deploy_chain(ctx)
    reported = app.test_client().post("/api/v1/signals", json=signal(),
                                      headers=bearer(ctx, org="woonbron"))
    assert reported.status_code == 201, reported.json
    return str(reported.json["case_number"])


def _queue(client: Any) -> list[dict[str, Any]]:
    return list(client.get("/api/v1/tasks?queue=team").json["items"])


def _claim(client: Any, task_id: str) -> None:
    """Only the holder of the claim completes a task (issue 9)."""
    assert client.post(f"/api/v1/tasks/{task_id}/claim", {}).status_code == 200


def _mine(client: Any) -> list[dict[str, Any]]:
    return list(client.get("/api/v1/tasks?queue=mine").json["items"])


def _fields(response: Any) -> set[str]:
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    return {e["field"] for e in response.json["errors"]}


def test_scope_fields_are_refused_and_the_next_task_stays_in_dordrechts_queue(
        api_as: Any, case_number: str) -> None:
    anna = api_as("anna", "social_team", "dordrecht")
    zoe = api_as("zoe", "social_team", "zwijndrecht")
    [outreach] = _queue(anna)
    assert outreach["case_number"] == case_number
    _claim(anna, outreach["id"])

    moved = anna.post(f"/api/v1/tasks/{outreach['id']}/complete",
                      {"data": {**OUTREACH, "municipality": "zwijndrecht",
                                "corporation": "rhiant", "case_number": "ZW-2026-000001",
                                "remark": "niet op het formulier"}})
    assert _fields(moved) == {"municipality", "corporation", "case_number", "remark"}
    assert [t["id"] for t in _mine(anna)] == [outreach["id"]]  # nothing half-written

    done = anna.post(f"/api/v1/tasks/{outreach['id']}/complete", {"data": OUTREACH})
    assert done.status_code == 200, done.json
    [assessment] = _queue(anna)
    assert (assessment["bpmn_id"], assessment["municipality"], assessment["corporation"]) == \
        ("assessment", "dordrecht", "woonbron")
    assert _queue(zoe) == []
    assert zoe.get(f"/api/v1/tasks/{assessment['id']}").status_code == 404
    assert [c["case_number"] for c in anna.get("/api/v1/cases").json["items"]] == \
        [case_number]
    assert zoe.get(f"/api/v1/cases/{case_number}").status_code == 404


def _names(response: Any, field: str) -> bool:
    """The 422 names ``field`` (the input guard before the routes says ``body/<field>``; the
    engine's own door, ``<field>``)."""
    return any(f == field or f.endswith(f"/{field}") for f in _fields(response))


@pytest.mark.parametrize("bad", ["niet\u0000thuis", "kapot \ud800 teken"])
def test_a_nul_or_lone_surrogate_in_a_form_field_is_422_naming_it(
        api_as: Any, case_number: str, bad: str) -> None:
    anna = api_as("anna", "social_team", "dordrecht")
    [outreach] = _queue(anna)
    _claim(anna, outreach["id"])
    response = anna.post(f"/api/v1/tasks/{outreach['id']}/complete",
                         {"data": {**OUTREACH, "attempt_note": bad}})
    assert _names(response, "attempt_note")
    assert [t["id"] for t in _mine(anna)] == [outreach["id"]]


@pytest.mark.parametrize(("field", "bad"), [("name", "J. de\u0000 Vries"),
                                            ("street", "Voor\ud800straat")])
def test_a_nul_or_lone_surrogate_in_a_signal_field_is_422_naming_it(
        ctx: Any, app: Any, field: str, bad: str) -> None:
    deploy_chain(ctx)
    response = app.test_client().post("/api/v1/signals", headers=bearer(ctx, org="woonbron"),
                                      json=signal(tenant={field: bad}))
    assert _names(response, f"tenant/{field}")
