"""The serializer allow-list holds only versions proven by frozen stored states.

``fixtures/stored_states`` holds real stored states of the chain (the instance's state blob and
its definition's spec blob, as the database keeps them), written by our own code. Each one is
loaded with the current code and run on. A version without such proof, or a blob whose content
does not fit its label, is refused with ``InstanceStateInvalid`` (409), never a 500.

To prove a new serializer version (after a SpiffWorkflow upgrade), run this file once with
``KETENFLOW_FREEZE_STORED_STATES=1``: the missing fixtures of the current version are written;
commit them and add the version to ``ALLOWED_VERSIONS``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from engine import runtime
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.errors import InstanceStateInvalid
from engine.models import HumanTask, ProcessDefinition, ProcessInstance
from engine.serialization import (
    ALLOWED_VERSIONS,
    CURRENT_VERSION,
    LIBRARY_VERSION,
    load_spec,
    load_workflow,
)
from engine.specs import SpecCache
from tests.processes.chain import Chain, deploy_chain
from tests.webclient import bearer, login
from webui import create_app

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "stored_states"
CASE_NUMBER = "DR-2026-0001"
FREEZE = os.environ.get("KETENFLOW_FREEZE_STORED_STATES") == "1"


# --- the scenarios that are frozen, and how each runs on ------------------------------------

def _waiting_in_outreach(chain: Chain) -> None:
    chain.signal()
    assert chain.open_ids() == ["record_first_contact_attempt"]


def _outreach_runs_on(chain: Chain) -> None:
    chain.reach()
    assert chain.open_ids() == ["hold_kitchen_table_conversation"]


def _waiting_for_zrm(chain: Chain) -> None:
    chain.signal()
    chain.reach()
    chain.at("2026-04-28 09:00")
    chain.talk(True, False)
    assert chain.open_ids() == ["score_zrm"]


def _zrm_runs_on(chain: Chain) -> None:
    chain.zrm()
    assert chain.open_ids() == ["agree_action_plan"]


SCENARIOS: dict[str, tuple[Callable[[Chain], None], Callable[[Chain], None]]] = {
    "waiting_in_outreach": (_waiting_in_outreach, _outreach_runs_on),
    "waiting_for_zrm": (_waiting_for_zrm, _zrm_runs_on),
}


def _fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*.json"))


def _read(path: Path) -> dict[str, Any]:
    fixture: dict[str, Any] = json.loads(path.read_text())
    return fixture


def _freeze(ctx: EngineContext, chain: Chain, scenario: str) -> dict[str, Any]:
    """The stored rows of ``scenario``'s case, as our code writes them now."""
    deploy_chain(ctx)
    SCENARIOS[scenario][0](chain)
    with ctx.sessionmaker() as session:
        row = session.get(ProcessInstance, chain.instance_id)
        assert row is not None and row.state is not None
        definition = session.get(ProcessDefinition, row.definition_id)
        assert definition is not None
        return {
            "scenario": scenario, "case_number": CASE_NUMBER, "process_id": row.process_id,
            "library_version": LIBRARY_VERSION, "serializer_version": row.serializer_version,
            "frozen_at": chain.clock.now().isoformat(), "spec_json": definition.spec_json,
            "state": row.state,
        }


def _restore(ctx: EngineContext, chain: Chain, fixture: dict[str, Any]) -> None:
    """Put a frozen state in place of a freshly started case's, as if the database had kept it
    since, and let the engine take it up (the open tasks follow the restored state)."""
    deploy_chain(ctx)
    assert isinstance(chain.clock, ManualClock)
    chain.clock.set(datetime.fromisoformat(fixture["frozen_at"]))
    chain.signal()
    with ctx.sessionmaker.begin() as session:
        row = session.get(ProcessInstance, chain.instance_id)
        assert row is not None and row.process_id == fixture["process_id"]
        session.execute(update(ProcessDefinition)
                        .where(ProcessDefinition.id == row.definition_id)
                        .values(spec_json=fixture["spec_json"]))
        row.state = fixture["state"]
        row.serializer_version = fixture["serializer_version"]
    ctx.specs = SpecCache()  # the frozen spec, not the one restored at the signal
    with ctx.sessionmaker.begin() as session:
        row = session.get(ProcessInstance, chain.instance_id)
        assert row is not None
        workflow, cached = runtime.load(ctx, session, row)
        runtime.step(ctx, session, row, workflow, cached, None, runtime.StepLog("fixture"))


# --- the proof -------------------------------------------------------------------------------

def test_the_allow_list_holds_exactly_the_proven_versions() -> None:
    proven = {_read(path)["serializer_version"] for path in _fixture_files()}
    assert proven, "no frozen stored states"
    assert ALLOWED_VERSIONS == proven
    assert CURRENT_VERSION in proven  # what we write today is proven too
    frozen = {_read(path)["scenario"] for path in _fixture_files()}
    assert frozen == set(SCENARIOS)


@pytest.mark.parametrize("path", _fixture_files(), ids=lambda p: p.stem)
def test_a_frozen_state_loads_with_the_current_code_and_runs_on(
        ctx: EngineContext, clock: ManualClock, path: Path) -> None:
    fixture = _read(path)
    chain = Chain(ctx, clock, CASE_NUMBER)
    _restore(ctx, chain, fixture)
    open_ids = chain.open_ids()
    # The tasks are the frozen state's own: their ids come from the stored blob.
    assert open_ids and all(t.id in fixture["state"] for t in chain.open_tasks())
    SCENARIOS[fixture["scenario"]][1](chain)
    assert chain.instance().status == "running"


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_what_we_write_now_is_of_a_proven_version(ctx: EngineContext, clock: ManualClock,
                                                  scenario: str) -> None:
    fixture = _freeze(ctx, Chain(ctx, clock, CASE_NUMBER), scenario)
    spec, subprocess_specs = load_spec(fixture["spec_json"])
    assert load_workflow(fixture["state"], spec, subprocess_specs) is not None
    target = FIXTURES / f"{scenario}-{fixture['serializer_version']}.json"
    if FREEZE and not target.exists():
        FIXTURES.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(fixture, indent=1, sort_keys=True) + "\n")
    assert fixture["serializer_version"] in ALLOWED_VERSIONS
    assert target.exists(), f"no frozen state proves {target.name}; see the module docstring"


# --- refusals ----------------------------------------------------------------------------------

def _outreach_fixture() -> dict[str, Any]:
    return _read(FIXTURES / f"waiting_in_outreach-{CURRENT_VERSION}.json")


def _relabelled(state: str, version: str) -> str:
    dct = json.loads(state)
    dct["serializer_version"] = version
    return json.dumps(dct)


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2", "1.3", "1.4"])
def test_a_state_labelled_with_an_unproven_version_is_refused(version: str) -> None:
    fixture = _outreach_fixture()
    spec, subprocess_specs = load_spec(fixture["spec_json"])
    with pytest.raises(InstanceStateInvalid, match="is not allowed"):
        load_workflow(_relabelled(fixture["state"], version), spec, subprocess_specs)


def _without(key: str) -> Callable[[dict[str, Any]], Any]:
    def change(dct: dict[str, Any]) -> Any:
        del dct[key]
        return dct
    return change


MISFITS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "no_tasks": _without("tasks"),
    "no_root": _without("root"),
    "no_subprocesses": _without("subprocesses"),
    "tasks_not_a_mapping": lambda dct: {**dct, "tasks": []},
    "root_not_a_uuid": lambda dct: {**dct, "root": "not-a-uuid"},
    "a_list": lambda dct: [dct],
    "version_not_a_string": lambda dct: {**dct, "serializer_version": ["1.5"]},
}


@pytest.mark.parametrize("name", sorted(MISFITS))
def test_a_state_that_does_not_fit_its_label_is_refused(name: str) -> None:
    fixture = _outreach_fixture()
    spec, subprocess_specs = load_spec(fixture["spec_json"])
    blob = json.dumps(MISFITS[name](json.loads(fixture["state"])))
    with pytest.raises(InstanceStateInvalid):
        load_workflow(blob, spec, subprocess_specs)


@pytest.mark.parametrize("blob", ['{"subprocess_specs": {}}', "[]", "not json",
                                  '{"spec": {}, "subprocess_specs": {}}'])
def test_a_spec_blob_that_does_not_restore_is_refused(blob: str) -> None:
    with pytest.raises(InstanceStateInvalid, match="process spec"):
        load_spec(blob)


@pytest.fixture
def web(ctx: EngineContext) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret"}, ctx=ctx)


def test_reading_a_case_whose_state_is_refused_never_answers_500(
        ctx: EngineContext, clock: ManualClock, web: Flask) -> None:
    version = "1.4"  # once allowed without proof: restoring it was a KeyError, a 500
    deploy_chain(ctx)
    chain = Chain(ctx, clock, CASE_NUMBER)
    chain.signal()
    worker = chain.actor("social_team")
    with ctx.sessionmaker.begin() as session:
        row = session.get(ProcessInstance, chain.instance_id)
        assert row is not None and row.state is not None
        row.state = _relabelled(row.state, version)
        row.serializer_version = version
        task_id = session.scalar(select(HumanTask.id).where(
            HumanTask.instance_id == row.id, HumanTask.state == "open"))
    assert task_id is not None
    api = web.test_client()
    headers = bearer(ctx, username=worker.username)
    page = login(web, worker.username)

    answer = api.get(f"/api/v1/tasks/{task_id}", headers=headers)
    assert answer.status_code == 409
    assert answer.mimetype == "application/problem+json"
    assert version in answer.get_json()["detail"]
    assert page.get(f"/tasks/{task_id}").status_code == 409
    completed = api.post(f"/api/v1/tasks/{task_id}/complete", headers=headers,
                         json={"data": {"attempt_date": "2026-04-23", "contact_made": True,
                                        "attempt_type": "Huisbezoek", "day_part": "morning"}})
    assert completed.status_code == 409
    # What does not restore the engine state still answers as usual.
    for path in (f"/api/v1/instances/{chain.instance_id}", f"/api/v1/cases/{CASE_NUMBER}"):
        assert api.get(path, headers=headers).status_code in (200, 404), path
    for path in (f"/cases/{CASE_NUMBER}", "/inbox?queue=team"):
        assert page.get(path).status_code in (200, 404), path
