"""Referral packages: what the social team sends the SDD or the Meldpunt, as versioned
documents (issue 9 item 3).

A referral task (``SOURCES``) that completes writes version 1 of its recipient's package: the
summary, the service asked for, the consent or the legal ground for a referral without it
(AVG art. 6 lid 1 sub e with the Wgs, or sub d, vital interest), the urgency, and the ZRM
scores only where the tenant's consent covers them. A correction by the social team writes
the next version; earlier versions stay as they were sent. A second referral to the same desk
(after a broken arrangement) is the next version too: the desk works from the latest.

Who reads which package follows the case file's policy (``policy.MATRIX`` for the
categories ``referral_sdd`` and ``referral_care``); a desk reads only packages addressed to
its own role and organisation, also after its access to the household ended (a logged read).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine.access import (
    Actor,
    case_scope,
    case_view_kind,
    may,
    own_package_scope,
    record_access,
    record_refusal,
    referral_lane,
)
from engine.chain import case_file, policy
from engine.context import EngineContext
from engine.errors import InvalidInput, NotAllowed, NotFound
from engine.forms import choice_title, form_fields, validate
from engine.models import Case, CaseRecord, HumanTask, ReferralPackage


@dataclass(frozen=True)
class Source:
    """A referral task, its recipient, and which of its form's fields fill the package."""

    recipient_role: str
    recipient_organisation: str
    category: str  # the case file's data category (``policy.MATRIX``)
    summary: str
    service: str
    consent: str
    legal_ground: str
    urgency: str
    zrm_consent: str


#: (process id, task id) of a referral task -> how its form fills the package.
SOURCES: dict[tuple[str, str], Source] = {
    ("debt_assistance_referral", "prepare_sdd_referral"): Source(
        policy.SDD, "sdd", "referral_sdd", "referral_summary", "sdd_service",
        "consent_given", "legal_ground", "sdd_urgency", "zrm_summary_consent"),
    ("care_referral", "prepare_care_referral"): Source(
        policy.MZO, "veilig-thuis", "referral_care", "care_referral_summary",
        "care_service", "care_consent_given", "care_legal_ground", "care_urgency",
        "care_zrm_summary_consent"),
}
#: The recipient desk's role -> its referral task.
BY_RECIPIENT: dict[str, tuple[tuple[str, str], Source]] = {
    source.recipient_role: (key, source) for key, source in SOURCES.items()}
#: The ZRM task whose scores a package may carry (the latest one of the case).
ZRM_TASK = ("assessment_plan", "score_zrm")
URGENT = "urgent"
MAX_REASON = 2000

#: What the access log says of reading packages (the case file page logs its own read).
PACKAGE_READ = "referral packages"
TASK_PACKAGE_READ = "task referral package"
OWN_PACKAGE_READ = "own referral package"


@dataclass(frozen=True)
class ZrmScore:
    label: tuple[str, str]
    score: int


@dataclass(frozen=True)
class PackageView:
    """One version of a package, with the labels of its choices (Dutch, English)."""

    id: int
    case_number: str
    recipient_role: str
    recipient_organisation: str
    version: int
    latest: bool
    summary: str
    requested_service: str | None
    service_title: tuple[str, str] | None
    consent_given: bool
    legal_ground: str | None
    legal_ground_title: tuple[str, str] | None
    urgency: str
    zrm_date: str | None
    zrm: tuple[ZrmScore, ...]
    correction_reason: str | None
    created_by: str
    created_at: datetime

    @property
    def urgent(self) -> bool:
        return self.urgency == URGENT

    def as_json(self) -> dict[str, Any]:
        def title(pair: tuple[str, str] | None) -> dict[str, str] | None:
            return {"nl": pair[0], "en": pair[1]} if pair else None
        return {
            "case_number": self.case_number, "recipient_role": self.recipient_role,
            "recipient_organisation": self.recipient_organisation, "version": self.version,
            "latest": self.latest, "summary": self.summary,
            "requested_service": self.requested_service,
            "requested_service_title": title(self.service_title),
            "consent_given": self.consent_given, "legal_ground": self.legal_ground,
            "legal_ground_title": title(self.legal_ground_title), "urgency": self.urgency,
            "urgent": self.urgent,
            "zrm_summary": None if self.zrm_date is None and not self.zrm else {
                "date": self.zrm_date,
                "scores": [{"label": s.label[0], "label_en": s.label[1], "score": s.score}
                           for s in self.zrm]},
            "correction_reason": self.correction_reason, "created_by": self.created_by,
            "created_at": self.created_at.isoformat()}


# --- writing -------------------------------------------------------------------------------

def record_from_task(ctx: EngineContext, session: Session, actor: Actor, process_id: str,
                     bpmn_id: str, task_id: str, case_number: str | None, instance_id: int,
                     data: dict[str, Any]) -> ReferralPackage | None:
    """A completed referral task sends its recipient the next version of the package
    (version 1 the first time). Other tasks, and tasks outside a case, send nothing."""
    source = SOURCES.get((process_id, bpmn_id))
    if source is None or not case_number:
        return None
    # the crisis flag as the process had it when the referral was made (the case file keeps
    # it with the task's record), or as the corporation's signal gave it
    context = session.scalar(select(CaseRecord.context).where(CaseRecord.task_id == task_id))
    crisis = isinstance(context, dict) and context.get("crisis") is True
    return _write(ctx, session, actor, source, case_number, instance_id, data, task_id, None,
                  crisis)


def _write(ctx: EngineContext, session: Session, actor: Actor, source: Source,
           case_number: str, instance_id: int, data: dict[str, Any], task_id: str | None,
           reason: str | None, crisis: bool = False) -> ReferralPackage:
    latest = session.scalar(select(func.max(ReferralPackage.version)).where(
        ReferralPackage.case_number == case_number,
        ReferralPackage.recipient_role == source.recipient_role)) or 0
    signal = session.scalar(select(Case.crisis).where(Case.case_number == case_number))
    consent = data.get(source.consent) is True
    urgent = data.get(source.urgency) == URGENT or crisis or signal is True
    zrm = _zrm_summary(session, case_number) \
        if consent and data.get(source.zrm_consent) is True else None
    row = ReferralPackage(
        case_number=case_number, instance_id=instance_id,
        recipient_organisation=source.recipient_organisation,
        recipient_role=source.recipient_role, version=latest + 1,
        summary=str(data.get(source.summary) or ""),
        requested_service=data.get(source.service), consent_given=consent,
        legal_ground=None if consent else data.get(source.legal_ground),
        urgency=URGENT if urgent else "regular", zrm_summary=zrm, source_task_id=task_id,
        correction_reason=reason, created_by=actor.username[:100],
        created_at=ctx.clock.now())
    session.add(row)
    session.flush()
    return row


def _zrm_summary(session: Session, case_number: str) -> dict[str, Any] | None:
    """The scores of the case's latest ZRM (no notes: those are the caseworker's words about
    the household), with their labels as the form gave them, so the package reads on its
    own; None when no ZRM was taken."""
    record = session.scalars(select(CaseRecord).where(
        CaseRecord.case_number == case_number, CaseRecord.process_id == ZRM_TASK[0],
        CaseRecord.bpmn_id == ZRM_TASK[1])
        .order_by(CaseRecord.completed_at.desc(), CaseRecord.id.desc()).limit(1)).first()
    if record is None:
        return None
    data = record.data or {}
    scores = [name for name, value in data.items()
              if isinstance(value, int) and not isinstance(value, bool)
              and f"{name}_note" in data]
    return {"date": data.get("zrm_date"), "record_id": record.id, "scores": {
        name: data[name] for name in scores}}


def correct(ctx: EngineContext, session: Session, actor: Actor, case_number: str,
            recipient_role: str, data: Any, reason: Any) -> ReferralPackage:
    """The social team corrects a package it sent: the referral form's fields as they should
    have been (checked as the form checks them) and why; the result is the next version.

    :raise NotAllowed: not someone of the social team.
    :raise NotFound: not a case of the actor's municipality, or no such desk.
    :raise InvalidInput: nothing sent to that desk yet, a bad field, or no reason.
    """
    if not may(actor, policy.CORRECT_REFERRALS):
        raise NotAllowed("alleen het sociaal team corrigeert een verwijzing")
    found = BY_RECIPIENT.get(recipient_role)
    case = session.scalars(select(Case).where(Case.case_number == case_number,
                                              case_scope(actor))).first()
    if case is None or found is None:
        existing = session.scalar(select(Case.case_number).where(
            Case.case_number == case_number))
        record_refusal(ctx, actor, "referral package correction", case_number, existing)
        raise NotFound("case not found")
    _key, source = found
    if case_file.visible_fields(source.category, actor.role) == ():
        record_refusal(ctx, actor, "referral package correction", case_number, case_number)
        raise NotFound("case not found")
    first = session.scalars(select(ReferralPackage).where(
        ReferralPackage.case_number == case_number,
        ReferralPackage.recipient_role == recipient_role)
        .order_by(ReferralPackage.version).limit(1)).first()
    if first is None:
        raise InvalidInput({"recipient": "Er is nog geen verwijzing naar deze organisatie "
                                         "verstuurd: er is niets te corrigeren."})
    text = reason.strip() if isinstance(reason, str) else ""
    if not text or len(text) > MAX_REASON:
        raise InvalidInput({"correction_reason": f"Reden van de correctie: vul in waarom het "
                                                 f"pakket verandert (hoogstens {MAX_REASON} "
                                                 "tekens)."})
    schema, validator = form_of(ctx, session, first)
    if validator is None:
        raise InvalidInput({"recipient": "Het verwijsformulier is niet meer beschikbaar."})
    validate(validator, data, fields=form_fields(schema))
    context = session.scalar(select(CaseRecord.context).where(
        CaseRecord.task_id == first.source_task_id)) if first.source_task_id else None
    crisis = isinstance(context, dict) and context.get("crisis") is True
    row = _write(ctx, session, actor, source, case_number, first.instance_id, dict(data),
                 first.source_task_id, text, crisis)
    if row.urgency == URGENT:  # the desk's open task goes to the top of its queue
        session.execute(update(HumanTask).where(
            HumanTask.case_number == case_number, HumanTask.role == recipient_role,
            HumanTask.state.in_(("open", "claimed")), HumanTask.urgent.is_(False))
            .values(urgent=True))
    return row


def correction_start(ctx: EngineContext, session: Session, actor: Actor, case_number: str,
                     recipient_role: str) -> tuple[dict[str, Any], dict[str, Any], PackageView]:
    """What the social team's correction form starts from: the referral form (schema), the
    latest version as that form's values, and that version. The read is logged.

    :raise NotAllowed: not someone of the social team.
    :raise NotFound: no package of this case the actor may read for that desk.
    """
    if not may(actor, policy.CORRECT_REFERRALS):
        raise NotAllowed("alleen het sociaal team corrigeert een verwijzing")
    latest = next(p for p in read(ctx, session, actor, case_number, recipient_role)
                  if p.latest)
    row = session.get(ReferralPackage, latest.id)
    assert row is not None
    first = session.scalars(select(ReferralPackage).where(
        ReferralPackage.case_number == case_number,
        ReferralPackage.recipient_role == recipient_role)
        .order_by(ReferralPackage.version).limit(1)).one()
    return form_of(ctx, session, first)[0], form_values(row), latest


def form_of(ctx: EngineContext, session: Session, package: ReferralPackage
            ) -> tuple[dict[str, Any], Any]:
    """The referral form the package's first version was sent with (schema, validator)."""
    record = session.scalars(select(CaseRecord).where(
        CaseRecord.task_id == package.source_task_id)).first() \
        if package.source_task_id else None
    if record is None or record.deployment_id is None or not record.form_file:
        return {}, None
    try:
        return ctx.specs.form(session, record.deployment_id, record.form_file)
    except NotFound:
        return {}, None


def form_values(package: ReferralPackage) -> dict[str, Any]:
    """A version's content as its referral form's fields (what a correction starts from)."""
    _key, source = BY_RECIPIENT[package.recipient_role]
    values: dict[str, Any] = {source.summary: package.summary,
                              source.consent: package.consent_given,
                              source.urgency: package.urgency,
                              source.zrm_consent: package.zrm_summary is not None}
    if package.requested_service:
        values[source.service] = package.requested_service
    if package.legal_ground:
        values[source.legal_ground] = package.legal_ground
    return values


# --- reading -------------------------------------------------------------------------------

def visible(ctx: EngineContext, session: Session, actor: Actor, case_number: str,
            recipient_role: str | None = None, latest_only: bool = False
            ) -> list[PackageView]:
    """The versions of the case's packages ``actor`` may read, newest first (per recipient).
    The caller has checked that the actor may see the case (or its own package) and logged
    the read."""
    desk = referral_lane(actor)
    roles = [role for role, (_k, source) in BY_RECIPIENT.items()
             if case_file.visible_fields(source.category, actor.role) != ()
             and (desk is None or role == desk)]
    if recipient_role is not None:
        roles = [r for r in roles if r == recipient_role]
    if not roles:
        return []
    query = select(ReferralPackage).where(ReferralPackage.case_number == case_number,
                                          ReferralPackage.recipient_role.in_(roles))
    if desk is not None:
        query = query.where(ReferralPackage.recipient_organisation == actor.organisation)
    rows = session.scalars(query.order_by(ReferralPackage.recipient_role,
                                          ReferralPackage.version.desc())).all()
    views: list[PackageView] = []
    forms: dict[str, dict[str, Any]] = {}
    for row in rows:
        latest = not views or views[-1].recipient_role != row.recipient_role
        if latest_only and not latest:
            continue
        if row.recipient_role not in forms:
            forms[row.recipient_role] = form_of(ctx, session, row)[0]
        views.append(_view(ctx, session, row, latest, forms[row.recipient_role]))
    return views


def read(ctx: EngineContext, session: Session, actor: Actor, case_number: str,
         recipient_role: str | None = None) -> list[PackageView]:
    """Every version the actor may read of the case's packages, newest first; the read is
    logged. A desk whose access to the household ended still reads its own package.

    :raise NotFound: the actor may not see the case or reads no package of it (logged).
    """
    kind = case_view_kind(actor)
    in_scope = kind in ("full", "referral") and session.scalar(
        select(Case.case_number).where(Case.case_number == case_number, case_scope(actor)))
    ended = not in_scope and referral_lane(actor) is not None and session.scalar(
        select(Case.case_number).where(Case.case_number == case_number,
                                       own_package_scope(actor)))
    packages = visible(ctx, session, actor, case_number, recipient_role) \
        if in_scope or ended else []
    if not packages:
        existing = session.scalar(select(Case.case_number).where(
            Case.case_number == case_number))
        record_refusal(ctx, actor, PACKAGE_READ, case_number, existing)
        raise NotFound("case not found")
    record_access(session, actor, ctx.clock.now(), [case_number],
                  OWN_PACKAGE_READ if ended else PACKAGE_READ)
    return packages


def for_task(ctx: EngineContext, session: Session, actor: Actor, case_number: str | None,
             task_role: str | None) -> PackageView | None:
    """The latest version of the package addressed to the desk whose task this is, for that
    desk's own reader: what the task shows above its form. The caller found the task in
    the actor's scope; the read is logged."""
    desk = referral_lane(actor)
    if not case_number or desk is None or task_role != desk:
        return None
    found = visible(ctx, session, actor, case_number, desk, latest_only=True)
    if not found:
        return None
    record_access(session, actor, ctx.clock.now(), [case_number], TASK_PACKAGE_READ)
    return found[0]


def _view(ctx: EngineContext, session: Session, row: ReferralPackage, latest: bool,
          schema: dict[str, Any]) -> PackageView:
    _key, source = BY_RECIPIENT[row.recipient_role]
    properties = schema.get("properties") or {}

    def title(name: str, value: Any) -> tuple[str, str] | None:
        if value is None:
            return None
        found = choice_title(properties.get(name) or {}, value)
        return (found[0], found[1] or found[0]) if found else (str(value), str(value))

    zrm = row.zrm_summary or {}
    labels = _zrm_labels(ctx, session, zrm.get("record_id"))
    scores = tuple(ZrmScore(labels.get(name, (name, name)), int(score))
                   for name, score in (zrm.get("scores") or {}).items())
    return PackageView(
        row.id, row.case_number, row.recipient_role, row.recipient_organisation, row.version,
        latest, row.summary, row.requested_service,
        title(source.service, row.requested_service), row.consent_given, row.legal_ground,
        title(source.legal_ground, row.legal_ground), row.urgency,
        zrm.get("date") if row.zrm_summary is not None else None, scores,
        row.correction_reason, row.created_by, row.created_at)


def _zrm_labels(ctx: EngineContext, session: Session,
                record_id: Any) -> dict[str, tuple[str, str]]:
    """The ZRM domains' names as the ZRM form titles them (the part before its colon)."""
    if not isinstance(record_id, int):
        return {}
    record = session.get(CaseRecord, record_id)
    if record is None or record.deployment_id is None or not record.form_file:
        return {}
    try:
        schema = ctx.specs.form(session, record.deployment_id, record.form_file)[0]
    except NotFound:
        return {}
    found: dict[str, tuple[str, str]] = {}
    for name, spec in (schema.get("properties") or {}).items():
        if isinstance(spec, dict):
            nl, en = str(spec.get("title") or name), str(spec.get("x-title-en") or name)
            found[name] = (nl.split(":")[0].strip(), en.split(":")[0].strip())
    return found


def after_completion(ctx: EngineContext, session: Session, actor: Actor, task: Any,
                     instance: Any, data: dict[str, Any], workflow: Any,
                     deployment_id: int) -> None:
    """The chain's completion hook: a completed referral task sends the next package version
    (installed after the case file's own hook, whose record it reads)."""
    record_from_task(ctx, session, actor, task.process_id, task.bpmn_id, task.id,
                     task.case_number, instance.id, data)
