"""The write matrix (``test_write_matrix``) for correcting a referral package: every role ×
organisation and every machine token, against each case of the world and a missing one, for
both desks. Only a person of the social team of the case's municipality corrects (the Meldpunt's
package only its coordinator, who reads it back: domain.md §6); every other role is refused
before anything is looked up (403), another scope answers as for a missing case."""

from __future__ import annotations

from typing import Any

from tests.access.test_write_matrix import CALLERS, MISSING_CASE, Caller, Matrix, matrix
from tests.access.world import CASE_ACCESS

__all__ = ["matrix"]  # the fixture

SOCIAL_TEAM = ("social_team", "social_team_lead")
DATA = {"budget_advice": {"sdd_service": "budget_advice", "referral_summary": "Gecorrigeerd",
                          "consent_given": True},
        "care_referral": {"care_referral_summary": "Gecorrigeerd", "care_consent_given": True,
                          "care_urgency": "urgent"}}


def _corrects(caller: Caller) -> bool:
    return caller.kind == "person" and caller.role in SOCIAL_TEAM


def test_correct_referral_package(matrix: Matrix) -> None:
    def correct(caller: Caller, number: str, recipient: str) -> Any:
        return matrix.post_api(caller, f"/api/v1/cases/{number}/referral-packages/{recipient}",
                               json={"data": DATA[recipient], "reason": "Correctie"})

    for caller in CALLERS:
        for recipient in DATA:
            missing = correct(caller, MISSING_CASE, recipient)
            for target in matrix.case_targets():
                reads = recipient == "budget_advice" or caller.role == "social_team_lead"
                if _corrects(caller) and reads and \
                        caller.name in CASE_ACCESS.get(target.case or "", set()):
                    # allowed; this world's referrals come from a test chain without
                    # package forms, so the answer is "nothing sent to that desk yet"
                    matrix.allowed(caller, target, correct(caller, target.ref, recipient),
                                   (200, 422))
                else:
                    matrix.refused(caller, target,
                                   lambda: correct(caller, target.ref, recipient), missing,
                                   role_refused=not _corrects(caller))
    matrix.check()
