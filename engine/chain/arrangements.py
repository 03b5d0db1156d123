"""Where a case's payment arrangement stands: proposed, refused, running (so many of the agreed
months confirmed), kept or broken — what the corporation and the social team see on the case.

Read from what the chain already keeps: the corporation's answer in the case file (its
``review_payment_arrangement`` record) and the engine's step events of ``payment_arrangement``
(``start_monitoring`` starts a term, ``count_confirmed_month`` confirms a month). Who may see
it follows the case file's policy for the category ``arrangement``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import Actor, case_view_kind
from engine.chain import case_file
from engine.models import CaseRecord, Event, ProcessInstance

PROCESS = "payment_arrangement"
REVIEW = "review_payment_arrangement"
#: The step events that mark the arrangement's progress, by the element that completed.
STARTED, CONFIRMED, KEPT, REFERRED = ("start_monitoring", "count_confirmed_month",
                                      "record_arrangement_kept", "record_referral_route")
#: The social team's follow-up of a break (by message, or the corporation's "not paid").
BROKEN = "follow_up_broken_arrangement"


@dataclass(frozen=True)
class ArrangementStatus:
    """``state``: ``refused``, ``running``, ``kept``, ``broken``, or ``referred`` (the social
    team chose a referral after a refusal or a break; only the social team learns that: a
    referral to the SDD is not the corporation's to know, domain.md §6)."""

    state: str
    months_confirmed: int
    term_months: int | None
    instalment: float | None


def status(session: Session, actor: Actor, case_number: str) -> ArrangementStatus | None:
    """The case's latest arrangement as ``actor`` may see it; None when there is none or the
    role reads nothing of arrangements. The caller has checked the case is in scope."""
    if case_file.visible_fields("arrangement", actor.role) == ():
        return None
    review = session.scalars(select(CaseRecord).where(
        CaseRecord.case_number == case_number, CaseRecord.process_id == PROCESS,
        CaseRecord.bpmn_id == REVIEW)
        .order_by(CaseRecord.completed_at.desc(), CaseRecord.id.desc()).limit(1)).first()
    if review is None:
        return None
    data = review.data or {}
    term = data.get("arrangement_term_months")
    instalment = data.get("agreed_instalment")
    shown_term = term if isinstance(term, int) else None
    shown_instalment = float(instalment) if isinstance(instalment, int | float) else None
    steps = session.execute(
        select(Event.element_id, Event.kind).join(
            ProcessInstance, ProcessInstance.id == Event.instance_id)
        .where(ProcessInstance.business_key == case_number, Event.at >= review.completed_at,
               Event.kind.in_(("element_completed", "task_ready")),
               Event.element_id.in_((STARTED, CONFIRMED, KEPT, REFERRED, BROKEN)))
        .order_by(Event.id)).all()
    # only who sees the whole case learns that a referral followed (domain.md §6)
    if case_view_kind(actor) != "full":
        steps = [e for e in steps if e.element_id != REFERRED]
    if data.get("arrangement_accepted") is not True:
        referred = any(e.element_id == REFERRED for e in steps)
        return ArrangementStatus("referred" if referred else "refused", 0, shown_term,
                                 shown_instalment)
    confirmed = sum(1 for e in steps if e.element_id == CONFIRMED
                    and e.kind == "element_completed")
    ended = [e.element_id for e in steps if e.element_id in (KEPT, REFERRED)]
    if ended:
        state = "kept" if ended[-1] == KEPT else "referred"
    elif steps and steps[-1].element_id == BROKEN:
        state = "broken"
    else:
        state = "running"
    return ArrangementStatus(state, confirmed, shown_term, shown_instalment)

