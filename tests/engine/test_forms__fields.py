"""Form data is held to the form's own fields, never the scope variables, and only storable text.

Issue 8 item 2: completing a task with ``"municipality": "zwijndrecht"`` moved the case's next
task to Zwijndrecht's queue. Item 3: a note with a NUL was accepted and later stopped every
timer; such text is now refused at the door, in task forms and in signals alike.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from engine import deployments, runtime
from engine.access import SYSTEM, Actor
from engine.bundles import BundleFile
from engine.chain import intake
from engine.context import EngineContext
from engine.errors import InvalidInput
from engine.forms import validate
from engine.models import Case, HumanTask, ProcessInstance
from tests.bpmn_builder import script_process
from tests.casework import complete_claimed, corporation, report, signal
from tests.factories import BPMN, make_user

INTAKE = BPMN / "intake"
OUTREACH = {"attempt_type": "phone", "attempt_date": "2026-04-23", "contact_made": True,
            "attempt_note": "Gebeld, afspraak gemaakt."}


def _deploy_intake(ctx: EngineContext, outreach_form: dict[str, Any] | None = None) -> None:
    """The test chain; with ``outreach_form``, its outreach form replaced by that one."""
    files = [BundleFile(p.relative_to(INTAKE).as_posix(), p.read_bytes())
             for p in sorted(INTAKE.rglob("*")) if p.is_file()]
    if outreach_form is not None:
        files = [BundleFile(f.name, json.dumps(outreach_form).encode())
                 if f.name == "forms/outreach.json" else f for f in files]
    with ctx.sessionmaker.begin() as session:
        deployments.deploy(ctx, session, SYSTEM, files)


def _open_task(ctx: EngineContext, case_number: str, bpmn_id: str | None = None) -> HumanTask:
    query = select(HumanTask).where(HumanTask.case_number == case_number,
                                    HumanTask.state == "open")
    if bpmn_id is not None:
        query = query.where(HumanTask.bpmn_id == bpmn_id)
    with ctx.sessionmaker() as session:
        found = session.scalars(query).one()
        session.expunge(found)
        return found


def _complete(ctx: EngineContext, actor: Actor, task_id: str, data: Any) -> str | None:
    with ctx.sessionmaker.begin() as session:
        return complete_claimed(ctx, session, actor, task_id, data).next_task_id


def _refused(ctx: EngineContext, actor: Actor, task_id: str, data: Any) -> dict[str, str]:
    with pytest.raises(InvalidInput) as refused:
        _complete(ctx, actor, task_id, data)
    return refused.value.errors


@pytest.fixture
def case_number(ctx: EngineContext) -> str:
    _deploy_intake(ctx)
    return report(ctx, corporation(ctx)).case_number


# --- the form's own fields only ----------------------------------------------------------

def test_a_field_the_form_does_not_list_is_refused_naming_each(ctx: EngineContext,
                                                               case_number: str) -> None:
    anna = make_user(ctx)
    outreach = _open_task(ctx, case_number)
    errors = _refused(ctx, anna, outreach.id, {**OUTREACH, "mood": "goed", "extra": 1})
    assert set(errors) == {"mood", "extra"}
    assert errors["mood"] == "hoort niet bij dit formulier"
    assert _open_task(ctx, case_number).id == outreach.id  # nothing half-written


def test_scope_fields_are_refused_even_when_the_form_lists_them(ctx: EngineContext) -> None:
    careless = json.loads((INTAKE / "forms" / "outreach.json").read_text())
    careless["additionalProperties"] = True
    careless["properties"].update({name: {"type": "string"} for name in
                                   ("municipality", "corporation", "case_number")})
    _deploy_intake(ctx, careless)
    number = report(ctx, corporation(ctx)).case_number
    anna = make_user(ctx)
    outreach = _open_task(ctx, number)
    errors = _refused(ctx, anna, outreach.id, {**OUTREACH, "municipality": "zwijndrecht",
                                               "corporation": "rhiant",
                                               "case_number": "ZW-2026-000001"})
    assert set(errors) == {"municipality", "corporation", "case_number"}

    assert _complete(ctx, anna, outreach.id, OUTREACH) is not None
    assessment = _open_task(ctx, number)
    assert (assessment.bpmn_id, assessment.municipality, assessment.corporation) == \
        ("assessment", "dordrecht", "woonbron")


def test_a_form_without_fields_accepts_no_data_fields(ctx: EngineContext) -> None:
    """A form that lists nothing (and allows anything) takes no data; the bundle check already
    refuses a user task without any form."""
    from engine import instances

    with ctx.sessionmaker.begin() as session:
        deployments.deploy(ctx, session, SYSTEM, [
            BundleFile("probe.bpmn", script_process("answer = 42")),
            BundleFile("check.json", b'{"type": "object", "additionalProperties": true}')])
        started = instances.start_instance(ctx, session, SYSTEM, "probe",
                                           {"municipality": "dordrecht"})
    anna = make_user(ctx)
    with ctx.sessionmaker() as session:
        task_id = session.scalars(select(HumanTask.id).where(
            HumanTask.instance_id == started.id)).one()
    assert set(_refused(ctx, anna, task_id, {"seen": True, "municipality": "x"})) == \
        {"seen", "municipality"}
    _complete(ctx, anna, task_id, {})
    with ctx.sessionmaker() as session:
        row = session.get(ProcessInstance, started.id)
        assert row is not None and row.status == "completed"


# --- the scope is the instance's, whatever later data says ---------------------------------

def test_later_task_data_cannot_move_the_instance_or_its_new_tasks(ctx: EngineContext,
                                                                   case_number: str) -> None:
    """At the runtime's depth: data that gets past every door still cannot move the case."""
    outreach = _open_task(ctx, case_number)
    with ctx.sessionmaker.begin() as session:
        row = session.get(ProcessInstance, outreach.instance_id)
        assert row is not None
        workflow, cached = runtime.load(ctx, session, row)
        log = runtime.StepLog("probe")
        data = {**OUTREACH, "municipality": "zwijndrecht", "corporation": "rhiant"}
        runtime.step(ctx, session, row, workflow, cached,
                     lambda wf: runtime.complete_task(wf, outreach.id, data, log,
                                                      ctx.clock.now()), log)
    assessment = _open_task(ctx, case_number, "assessment")
    assert (assessment.bpmn_id, assessment.municipality, assessment.corporation) == \
        ("assessment", "dordrecht", "woonbron")
    with ctx.sessionmaker() as session:
        row = session.get(ProcessInstance, outreach.instance_id)
        assert row is not None and (row.municipality, row.corporation) == \
            ("dordrecht", "woonbron")


def test_an_administrators_retry_cannot_rewrite_the_scope_either(ctx: EngineContext) -> None:
    from engine import instances
    from tests.factories import deploy

    deploy(ctx, "review")
    with ctx.sessionmaker.begin() as session:
        started = instances.start_instance(ctx, session, SYSTEM, "review",
                                           {"municipality": "dordrecht"})
        task_id = session.scalars(select(HumanTask.id).where(
            HumanTask.instance_id == started.id)).one()
    _complete(ctx, make_user(ctx), task_id, {"decision": "unsure", "amount": 5})  # -> error
    with ctx.sessionmaker.begin() as session, pytest.raises(InvalidInput) as refused:
        instances.retry_instance(ctx, session, SYSTEM, started.id,
                                 {"decision": "reject", "municipality": "zwijndrecht"})
    assert set(refused.value.errors) == {"municipality"}
    with ctx.sessionmaker.begin() as session:
        retried = instances.retry_instance(ctx, session, SYSTEM, started.id,
                                           {"decision": "reject"})
    assert retried.status == "completed"


# --- text a database cannot store -------------------------------------------------------

def test_nul_and_lone_surrogates_are_refused_naming_each_field_also_nested() -> None:
    validator = Draft202012Validator({"type": "object"})
    with pytest.raises(InvalidInput) as refused:
        validate(validator, {"note": "voor\x00na", "fine": "gewoon",
                             "tenant": {"name": "J.\ud800 de Vries", "phones": ["06", "\x00"]},
                             "deep": [[{"x": [1, {"y": "\udfff"}]}]]})
    assert set(refused.value.errors) == {"note", "tenant/name", "tenant/phones/1",
                                         "deep/0/0/x/1/y"}
    assert "NUL" in refused.value.errors["note"]
    assert "surrogaat" in refused.value.errors["tenant/name"]
    assert validate(validator, {"note": "héél gewoon € ✓"}) == {"note": "héél gewoon € ✓"}


def test_nul_in_a_form_field_is_refused_naming_it(ctx: EngineContext, case_number: str) -> None:
    anna = make_user(ctx)
    outreach = _open_task(ctx, case_number)
    errors = _refused(ctx, anna, outreach.id, {**OUTREACH, "attempt_note": "niet\x00thuis"})
    assert set(errors) == {"attempt_note"}


def test_nul_in_a_signal_field_is_refused_naming_it(ctx: EngineContext) -> None:
    _deploy_intake(ctx)
    woonbron = corporation(ctx)
    with ctx.sessionmaker.begin() as session, pytest.raises(InvalidInput) as refused:
        intake.report_signal(ctx, session, woonbron,
                             signal(tenant={"name": "J. de\x00 Vries",
                                            "street": "Voor\ud800straat"}))
    assert set(refused.value.errors) == {"tenant/name", "tenant/street"}
    with ctx.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0
