"""Subject access and correction (AVG art. 15 and 16): everything Ketenflow holds about one
tenant, with every read of it, and an administrator's correction of their personal data.

A tenant is found by one of their case numbers or by postcode and house number; their cases
are every case at that address (a household's reopened and repeat cases live there too). The
report is itself a read of those cases, so it is written to the access log before the log is
read: the tenant sees that their request was looked at. A correction keeps the old value in an
event (``retention.CORRECTED``), never silently overwrites it.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine import access
from engine.access import Actor
from engine.chain import policy
from engine.chain.retention import CORRECTED
from engine.context import EngineContext
from engine.errors import InvalidInput, NotAllowed, NotFound
from engine.models import (
    AccessLog,
    AccessLogCase,
    Case,
    CaseRecord,
    Event,
    HumanTask,
    Message,
    ProcessInstance,
    ReferralPackage,
)

#: What the access log says of a subject-access report.
READ_WHAT = "inzageverzoek (AVG art. 15)"
#: The case fields a correction may change (the pages label them).
CORRECTABLE = ("tenant_name", "street", "house_number", "postcode", "city", "phone", "email",
               "date_of_birth")
_POSTCODE = re.compile(r"^\s*(\d{4})\s*([A-Za-z]{2})\s*$")


def normalise_postcode(text: str) -> str | None:
    found = _POSTCODE.match(text or "")
    return f"{found.group(1)} {found.group(2).upper()}" if found else None


def find_cases(session: Session, case_number: str = "", postcode: str = "",
               house_number: str = "") -> list[Case]:
    """The tenant's cases. :raise InvalidInput: neither a case number nor a whole address.
    :raise NotFound: no case there."""
    number = case_number.strip().upper()
    if number:
        case = session.scalar(select(Case).where(Case.case_number == number))
        if case is None:
            raise NotFound(f"geen zaak met nummer {number[:40]}")
        if not case.postcode or not case.house_number:
            return [case]
        postcode, house_number = case.postcode, case.house_number
    else:
        errors: dict[str, str] = {}
        normal = normalise_postcode(postcode)
        if normal is None:
            errors["postcode"] = "vul een postcode in als 1234 AB (of een zaaknummer)"
        if not house_number.strip():
            errors["house_number"] = "vul het huisnummer in"
        if errors:
            raise InvalidInput(errors)
        postcode = normal or ""
    cases = list(session.scalars(select(Case).where(
        Case.postcode == postcode, Case.house_number == house_number.strip())
        .order_by(Case.created_at, Case.id)))
    if not cases:
        raise NotFound("geen zaak op dit adres")
    return cases


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def report(ctx: EngineContext, actor: Actor, case_number: str = "", postcode: str = "",
           house_number: str = "") -> dict[str, Any]:
    """Everything about the tenant, as plain JSON; logs the read first.

    :raise NotAllowed: the actor lacks ``policy.SUBJECT_ACCESS``.
    """
    if not access.may(actor, policy.SUBJECT_ACCESS):
        raise NotAllowed("alleen de beheerder en de privacyfunctionaris zien een inzageverzoek")
    with ctx.sessionmaker.begin() as session:
        cases = find_cases(session, case_number, postcode, house_number)
        numbers = [c.case_number for c in cases]
        access.record_access(session, actor, ctx.clock.now(), numbers, READ_WHAT)
    with ctx.sessionmaker() as session:
        return {"aangemaakt": ctx.clock.now().isoformat(), "zaken": [
            _case(session, c) for c in session.scalars(select(Case).where(
                Case.case_number.in_(numbers)).order_by(Case.created_at, Case.id))],
            "inzage": [{"moment": _plain(r.at), "gebruiker": r.username, "rol": r.role,
                        "organisatie": r.organisation, "zaak": number, "wat": r.what}
                       for r, number in session.execute(
                           select(AccessLog, AccessLogCase.case_number)
                           .join(AccessLogCase, AccessLogCase.log_id == AccessLog.id)
                           .where(AccessLogCase.case_number.in_(numbers))
                           .order_by(AccessLog.at, AccessLog.id, AccessLogCase.case_number))
                       ]}


def _case(session: Session, case: Case) -> dict[str, Any]:
    number = case.case_number
    fields = {column.key: _plain(getattr(case, column.key)) for column in Case.__table__.columns
              if column.key not in ("id", "holder_id", "previous_case_id")}
    instance_ids = list(session.scalars(select(ProcessInstance.id).where(
        ProcessInstance.business_key == number)))
    events: list[Event] = list(session.scalars(select(Event).where(
        Event.instance_id.in_(instance_ids)).order_by(Event.at, Event.id))) if instance_ids else []
    return {
        "zaaknummer": number, "gegevens": fields,
        "taken": [{"taak": t.name, "rol": t.role, "status": t.state,
                   "aangemaakt": _plain(t.created_at), "afgerond": _plain(t.completed_at),
                   "door": t.completed_by} for t in session.scalars(
            select(HumanTask).where(HumanTask.case_number == number)
            .order_by(HumanTask.created_at, HumanTask.id))],
        "vastleggingen": [{"taak": r.task_name, "rol": r.role, "door": r.completed_by,
                           "moment": _plain(r.completed_at), "gegevens": r.data,
                           "besluiten": r.context} for r in session.scalars(
            select(CaseRecord).where(CaseRecord.case_number == number)
            .order_by(CaseRecord.completed_at, CaseRecord.id))],
        "gebeurtenissen": [{"moment": _plain(e.at), "soort": e.kind, "door": e.actor,
                            "details": e.detail} for e in events],
        "berichten": [{"bericht": m.name, "ontvangen": _plain(m.received_at),
                       "afzender": m.sender, "inhoud": m.payload} for m in session.scalars(
            select(Message).where(Message.correlation_value == number)
            .order_by(Message.received_at, Message.id))],
        "verwijzingen": [{"aan": p.recipient_organisation, "versie": p.version,
                          "samenvatting": p.summary, "toestemming": p.consent_given,
                          "grondslag": p.legal_ground, "zrm": p.zrm_summary,
                          "moment": _plain(p.created_at), "door": p.created_by}
                         for p in session.scalars(select(ReferralPackage).where(
                             ReferralPackage.case_number == number)
                             .order_by(ReferralPackage.created_at, ReferralPackage.id))],
    }


def correct(ctx: EngineContext, actor: Actor, case_number: str, field: str, value: str,
            reason: str) -> dict[str, Any]:
    """Correct one personal field of a case (AVG art. 16); the event keeps the old value.

    :raise NotAllowed: the actor lacks ``policy.CORRECT_PERSONAL_DATA``.
    :raise InvalidInput: an unknown field, an invalid value or no reason (named per field).
    :raise NotFound: no such case.
    """
    if not access.may(actor, policy.CORRECT_PERSONAL_DATA):
        raise NotAllowed("alleen de beheerder corrigeert persoonsgegevens")
    errors: dict[str, str] = {}
    new: Any = value.strip()
    if field not in CORRECTABLE:
        errors["field"] = "kies een van de gegevens van de huurder"
    elif field == "postcode":
        new = normalise_postcode(new)
        if new is None:
            errors["value"] = "vul een postcode in als 1234 AB"
    elif field == "date_of_birth":
        try:
            new = date.fromisoformat(new) if new else None
        except ValueError:
            errors["value"] = "vul een datum in (JJJJ-MM-DD)"
    elif field in ("tenant_name", "street", "house_number", "city") and not new:
        errors["value"] = "mag niet leeg zijn"
    elif not new:
        new = None
    if isinstance(new, str) and len(new) > 200:
        errors["value"] = "is langer dan 200 tekens"
    if len(reason.strip()) < 5:
        errors["reason"] = "geef de reden van de correctie (minstens 5 tekens)"
    if errors:
        raise InvalidInput(errors)
    with ctx.sessionmaker.begin() as session:
        case = session.scalar(select(Case).where(Case.case_number == case_number.strip()
                                                 .upper()).with_for_update())
        if case is None:
            raise NotFound(f"geen zaak met nummer {case_number[:40]}")
        old = getattr(case, field)
        setattr(case, field, new)
        case.updated_at = ctx.clock.now()
        detail = {"case_number": case.case_number, "field": field, "old": _plain(old),
                  "new": _plain(new), "reason": reason.strip()[:2000]}
        session.execute(insert(Event), [{
            "instance_id": session.scalar(select(ProcessInstance.id).where(
                ProcessInstance.business_key == case.case_number).order_by(ProcessInstance.id)
                .limit(1)),
            "at": ctx.clock.now(), "kind": CORRECTED, "element_id": None, "task_id": None,
            "actor": actor.username[:100], "detail": detail}])
    return detail
