"""Who is told what by mail: a task handed to someone, a deadline near or passed, a day's
summary; and each person's choice of which of these they want.

Every function here only writes outbox rows (``engine.models.outbox``) in the caller's
transaction, so a mail exists exactly when the step that causes it was committed;
``engine.mailer`` sends them. A mail names the case number, the task's name (the process
model's, never the household's data) and a link; never a name, address or note.

Each row's ``cause_key`` is unique (``kind:what:recipient``) and is inserted with "on
conflict do nothing": a cause met twice (the deadline scan running in two workers, a step
retried) still queues one mail. A cause whose recipient has that kind switched off or has no
address is recorded as ``skipped``, so the scan does not find it again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, exists, select
from sqlalchemy.orm import Session

from engine.access import ALL_ROWS, ASSIGN, OWN_CORPORATION, OWN_MUNICIPALITY, rule
from engine.access import roles_that as _roles_that
from engine.context import EngineContext
from engine.db import insert_unless_known
from engine.errors import InvalidInput, NotAllowed
from engine.models import HumanTask, MailPreference, Organisation, OutboxMail, User
from engine.models.outbox import DEFAULT_ON, MAIL_KINDS
from engine.workdays import AMSTERDAM, add_working_days, is_working_day

__all__ = ["MAIL_KINDS", "Recipient", "leads_for", "preferences", "queue_summaries",
           "scan_deadlines", "set_preferences", "tasks_assigned"]

ASSIGNED, NEAR, PASSED, SUMMARY = MAIL_KINDS
#: A deadline is near from this many working days before its day (the day itself counts).
NEAR_WORKING_DAYS = 1
#: The daily summary goes out on working days from this local hour.
SUMMARY_HOUR = 7
#: Open tasks the deadline scan looks at per kind and round.
SCAN_BATCH = 200
#: Tasks a summary lists by case number (the counts cover all).
SUMMARY_LINES = 25
_OPEN = ("open", "claimed")
_OUTBOX = cast(Table, OutboxMail.__table__)


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str | None
    wants: bool  # active, and this kind not switched off


# --- preferences ------------------------------------------------------------------------------

def preferences(session: Session, user_id: int) -> dict[str, bool]:
    """Each kind of mail and whether the person gets it (``DEFAULT_ON`` unless they chose)."""
    chosen = dict(session.execute(select(MailPreference.kind, MailPreference.enabled)
                                  .where(MailPreference.user_id == user_id)).tuples().all())
    return {kind: chosen.get(kind, kind in DEFAULT_ON) for kind in MAIL_KINDS}


def set_preferences(session: Session, actor: Any, choices: dict[str, bool]) -> dict[str, bool]:
    """Store the signed-in person's own choices (every kind not named keeps its value).

    :raise NotAllowed: a machine token (an organisation gets no mail).
    :raise InvalidInput: a kind that does not exist (named).
    """
    if actor.user_id is None:
        raise NotAllowed("alleen een persoon kiest welke mail hij krijgt")
    unknown = sorted(set(choices) - set(MAIL_KINDS))
    if unknown:
        raise InvalidInput({"kind": f"onbekende soort mail: {', '.join(unknown)}"})
    current = {row.kind: row for row in session.scalars(
        select(MailPreference).where(MailPreference.user_id == actor.user_id))}
    for kind, enabled in choices.items():
        row = current.get(kind)
        if row is None:
            session.add(MailPreference(user_id=actor.user_id, kind=kind, enabled=bool(enabled)))
        else:
            row.enabled = bool(enabled)
    session.flush()
    return preferences(session, actor.user_id)


_USERS = cast(Table, User.__table__)
_PREFERENCES = cast(Table, MailPreference.__table__)
_TASKS = cast(Table, HumanTask.__table__)
# Built once: a task handed to its case's holder is mailed on every such step.
#: Each person of ``ids`` with their choice for ``kind``, if they made one.
_PEOPLE_WITH_CHOICE = (
    select(_USERS.c.id, _USERS.c.email, _USERS.c.is_active, _PREFERENCES.c.enabled)
    .outerjoin(_PREFERENCES, and_(_PREFERENCES.c.user_id == _USERS.c.id,
                                  _PREFERENCES.c.kind == bindparam("kind")))
    .where(_USERS.c.id.in_(bindparam("ids", expanding=True))))
#: What a mail about tasks says of them.
_TASKS_TO_MAIL = select(_TASKS.c.id, _TASKS.c.name, _TASKS.c.case_number, _TASKS.c.due_at).where(
    _TASKS.c.id.in_(bindparam("ids", expanding=True)))


def _recipients(session: Session, kind: str, user_ids: Iterable[int]) -> dict[int, Recipient]:
    """The people and whether they get ``kind`` (one query: each person with their choice
    for this kind, if they made one)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    default = kind in DEFAULT_ON
    rows = session.connection().execute(_PEOPLE_WITH_CHOICE, {"kind": kind, "ids": ids})
    return {uid: Recipient(uid, email, bool(active) and (default if chosen is None
                                                          else bool(chosen)))
            for uid, email, active, chosen in rows}


# --- the rows ---------------------------------------------------------------------------------

def message_id(ctx: EngineContext, cause_key: str) -> str:
    """The Message-ID every attempt of a cause's mail carries: a resend after a crash
    between sending and marking is the same message to any receiving system."""
    domain = ctx.settings.smtp_from.rpartition("@")[2].strip(" >") or "ketenflow.invalid"
    return f"<{hashlib.sha256(cause_key.encode()).hexdigest()[:40]}@{domain}>"


def _insert_once(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert rows whose ``cause_key`` is not there yet; the others change nothing."""
    if not rows:
        return
    # One statement per dialect, built once, the rows as its parameters (``_row`` gives every
    # column): a statement with the rows inlined (``.values(rows)``) is compiled anew each call.
    session.execute(insert_unless_known(_OUTBOX, "cause_key", session.get_bind().dialect), rows)


def _row(ctx: EngineContext, kind: str, cause: str, recipient: Recipient | None,
         case_number: str | None, task_id: str | None, subject: str,
         body: str) -> dict[str, Any]:
    now = ctx.clock.now()
    key = f"{cause}:{recipient.user_id if recipient else '-'}"
    send = recipient is not None and recipient.wants and bool(recipient.email)
    return {"cause_key": key[:200], "cause": cause[:200], "kind": kind,
            "user_id": recipient.user_id if recipient else None,
            "case_number": case_number, "task_id": task_id, "subject": subject[:300],
            "body": body, "message_id": message_id(ctx, key), "attempts": 0,
            "state": "pending" if send else "skipped", "created_at": now,
            "next_attempt_at": now, "lease_until": None, "sent_at": None,
            "last_error": None}


def _link(ctx: EngineContext, path: str) -> str:
    return ctx.settings.base_url.rstrip("/") + path


def _local(moment: datetime | None) -> str:
    return moment.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M") if moment else "-"


def _footer(ctx: EngineContext) -> str:
    return ("\n\nJe krijgt deze mail van Ketenflow. Welke mails je krijgt stel je zelf in: "
            f"{_link(ctx, '/account/notifications')}\n")


def _task_mail(ctx: EngineContext, kind: str, task: Any) -> tuple[str, str]:
    """Subject and body about one task: case number, the task's name, due date, link."""
    number = task.case_number or "-"
    link = _link(ctx, f"/tasks/{task.id}")
    if kind == ASSIGNED:
        subject = f"[Ketenflow] Taak voor jou: casus {number}"
        opening = "Er staat een taak op jouw naam."
    elif kind == NEAR:
        subject = f"[Ketenflow] Termijn loopt bijna af: casus {number}"
        opening = "De termijn van deze taak loopt binnen een werkdag af."
    else:
        subject = f"[Ketenflow] Termijn verstreken: casus {number}"
        opening = "De termijn van deze taak is verstreken en de taak is nog niet afgerond."
    body = (f"Beste collega,\n\n{opening}\n\nCasus: {number}\nTaak: {task.name}\n"
            f"Uiterlijk: {_local(task.due_at)}\nOpenen: {link}" + _footer(ctx))
    return subject, body


# --- causes -----------------------------------------------------------------------------------

def tasks_assigned(ctx: EngineContext, session: Session,
                   handed: Sequence[tuple[str, int, int]]) -> None:
    """Queue a mail for each task handed to someone else (a lead's assignment, a case's tasks
    going to its holder): ``(task_id, assignee_id, task version after the change)``. The
    version is part of the cause: a task handed to the same person again, later, is news."""
    if not handed:
        return
    found = {t.id: t for t in session.connection().execute(
        _TASKS_TO_MAIL, {"ids": [task_id for task_id, _user, _v in handed]})}
    people = _recipients(session, ASSIGNED, [user for _t, user, _v in handed])
    rows = []
    for task_id, user_id, version in handed:
        task = found.get(task_id)
        if task is None or user_id not in people:
            continue
        subject, body = _task_mail(ctx, ASSIGNED, task)
        rows.append(_row(ctx, ASSIGNED, f"{ASSIGNED}:{task_id}:{version}", people[user_id],
                         task.case_number, task_id, subject, body))
    _insert_once(session, rows)


def leads_for(session: Session, tasks: Sequence[Any]) -> dict[str, list[int]]:
    """Per task id, the active team leads of its lane's organisation: people whose role may
    assign tasks of that lane (``ASSIGN``) in the organisation the task belongs to (its
    municipality, its corporation, or the region's desk). The administrator, who sees every
    row, is no team lead."""
    lead_roles = [r for r in _roles_that(ASSIGN) if rule(r).rows != ALL_ROWS and rule(r).lanes]
    if not tasks or not lead_roles:
        return {}
    people = session.execute(
        select(User.id, User.role, Organisation.slug, Organisation.kind)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(User.role.in_(lead_roles), User.is_active.is_(True))
        .order_by(User.id)).all()
    found: dict[str, list[int]] = {}
    for task in tasks:
        ids = []
        for uid, role, slug, org_kind in people:
            lead = rule(role)
            if task.role not in lead.lanes or (lead.kinds and org_kind not in lead.kinds):
                continue
            if lead.rows == OWN_MUNICIPALITY and slug != task.municipality:
                continue
            if lead.rows == OWN_CORPORATION and slug != task.corporation:
                continue
            ids.append(uid)
        found[task.id] = ids
    return found


def scan_deadlines(ctx: EngineContext, session: Session) -> int:
    """Queue the mails of deadlines that came near or passed since the last scan; returns how
    many causes were found.

    Near: the task is due by the end of the next working day (``NEAR_WORKING_DAYS``) and not
    yet; to whoever holds it, or to the team leads while nobody does. Passed: to whoever
    holds it and the team leads. Each task's near and passed fire once: the scan only takes
    tasks without a row of that kind.
    """
    now = ctx.clock.now()
    today = now.astimezone(AMSTERDAM).date()
    horizon_day = add_working_days(today, NEAR_WORKING_DAYS)
    horizon = datetime.combine(horizon_day + timedelta(days=1), datetime.min.time(),
                               tzinfo=AMSTERDAM)
    found = 0
    for kind, window in ((PASSED, HumanTask.due_at <= now),
                         (NEAR, and_(HumanTask.due_at > now, HumanTask.due_at < horizon))):
        tasks = session.execute(
            select(HumanTask.id, HumanTask.name, HumanTask.case_number, HumanTask.due_at,
                   HumanTask.role, HumanTask.municipality, HumanTask.corporation,
                   HumanTask.assignee_id)
            .where(HumanTask.state.in_(_OPEN), HumanTask.due_at.is_not(None), window,
                   ~exists().where(OutboxMail.task_id == HumanTask.id,
                                   OutboxMail.kind == kind))
            .order_by(HumanTask.due_at, HumanTask.id).limit(SCAN_BATCH)).all()
        if not tasks:
            continue
        found += len(tasks)
        leads = leads_for(session, tasks)
        wanted: dict[str, list[int]] = {}
        for task in tasks:
            holder = [task.assignee_id] if task.assignee_id is not None else []
            extra = leads.get(task.id, []) if (kind == PASSED or not holder) else []
            wanted[task.id] = list(dict.fromkeys(holder + extra))
        people = _recipients(session, kind, [u for ids in wanted.values() for u in ids])
        rows = []
        for task in tasks:
            subject, body = _task_mail(ctx, kind, task)
            cause = f"{kind}:{task.id}"
            targets: list[Recipient | None] = [people[u] for u in wanted[task.id]
                                               if u in people]
            for recipient in targets or [None]:  # nobody to tell: the cause is still recorded
                rows.append(_row(ctx, kind, cause, recipient, task.case_number, task.id,
                                 subject, body))
        _insert_once(session, rows)
    return found


def queue_summaries(ctx: EngineContext, session: Session) -> int:
    """On a working day from ``SUMMARY_HOUR``, queue the day's summary for everyone who asked
    for it and has not had today's; returns how many were queued."""
    local = ctx.clock.now().astimezone(AMSTERDAM)
    day: date = local.date()
    if local.hour < SUMMARY_HOUR or not is_working_day(day):
        return 0
    cause = f"{SUMMARY}:{day.isoformat()}"
    done = select(OutboxMail.id).where(OutboxMail.cause == cause,
                                       OutboxMail.user_id == User.id)
    asking = session.execute(
        select(User.id, User.email).join(MailPreference, and_(
            MailPreference.user_id == User.id, MailPreference.kind == SUMMARY,
            MailPreference.enabled.is_(True)))
        .where(User.is_active.is_(True), ~done.exists())).all()
    rows = []
    horizon = datetime.combine(add_working_days(day, NEAR_WORKING_DAYS) + timedelta(days=1),
                               datetime.min.time(), tzinfo=AMSTERDAM)
    now = ctx.clock.now()
    for user_id, email in asking:
        tasks = session.execute(
            select(HumanTask.id, HumanTask.name, HumanTask.case_number, HumanTask.due_at)
            .where(HumanTask.assignee_id == user_id, HumanTask.state == "claimed")
            .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)).all()
        late = sum(1 for t in tasks if t.due_at is not None and t.due_at <= now)
        near = sum(1 for t in tasks if t.due_at is not None and now < t.due_at < horizon)
        lines = [f"- casus {t.case_number or '-'}: {t.name} (uiterlijk {_local(t.due_at)}) "
                 f"{_link(ctx, '/tasks/' + t.id)}" for t in tasks[:SUMMARY_LINES]]
        if len(tasks) > SUMMARY_LINES:
            lines.append(f"- en nog {len(tasks) - SUMMARY_LINES} taken: {_link(ctx, '/inbox')}")
        body = (f"Beste collega,\n\nJe overzicht van {day.strftime('%d-%m-%Y')}: "
                f"{len(tasks)} taken op jouw naam, waarvan {late} over de termijn en {near} "
                f"met een termijn die binnen een werkdag afloopt.\n\n"
                + ("\n".join(lines) if lines else "Er staan geen taken op jouw naam.")
                + _footer(ctx))
        recipient = Recipient(user_id, email, True)
        rows.append(_row(ctx, SUMMARY, cause, recipient, None, None,
                         f"[Ketenflow] Je taken op {day.strftime('%d-%m-%Y')}", body))
    _insert_once(session, rows)
    return sum(1 for r in rows if r["state"] == "pending")


@dataclass(frozen=True)
class MailSettings:
    """What the settings page shows a person: their address and their choices."""

    email: str | None
    choices: dict[str, bool]


def mail_settings(session: Session, actor: Any) -> MailSettings:
    """The signed-in person's own address and choices.

    :raise NotAllowed: a machine token (an organisation gets no mail).
    """
    if actor.user_id is None:
        raise NotAllowed("alleen een persoon kiest welke mail hij krijgt")
    email = session.scalar(select(User.email).where(User.id == actor.user_id))
    return MailSettings(email, preferences(session, actor.user_id))
