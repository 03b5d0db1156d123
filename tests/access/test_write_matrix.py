"""The write access matrix: every route that changes state, for every role × organisation in
``world.USERS`` and every kind of machine token, against cases (and their tasks and instances)
in and out of the caller's scope, and against a missing object.

The rule each answer must follow:

- **allowed** (domain.md §6, design.md "Access"): the action succeeds, or answers a state or
  input problem (409, 422) about an object the caller may know;
- **out of scope**: exactly the answer for a missing object — a 404 with the same body — and
  nothing changed in the database (the refusal's access-log row apart);
- **a role that may never do this kind of action at all** (say a manager completing a task, a
  social team member sending a corporation's message): 403, given before any object is looked
  up, so it is the same for an object in scope, out of scope or missing — or, for pages that
  exist only for one kind of organisation (the corporations' portal), the 404 of a missing
  page. Either way nothing changes, and the answer never depends on the object.

One world per test function; the test runs every caller × target of one route and reports
every cell that breaks the rule at once.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import tasks
from engine.access import Actor, may_assign
from engine.context import EngineContext
from engine.db import Base
from engine.models import Case, HumanTask, ProcessInstance
from tests.access.world import USERS, World, build, may_see_task
from tests.casework import signal
from tests.factories import deploy
from tests.webclient import bearer, login

MISSING_TASK = "00000000-0000-0000-0000-000000000000"
MISSING_CASE = "DR-2099-999999"
MISSING_INSTANCE = 999999
#: The machine tokens: two corporations, a municipality, the SDD.
TOKENS = {"token:woonbron": ("corporation", "woonbron"),
          "token:trivire": ("corporation", "trivire"),
          "token:dordrecht": ("municipality", "dordrecht"),
          "token:sdd": ("sdd", "sdd")}
CORPORATION_ROLES = ("corporation", "corporation_lead")
#: The roles whose members work tasks (domain.md §6: corporation, social team, SDD, Meldpunt).
WORKING_ROLES = ("corporation", "corporation_lead", "social_team", "social_team_lead",
                 "budget_advice", "care_referral", "budget_advice_lead", "care_referral_lead")
#: Tables whose rows a refused write must leave alone (the log and sign-in tables change).
IGNORED = {"access_log", "access_log_case", "access_log_head", "api_token", "login_session",
           "login_failure", "app_user"}
#: Valid form data for each task of the test chain.
FORMS: dict[str, dict[str, Any]] = {
    "outreach": {"attempt_type": "home_visit", "attempt_date": "2026-04-23",
                 "contact_made": True},
    "sdd_intake": {"intake_date": "2026-04-24"},
    "care_intake": {"intake_date": "2026-04-24"},
}
BUNDLE = Path(__file__).resolve().parents[1] / "bpmn" / "review"


@dataclass(frozen=True)
class Caller:
    name: str
    kind: str  # "person" or "token"
    role: str  # the person's role, or the token organisation's kind
    organisation: str


CALLERS = [Caller(n, "person", r, o) for n, (r, o) in USERS.items()] + \
    [Caller(n, "token", k, o) for n, (k, o) in TOKENS.items()]
PEOPLE = [c for c in CALLERS if c.kind == "person"]


@dataclass
class Target:
    label: str  # e.g. "dordrecht_sdd/sdd_intake", or "missing"
    ref: str  # what goes into the path or body
    case: str | None = None  # world case label
    task_role: str | None = None
    bpmn_id: str | None = None
    state: str | None = None


@dataclass
class Matrix:
    ctx: EngineContext
    app: Flask
    world: World
    failures: list[str] = field(default_factory=list)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    # -- callers ---------------------------------------------------------------------------
    def api(self, caller: Caller) -> dict[str, Any]:
        key = ("api", caller.name)
        if key not in self._clients:
            self._clients[key] = (bearer(self.ctx, username=caller.name)
                                  if caller.kind == "person"
                                  else bearer(self.ctx, org=caller.organisation))
        headers: dict[str, Any] = self._clients[key]
        return headers

    def page(self, caller: Caller) -> FlaskClient:
        key = ("page", caller.name)
        if key not in self._clients:
            self._clients[key] = login(self.app, caller.name)
        client: FlaskClient = self._clients[key]
        return client

    def post_api(self, caller: Caller, path: str, **kwargs: Any) -> Any:
        return self.app.test_client().post(path, headers=self.api(caller), **kwargs)

    # -- the database ----------------------------------------------------------------------
    def snapshot(self) -> dict[str, list[str]]:
        with self.ctx.db.connect() as conn:
            return {t.name: sorted(repr(tuple(r)) for r in conn.execute(t.select()))
                    for t in Base.metadata.sorted_tables if t.name not in IGNORED}

    def session(self) -> Session:
        return self.ctx.sessionmaker()

    # -- the rule --------------------------------------------------------------------------
    def fail(self, caller: Caller, target: Target, message: str) -> None:
        self.failures.append(f"{caller.name} × {target.label}: {message}")

    def refused(self, caller: Caller, target: Target, attempt: Callable[[], Any],
                missing: Any, role_refused: bool) -> None:
        """An attempt that must be refused: the missing object's answer, nothing changed."""
        before = self.snapshot()
        answer = attempt()
        after = self.snapshot()
        if role_refused:
            if answer.status_code not in (403, 404) or \
                    answer.status_code != missing.status_code:
                self.fail(caller, target, f"{answer.status_code}, expected the role's refusal "
                                          f"{missing.status_code} (403 or 404)")
        elif answer.status_code != 404 or _body(answer, target.ref) != \
                _body(missing, MISSING_REFS):
            self.fail(caller, target, f"{answer.status_code} {_short(answer)}, expected the "
                                      f"missing object's 404")
        changed = [name for name in before if before[name] != after[name]]
        if changed:
            self.fail(caller, target, f"refused with {answer.status_code} but changed "
                                      f"{', '.join(changed)}")

    def allowed(self, caller: Caller, target: Target, answer: Any,
                statuses: tuple[int, ...]) -> bool:
        if answer.status_code == 303 and caller.kind == "person":
            # follow the redirect, as a browser would: it shows (and so clears) the flash
            self.page(caller).get(answer.headers["Location"])
        if answer.status_code not in statuses:
            self.fail(caller, target, f"allowed, but answered {answer.status_code} "
                                      f"{_short(answer)} (expected one of {statuses})")
            return False
        return True

    def check(self) -> None:
        assert not self.failures, "cells that break the rule:\n" + "\n".join(self.failures)

    # -- targets ---------------------------------------------------------------------------
    def case_targets(self) -> list[Target]:
        return [Target(label, number, case=label) for label, number in
                self.world.cases.items()]

    def task_targets(self) -> list[Target]:
        with self.session() as session:
            rows = session.execute(select(HumanTask.id, HumanTask.case_number, HumanTask.role,
                                          HumanTask.bpmn_id, HumanTask.state)).all()
        labels = {number: label for label, number in self.world.cases.items()}
        return [Target(f"{labels[r.case_number]}/{r.bpmn_id}({r.state})", r.id,
                       case=labels[r.case_number], task_role=r.role, bpmn_id=r.bpmn_id,
                       state=r.state) for r in rows]

    def instance_targets(self) -> list[Target]:
        labels = {number: label for label, number in self.world.cases.items()}
        with self.session() as session:
            rows = session.execute(select(ProcessInstance.id, ProcessInstance.business_key)
                                   ).all()
        return [Target(f"instance {labels.get(r.business_key or '', r.business_key)}",
                       str(r.id), case=labels.get(r.business_key or "")) for r in rows]

    def sees_case(self, caller: Caller, label: str | None) -> bool:
        """A case is its corporation's and (for machine tokens) its municipality's."""
        if label is None:
            return False
        with self.session() as session:
            case = session.scalars(select(Case).where(
                Case.case_number == self.world.cases[label])).one()
        if caller.kind == "person" and caller.role == "admin":
            return True
        if caller.role in CORPORATION_ROLES or caller.role == "corporation":
            return case.corporation == caller.organisation
        if caller.kind == "token" and caller.role == "municipality":
            return case.municipality == caller.organisation
        return False

    def actor(self, caller: Caller) -> Actor:
        return self.world.actors[caller.name]

    def task_state(self, task_id: str) -> tuple[str, int | None]:
        with self.session() as session:
            row = session.execute(select(HumanTask.state, HumanTask.assignee_id)
                                  .where(HumanTask.id == task_id)).one()
        return row.state, row.assignee_id


MISSING_REFS = (MISSING_TASK, MISSING_CASE, str(MISSING_INSTANCE))


def _body(response: Any, refs: str | tuple[str, ...]) -> str:
    """The answer's body with the object's reference and per-request tokens taken out."""
    text = response.get_data(as_text=True)
    for ref in (refs,) if isinstance(refs, str) else refs:
        text = text.replace(ref, "<ref>")
    return re.sub(r'(nonce|value|content)="[^"]*"', r'\1=""', text)


def _short(response: Any) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))[:160]


@pytest.fixture
def matrix(ctx: EngineContext, app: Flask) -> Matrix:
    return Matrix(ctx, app, build(ctx))


def _sees_task(caller: Caller, target: Target) -> bool:
    return caller.kind == "person" and target.case is not None and \
        may_see_task(caller.name, target.task_role, target.case)


def _works_tasks(caller: Caller) -> bool:
    return caller.kind == "person" and (caller.role == "admin" or caller.role in WORKING_ROLES)


# --- messages and case events -------------------------------------------------------------

def _may_send(caller: Caller) -> bool:
    if caller.kind == "token":
        return caller.role in ("corporation", "municipality")
    return caller.role in (*CORPORATION_ROLES, "admin")


def test_messages(matrix: Matrix) -> None:
    def send(caller: Caller, number: str) -> Any:
        return matrix.post_api(caller, "/api/v1/messages", json={
            "name": "arrangement_broken", "case_number": number})

    for caller in CALLERS:
        missing = send(caller, MISSING_CASE)
        for target in matrix.case_targets():
            if _may_send(caller) and matrix.sees_case(caller, target.case):
                matrix.allowed(caller, target, send(caller, target.ref), (202,))
            else:
                matrix.refused(caller, target, lambda: send(caller, target.ref), missing,
                               role_refused=not _may_send(caller))
    matrix.check()


def test_case_events_page(matrix: Matrix) -> None:
    def report(caller: Caller, number: str) -> Any:
        return matrix.page(caller).post(f"/cases/{number}/events",
                                        data={"name": "arrangement_broken"})

    for caller in PEOPLE:
        may = caller.role in (*CORPORATION_ROLES, "admin")
        missing = report(caller, MISSING_CASE)
        for target in matrix.case_targets():
            if may and matrix.sees_case(caller, target.case):
                matrix.allowed(caller, target, report(caller, target.ref), (303,))
            else:
                matrix.refused(caller, target, lambda: report(caller, target.ref), missing,
                               role_refused=not may)
    matrix.check()


# --- signals: the API, the portal's form and upload ---------------------------------------

def _reports_signals(caller: Caller) -> bool:
    return caller.role in CORPORATION_ROLES or \
        (caller.kind == "token" and caller.role == "corporation")


def _signal_targets(matrix: Matrix, caller: Caller) -> list[Target]:
    """A new tenant, the caller's own earlier one, and another corporation's external id."""
    own = {"woonbron": "EXT-dordrecht_sdd", "trivire": "EXT-sliedrecht_care"}
    other = {"woonbron": "EXT-sliedrecht_care", "trivire": "EXT-dordrecht_sdd"}
    targets = [Target("new tenant", f"NEW-{caller.name.replace(':', '-')}")]
    if caller.organisation in own:
        targets += [Target("own external id", own[caller.organisation]),
                    Target("other corporation's external id", other[caller.organisation])]
    return targets


def _check_signal_answer(matrix: Matrix, caller: Caller, target: Target,
                         case_number: str | None) -> None:
    """An allowed signal lands on the caller's own corporation, never on another's case."""
    with matrix.session() as session:
        corporation = session.scalar(select(Case.corporation).where(
            Case.case_number == (case_number or "")))
    if corporation != caller.organisation:
        matrix.fail(caller, target, f"answered case {case_number} of {corporation}")


def _signal_matrix(matrix: Matrix, callers: list[Caller],
                   send: Callable[[Caller, Target], tuple[Any, str | None]],
                   ok: tuple[int, ...], refused_status: int) -> None:
    for caller in callers:
        for target in _signal_targets(matrix, caller):
            if _reports_signals(caller):
                answer, number = send(caller, target)
                if matrix.allowed(caller, target, answer, ok):
                    _check_signal_answer(matrix, caller, target, number)
            else:
                class Refusal:  # a role refusal has no "missing object" to compare with
                    status_code = refused_status
                matrix.refused(caller, target, lambda: send(caller, target)[0], Refusal(),
                               role_refused=True)
    matrix.check()


def _body_for(target: Target) -> dict[str, Any]:
    return signal(external_id=target.ref, municipality="dordrecht")


def test_signals(matrix: Matrix) -> None:
    def send(caller: Caller, target: Target) -> tuple[Any, str | None]:
        answer = matrix.post_api(caller, "/api/v1/signals", json=_body_for(target))
        return answer, (answer.get_json(silent=True) or {}).get("case_number")

    _signal_matrix(matrix, CALLERS, send, (200, 201), 403)


def test_signal_batches(matrix: Matrix) -> None:
    def send(caller: Caller, target: Target) -> tuple[Any, str | None]:
        answer = matrix.post_api(caller, "/api/v1/signals/batch", json=[_body_for(target)])
        items = (answer.get_json(silent=True) or {}).get("items") or [{}]
        return answer, items[0].get("case_number")

    _signal_matrix(matrix, CALLERS, send, (200,), 403)


def test_portal_report(matrix: Matrix) -> None:
    def send(caller: Caller, target: Target) -> tuple[Any, str | None]:
        body = _body_for(target)
        form = {"external_id": body["external_id"], **body["tenant"],
                "arrears_amount": body["arrears"]["amount"],
                "arrears_months": str(body["arrears"]["months"]),
                "arrears_since": body["arrears"]["since"], "monthly_rent": body["monthly_rent"]}
        answer = matrix.page(caller).post("/portal/report", data=form)
        location = answer.headers.get("Location") or ""
        return answer, location.rsplit("/", 1)[-1] or None

    _signal_matrix(matrix, PEOPLE, send, (303,), 404)


def test_portal_upload(matrix: Matrix) -> None:
    def send(caller: Caller, target: Target) -> tuple[Any, str | None]:
        from io import BytesIO

        from engine.chain import intake

        body = _body_for(target)
        header = list(intake.CSV_COLUMNS)
        row = []
        for path in intake.CSV_COLUMNS.values():
            value: Any = body
            for key in path:
                value = value.get(key, "") if isinstance(value, dict) else ""
            row.append("nee" if value is False else str(value))
        csv = ";".join(header) + "\n" + ";".join(row) + "\n"
        answer = matrix.page(caller).post("/portal/upload", data={
            "file": (BytesIO(csv.encode()), "signalen.csv")},
            content_type="multipart/form-data")
        found = re.findall(r"[A-Z]{2}-20\d\d-\d{6}", answer.get_data(as_text=True))
        return answer, found[0] if found else None

    _signal_matrix(matrix, PEOPLE, send, (200,), 404)


# --- tasks: claim, release, assign, complete (API and pages) ------------------------------

def _claim_by(matrix: Matrix, actor: Actor, task_id: str) -> None:
    with matrix.ctx.sessionmaker.begin() as session:
        tasks.claim_task(matrix.ctx, session, actor, task_id)


def _release_by(matrix: Matrix, actor: Actor, task_id: str) -> None:
    with matrix.ctx.sessionmaker.begin() as session:
        tasks.release_task(matrix.ctx, session, actor, task_id)


@pytest.mark.parametrize("where", ["api", "page"])
def test_claim(matrix: Matrix, where: str) -> None:
    def claim(caller: Caller, task_id: str) -> Any:
        if where == "api":
            return matrix.post_api(caller, f"/api/v1/tasks/{task_id}/claim")
        return matrix.page(caller).post(f"/tasks/{task_id}/claim", data={})

    ok = 200 if where == "api" else 303
    for caller in CALLERS if where == "api" else PEOPLE:
        missing = claim(caller, MISSING_TASK)
        for target in matrix.task_targets():
            if not _sees_task(caller, target):
                matrix.refused(caller, target, lambda: claim(caller, target.ref), missing,
                               role_refused=False)
                continue
            if target.state != "open":
                matrix.allowed(caller, target, claim(caller, target.ref), (409,))
            elif matrix.allowed(caller, target, claim(caller, target.ref), (ok,)):
                _release_by(matrix, matrix.actor(caller), target.ref)
    matrix.check()


def _holder(target: Target) -> str:
    """The team member who holds an open task while others try to release it."""
    return next(name for name in USERS if name != "admin" and
                may_see_task(name, target.task_role, target.case or ""))


@pytest.mark.parametrize("where", ["api", "page"])
def test_release(matrix: Matrix, where: str) -> None:
    def release(caller: Caller, task_id: str) -> Any:
        if where == "api":
            return matrix.post_api(caller, f"/api/v1/tasks/{task_id}/release")
        return matrix.page(caller).post(f"/tasks/{task_id}/release", data={})

    ok = 200 if where == "api" else 303
    targets = matrix.task_targets()
    for target in targets:
        if target.state == "open":
            _claim_by(matrix, matrix.world.actors[_holder(target)], target.ref)
    for caller in CALLERS if where == "api" else PEOPLE:
        missing = release(caller, MISSING_TASK)
        for target in targets:
            if not _sees_task(caller, target):
                matrix.refused(caller, target, lambda: release(caller, target.ref), missing,
                               role_refused=False)
                continue
            holder = target.state == "open" and caller.name == _holder(target)
            lead = target.state == "open" and may_assign(matrix.actor(caller))
            answer = release(caller, target.ref)
            if matrix.allowed(caller, target, answer, (ok,) if holder or lead else (409,)) \
                    and answer.status_code == ok:
                _claim_by(matrix, matrix.world.actors[_holder(target)], target.ref)
    matrix.check()


def test_assign_page(matrix: Matrix) -> None:
    colleague = matrix.world.actors["st-dordrecht"].user_id

    def assign(caller: Caller, task_id: str) -> Any:
        return matrix.page(caller).post(f"/tasks/{task_id}/assign",
                                        data={"assignee": str(colleague)})

    for caller in PEOPLE:
        lead = may_assign(matrix.actor(caller))
        missing = assign(caller, MISSING_TASK)
        for target in matrix.task_targets():
            if lead and _sees_task(caller, target):
                # a lead may know the task; assigning it may still be refused on its merits
                # (a completed task, a colleague who does not work that lane)
                matrix.allowed(caller, target, assign(caller, target.ref), (303, 409, 422))
            else:
                matrix.refused(caller, target, lambda: assign(caller, target.ref), missing,
                               role_refused=not lead)
    matrix.check()


@pytest.mark.parametrize("where", ["api", "page"])
def test_complete(matrix: Matrix, where: str) -> None:
    def complete(caller: Caller, target: Target, data: dict[str, Any] | None = None) -> Any:
        data = FORMS.get(target.bpmn_id or "", {}) if data is None else data
        if where == "api":
            return matrix.post_api(caller, f"/api/v1/tasks/{target.ref}/complete",
                                   json={"data": data})
        form = {k: "true" if v is True else str(v) for k, v in data.items()}
        return matrix.page(caller).post(f"/tasks/{target.ref}", data=form)

    ok = 200 if where == "api" else 303
    targets = matrix.task_targets()
    missing_target = Target("missing", MISSING_TASK, bpmn_id="outreach")
    winners: dict[str, Caller] = {}
    for caller in CALLERS if where == "api" else PEOPLE:
        missing = complete(caller, missing_target)
        for target in targets:
            if not _sees_task(caller, target):
                matrix.refused(caller, target, lambda: complete(caller, target), missing,
                               role_refused=False)
            elif target.state != "open":  # a done task: its form is checked first or not
                matrix.allowed(caller, target, complete(caller, target), (409, 422))
            else:
                winners.setdefault(target.ref, caller)
    for target in targets:
        if target.ref not in winners:
            continue
        caller = winners[target.ref]
        # only the holder of the claim completes (issue 9): the winner claims first
        claimed = (matrix.post_api(caller, f"/api/v1/tasks/{target.ref}/claim", json={})
                   if where == "api" else
                   matrix.page(caller).post(f"/tasks/{target.ref}/claim", data={}))
        matrix.allowed(caller, target, claimed, (200, 303))
        if where == "api":
            # the variables that decide who sees the case are never written from outside
            scope = {**FORMS[target.bpmn_id or ""], "municipality": "zwijndrecht",
                     "corporation": "rhiant"}
            before = matrix.snapshot()
            answer = complete(caller, target, scope)
            matrix.allowed(caller, target, answer, (422,))
            if matrix.snapshot() != before:
                matrix.fail(caller, target, "a refused completion with scope fields changed "
                                            "the database")
        matrix.allowed(caller, target, complete(caller, target), (ok,))
    matrix.check()


def test_complete_taking_an_open_task_in_one_call(matrix: Matrix) -> None:
    """``claim: true`` takes an open task and completes it in one step: refused exactly as the
    missing task outside the caller's scope, 409 on a task someone holds or that is done, and
    a refused form leaves the task open and unclaimed (the claim is not half-written)."""
    def complete(caller: Caller, target: Target, data: dict[str, Any] | None = None) -> Any:
        data = FORMS.get(target.bpmn_id or "", {}) if data is None else data
        return matrix.post_api(caller, f"/api/v1/tasks/{target.ref}/complete",
                               json={"data": data, "claim": True})

    targets = matrix.task_targets()
    holders = {t.ref: _holder(t) for t in targets if t.state == "open"}
    held = next(iter(holders))  # one open task held by a team member: others get 409
    _claim_by(matrix, matrix.world.actors[holders[held]], held)
    missing_target = Target("missing", MISSING_TASK, bpmn_id="outreach")
    winners: dict[str, Caller] = {}
    for caller in CALLERS:
        missing = complete(caller, missing_target)
        for target in targets:
            if not _sees_task(caller, target):
                matrix.refused(caller, target, lambda: complete(caller, target), missing,
                               role_refused=False)
            elif target.ref == held and caller.name != holders[held]:
                matrix.allowed(caller, target, complete(caller, target), (409,))
            elif target.state != "open":
                matrix.allowed(caller, target, complete(caller, target), (409, 422))
            elif target.ref != held:
                winners.setdefault(target.ref, caller)
    assert winners, "no open task to take"
    for ref, caller in winners.items():
        target = next(t for t in targets if t.ref == ref)
        scope = {**FORMS[target.bpmn_id or ""], "municipality": "zwijndrecht",
                 "corporation": "rhiant"}
        before = matrix.snapshot()
        matrix.allowed(caller, target, complete(caller, target, scope), (422,))
        if matrix.snapshot() != before:
            matrix.fail(caller, target, "a refused completion that takes the task changed "
                                        "the database")
        if matrix.allowed(caller, target, complete(caller, target), (200,)):
            with matrix.session() as session:
                done = session.get(HumanTask, ref)
                assert done is not None
                taken = (done.state, done.assignee_id, done.completed_by)
            if taken != ("completed", matrix.actor(caller).user_id, caller.name):
                matrix.fail(caller, target, f"taken and completed as {taken}")
    matrix.check()


# --- deployments and instances -------------------------------------------------------------

def _bundle_json() -> dict[str, Any]:
    files = [p for p in BUNDLE.rglob("*") if p.is_file()]
    return {"files": [{"name": str(p.relative_to(BUNDLE)),
                       "content_base64": base64.b64encode(p.read_bytes()).decode()}
                      for p in files]}


def _owns_processes(caller: Caller) -> bool:
    return caller.kind == "person" and caller.role in ("process_owner", "admin")


def test_deployments(matrix: Matrix) -> None:
    target = Target("the review bundle", "review")
    for caller in CALLERS:
        answer = lambda caller=caller: matrix.post_api(  # noqa: E731
            caller, "/api/v1/deployments", json=_bundle_json())
        if _owns_processes(caller):
            matrix.allowed(caller, target, answer(), (200, 201))
        else:
            class Refusal:
                status_code = 403
            matrix.refused(caller, target, answer, Refusal(), role_refused=True)
    matrix.check()


def test_instance_start(matrix: Matrix) -> None:
    deploy(matrix.ctx, "review")
    target = Target("process review", "review")
    for caller in CALLERS:
        answer = lambda caller=caller: matrix.post_api(  # noqa: E731
            caller, "/api/v1/instances", json={"process_id": "review"})
        if _owns_processes(caller):
            matrix.allowed(caller, target, answer(), (201,))
        else:
            class Refusal:
                status_code = 403
            matrix.refused(caller, target, answer, Refusal(), role_refused=True)
    matrix.check()


def test_instance_retry(matrix: Matrix) -> None:
    def retry(caller: Caller, instance_id: str) -> Any:
        return matrix.post_api(caller, f"/api/v1/instances/{instance_id}/retry", json={})

    for caller in CALLERS:
        admin = caller.kind == "person" and caller.role == "admin"
        missing = retry(caller, str(MISSING_INSTANCE))
        for target in matrix.instance_targets():
            if admin:  # none of the world's instances is in error
                matrix.allowed(caller, target, retry(caller, target.ref), (409,))
            else:
                matrix.refused(caller, target, lambda: retry(caller, target.ref), missing,
                               role_refused=True)
    matrix.check()
