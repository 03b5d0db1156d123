"""The household behind a case: its earlier cases, repeats and follow-up cases.

A household is known by its address (postcode and house number, as intake normalises them).
Three links (issue 10, items 3 and 6):

- a legal event (court summons, judgment, eviction date) for a *closed* case reopens the
  household's file as a new case that names the closed one (``opened_by = "reopened:<event>"``);
  later messages about the closed case reach that follow-up case;
- a signal for an address whose case closed in the last twelve months is a repeat
  (``repeat``), linked to that case;
- a signal for an address with a running case is a duplicate; when its arrears are higher than
  the running case's, it is picked up after all (the national definition of a repeat signal is
  "same debt, not higher") and linked to the running case (``opened_by = "arrears_increased"``).

A household with an earlier case (running, or closed in the window) that was referred to the
SDD is flagged ``known_sdd_trajectory``: the chain maps it to "Inwoner heeft al een ander lopend
traject" (EnumEindresultaat) instead of starting a second trajectory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.chain.case_numbers import next_case_number
from engine.context import EngineContext
from engine.models import Case

LOCAL_TZ = ZoneInfo("Europe/Amsterdam")
#: The corporation's legal events that never drop a threat: each reopens a closed case.
LEGAL_EVENTS = ("court_summons", "judgment", "eviction_date_set")
#: The fields of a legal event the process reads (``legal_event`` of the start payload).
LEGAL_EVENT_FIELDS = ("hearing_date", "judgment_date", "outcome", "eviction_date")
#: How long after closure a new signal for the address counts as a repeat (issue 10, item 6).
REPEAT_WINDOW = timedelta(days=365)
#: How far the chain of follow-up cases is followed (a guard; real chains are 1-3 long).
_MAX_FOLLOW = 20
_EXTERNAL_ID_LENGTH = 100  # Case.external_id
#: How a case began (``Case.opened_by``), as the case page says it: (Dutch, English).
OPENED_BY_LABELS: dict[str, tuple[str, str]] = {
    "reopened:court_summons": ("Heropend na een dagvaarding", "Reopened after a court summons"),
    "reopened:judgment": ("Heropend na een vonnis", "Reopened after a judgment"),
    "reopened:eviction_date_set": ("Heropend na een ontruimingsdatum",
                                   "Reopened after an eviction date"),
    "legal_event:court_summons": ("Gemeld met een dagvaarding", "Reported with a court summons"),
    "legal_event:judgment": ("Gemeld met een vonnis", "Reported with a judgment"),
    "legal_event:eviction_date_set": ("Gemeld met een ontruimingsdatum",
                                      "Reported with an eviction date"),
    "arrears_increased": ("Nieuwe melding met een hogere achterstand",
                          "New signal with higher arrears"),
}


@dataclass(frozen=True)
class Household:
    """What the chain already knows of an address when a new signal arrives."""

    open_case: Case | None
    recent_closed: Case | None
    known_sdd_trajectory: bool


@dataclass(frozen=True)
class EarlierCase:
    """One earlier case of a household, as the case page lists it (no household data)."""

    case_number: str
    created_at: datetime
    closed_at: datetime | None
    outcome: str | None
    opened_by: str | None
    repeat: bool


def history(session: Session, case: Case, corporation: str | None = None
            ) -> list[EarlierCase]:
    """The household's earlier cases that ``case`` links back to, newest first; with
    ``corporation``, only that corporation's own (what a corporation may see)."""
    found: list[EarlierCase] = []
    previous_id = case.previous_case_id
    for _ in range(_MAX_FOLLOW):
        if previous_id is None:
            break
        earlier = session.get(Case, previous_id)
        if earlier is None:
            break
        if corporation is None or earlier.corporation == corporation:
            found.append(EarlierCase(earlier.case_number, earlier.created_at, earlier.closed_at,
                                     earlier.outcome, earlier.opened_by, earlier.repeat))
        previous_id = earlier.previous_case_id
    return found


def look_up(session: Session, postcode: str, house_number: str, now: datetime) -> Household:
    """The address's newest running case (picked up, not closed), its newest case closed
    within ``REPEAT_WINDOW``, and whether any of these went to the SDD."""
    since = now - REPEAT_WINDOW
    rows = session.scalars(select(Case).where(
        Case.postcode == postcode, Case.house_number == house_number,
        or_(Case.closed.is_(False), Case.closed_at >= since))
        .order_by(Case.id.desc()).limit(50)).all()
    # a signal that was not picked up runs only to its closure: it is no running case
    open_case = next((c for c in rows if not c.closed and c.milestone != "not_picked_up"),
                     None)
    recent = next((c for c in rows if c.closed), None)
    return Household(open_case, recent, any(c.referred_to_sdd for c in rows))


def current_case(session: Session, case: Case) -> Case:
    """The newest case of ``case``'s reopen chain (``case`` itself when never reopened)."""
    for _ in range(_MAX_FOLLOW):
        follow_up = session.scalars(select(Case).where(
            Case.previous_case_id == case.id, Case.opened_by.startswith("reopened:"))
            .order_by(Case.id.desc()).limit(1)).first()
        if follow_up is None:
            return case
        case = follow_up
    return case


def legal_event(name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The ``legal_event`` of a start payload: the event's kind and its known fields."""
    return {"kind": name, **{k: payload[k] for k in LEGAL_EVENT_FIELDS
                             if payload.get(k) not in (None, "")}}


def reopen(ctx: EngineContext, session: Session, closed: Case, event: str,
           payload: dict[str, Any], username: str | None) -> Case:
    """A new case for the household of ``closed``, linked to it, after the legal ``event``.

    The household's data is carried over (it is the same tenancy); the corporation's reference
    gets the new case number appended, since a reference names one case.
    """
    now = ctx.clock.now()
    number = next_case_number(session, closed.municipality, now.astimezone(LOCAL_TZ).year)
    household = look_up(session, closed.postcode, closed.house_number, now)
    reference = f"{closed.external_id[:_EXTERNAL_ID_LENGTH - len(number) - 1]}/{number}"
    case = Case(
        case_number=number, corporation=closed.corporation, municipality=closed.municipality,
        external_id=reference, tenant_name=closed.tenant_name, street=closed.street,
        house_number=closed.house_number, postcode=closed.postcode, city=closed.city,
        phone=closed.phone, email=closed.email, date_of_birth=closed.date_of_birth,
        synthetic=closed.synthetic, arrears_amount=closed.arrears_amount,
        arrears_months=closed.arrears_months, arrears_since=closed.arrears_since,
        monthly_rent=closed.monthly_rent, crisis=False, warm_handover=False, duplicate=False,
        milestone="received", closed=False, referred_to_sdd=False, referred_to_care=False,
        previous_case_id=closed.id, opened_by=f"reopened:{event}",
        repeat=closed.closed_at is not None and closed.closed_at >= now - REPEAT_WINDOW,
        known_sdd_trajectory=household.known_sdd_trajectory,
        hearing_date=_day(payload.get("hearing_date")),
        eviction_date=_day(payload.get("eviction_date")),
        created_at=now, updated_at=now, created_by=username)
    session.add(case)
    session.flush()
    return case


def start_payload(ctx: EngineContext, session: Session, case: Case,
                  **extra: Any) -> dict[str, Any]:
    """The ``arrears_signal`` payload of ``case``: routing and timing data, never identity."""
    payload: dict[str, Any] = {
        "case_number": case.case_number, "municipality": case.municipality,
        "corporation": case.corporation, "arrears_amount": float(case.arrears_amount),
        "arrears_months": case.arrears_months, "monthly_rent": float(case.monthly_rent),
        "crisis": case.crisis, "warm_handover": case.warm_handover,
        "duplicate": case.duplicate, "repeat": case.repeat,
        "arrears_increased": case.opened_by == "arrears_increased",
        "known_sdd_trajectory": case.known_sdd_trajectory,
        "reopened": (case.opened_by or "").startswith("reopened:"),
        "received_on": ctx.clock.now().astimezone(LOCAL_TZ).date().isoformat(),
    }
    if case.previous_case_id is not None:
        payload["previous_case_number"] = session.scalar(
            select(Case.case_number).where(Case.id == case.previous_case_id))
    payload.update(extra)
    return payload


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


class ClosedCaseEvents:
    """The chain's answer to a message about a closed case (``ChainHooks.closed_cases``): a
    legal event reopens the household's file, so the legal track never drops a threat."""

    def follow(self, session: Session, case: Case, /) -> Case:
        return current_case(session, case)

    def reopens(self, name: str, /) -> bool:
        return name in LEGAL_EVENTS

    def reopen(self, ctx: EngineContext, session: Session, closed: Case, name: str,
               payload: dict[str, Any], username: str | None, /
               ) -> tuple[Case, dict[str, Any]]:
        case = reopen(ctx, session, closed, name, payload, username)
        return case, start_payload(ctx, session, case, legal_event=legal_event(name, payload))
