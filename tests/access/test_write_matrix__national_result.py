"""The write matrix (``test_write_matrix``) for correcting a case's national result (issue 10):
every role × organisation and every machine token, through the API and the page, against each
case of the world and a missing one. Only the social team lead of the case's municipality
corrects it (domain.md §6: "Closure reason (national code)" is R/W for the social team; the
correction is the coordinator's); every other role — the social team's members, the desks and
their leads, the corporations, the administrator, every machine token — is refused before
anything is looked up (403); the lead on another municipality's case gets the missing case's
404, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine.models import Case, HumanTask
from tests.access.test_write_matrix import CALLERS, MISSING_CASE, PEOPLE, Caller, Matrix, matrix
from tests.access.world import CASE_ACCESS
from tests.casework import complete_claimed

__all__ = ["matrix"]  # the fixture

#: The correction the lead makes: a value of DDAS ``EnumEindresultaat``.
BODY = {"national_result": "Inwoner is overleden", "reason": "Bericht van de BRP"}


def _corrects(caller: Caller) -> bool:
    return caller.kind == "person" and caller.role == "social_team_lead"


def _close(matrix: Matrix, label: str) -> None:
    """The desk completes its task; the test chain then closes the case."""
    desk = matrix.world.actors["sdd"]
    number = matrix.world.cases[label]
    with matrix.ctx.sessionmaker.begin() as session:
        task_id = session.scalars(select(HumanTask.id).where(
            HumanTask.case_number == number, HumanTask.role == desk.role,
            HumanTask.state == "open")).one()
        complete_claimed(matrix.ctx, session, desk, task_id,
                         {"intake_date": "2026-04-23", "intake_note": "Intake gehouden"})
    with matrix.ctx.sessionmaker() as session:
        assert session.scalar(select(Case.closed).where(Case.case_number == number)) is True


@pytest.mark.parametrize("where", ["api", "page"])
def test_correct_national_result(matrix: Matrix, where: str) -> None:
    _close(matrix, "dordrecht_sdd")  # a closed case: the lead's correction goes through

    def correct(caller: Caller, number: str) -> Any:
        if where == "api":
            return matrix.post_api(caller, f"/api/v1/cases/{number}/national-result",
                                   json=BODY)
        return matrix.page(caller).post(f"/cases/{number}/result", data=BODY)

    ok = (200,) if where == "api" else (303,)
    for caller in CALLERS if where == "api" else PEOPLE:
        missing = correct(caller, MISSING_CASE)
        for target in matrix.case_targets():
            if _corrects(caller) and caller.name in CASE_ACCESS[target.case or ""]:
                closed = target.case == "dordrecht_sdd"
                # the open cases answer "not closed yet" (422), an object the lead may know
                matrix.allowed(caller, target, correct(caller, target.ref),
                               ok if closed else (422,))
            else:
                matrix.refused(caller, target, lambda: correct(caller, target.ref), missing,
                               role_refused=not _corrects(caller))
    matrix.check()
    with matrix.ctx.sessionmaker() as session:
        results = dict(session.execute(select(Case.case_number, Case.national_result)).all())
    assert results[matrix.world.cases["dordrecht_sdd"]] == BODY["national_result"]
    assert [n for label, n in matrix.world.cases.items() if label != "dordrecht_sdd"
            and results[n] is not None] == []
