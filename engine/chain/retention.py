"""Retention: erase a closed case's personal data once ``KETENFLOW_RETENTION_DAYS`` have passed.

What goes is everything that says who the household is or what was written about it: the
tenant's identity and contact data on the case row, the free text of every task's form data
(a form's string field without ``enum`` or ``format``), the free text of events, messages, signal
batch rows and referral packages, and the completed instances' final data. What stays is
pseudonymous: the case number, dates, codes (an option of a form, a milestone, a national
result), booleans and amounts, so the figures and the national DDAS delivery
(``engine.chain.ddas_export``) of an earlier period give the same counts after a purge.

Which fields are personal is the chain's knowledge, so it lives here, not in the engine. Each
case is purged in its own transaction and marked (``Case.erased_at``), so a purge that stops
half-way is simply run again; a purged case is never looked at twice. Every purged case gets an
event with its counts (``ERASED``), every run one with the totals (``PURGED``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.access import Actor
from engine.chain.national_results import is_national_result
from engine.context import EngineContext
from engine.errors import NotFound
from engine.models import (
    Case,
    CaseRecord,
    Event,
    HumanTask,
    Message,
    ProcessInstance,
    ReferralPackage,
    SignalBatchRow,
)

#: The event of one purged case (on its first instance) and of one purge run (no instance).
ERASED = "personal_data_erased"
PURGED = "retention_purge"
#: The daily job's name (``ChainHooks.daily_jobs``, the worker's watermark).
DAILY_JOB = "retention_purge"
#: What an erased name reads as.
ERASED_NAME = "[gewist]"
#: The case row's identity and contact fields (domain.md §6 "Tenant identity & contact",
#: "BRP-derived data"), with what each becomes.
IDENTITY_FIELDS: dict[str, Any] = {
    "tenant_name": ERASED_NAME, "street": "", "house_number": "", "postcode": "", "city": "",
    "phone": None, "email": None, "date_of_birth": None}
#: Keys that hold personal data or free text wherever they appear in JSON (task data, event
#: details, message payloads): dropped whatever their value looks like.
PERSONAL_KEYS = frozenset({
    "tenant", "tenant_name", "name", "street", "house_number", "postcode", "city", "address",
    "phone", "email", "date_of_birth", "bsn", "external_id", "old", "new", "reason",
    "note", "notes", "summary", "text", "outcome", "new_municipality"})
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][0-9:.+\-Z]*)?$")
#: A code: an option value, a milestone, an element id; no spaces, short.
_CODE = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
TABLES = ("case", "case_record", "event", "human_task", "message", "process_instance",
          "referral_package", "signal_batch_row")


@dataclass
class CasePlan:
    """What a purge does (or, dry, would do) to one case: changed rows per table."""

    case_number: str
    closed_at: datetime | None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class PurgeResult:
    """One run: the cut-off, the cases purged (or to be purged) and the rows per table."""

    cutoff: datetime
    dry_run: bool
    cases: list[CasePlan] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        total: Counter[str] = Counter({table: 0 for table in TABLES})
        for plan in self.cases:
            total.update(plan.counts)
        return dict(total)

    def lines(self) -> list[str]:
        head = "Proefdraai: zou wissen" if self.dry_run else "Gewist"
        lines = [f"{head}: persoonsgegevens van {len(self.cases)} zaken gesloten vóór "
                 f"{self.cutoff.date().isoformat()}"]
        lines += [f"  {table}: {count} rijen" for table, count in self.counts.items()]
        lines += [f"  {plan.case_number}" for plan in self.cases]
        return lines


def cutoff(ctx: EngineContext) -> datetime:
    """Cases closed before this moment are past the retention period."""
    return ctx.clock.now() - timedelta(days=ctx.settings.retention_days)


def purge(ctx: EngineContext, actor: Actor, dry_run: bool = False,
          channel: str = "cli") -> PurgeResult:
    """Erase the personal data of every case closed longer than the retention period ago
    (``dry_run``: only say what would go). One transaction per case; the run's event last."""
    limit = cutoff(ctx)
    result = PurgeResult(limit, dry_run)
    with ctx.sessionmaker() as session:
        ids = list(session.scalars(select(Case.id).where(
            Case.closed.is_(True), Case.closed_at.is_not(None), Case.closed_at < limit,
            Case.erased_at.is_(None)).order_by(Case.closed_at, Case.id)))
    for case_id in ids:
        with ctx.sessionmaker() as session, session.begin():
            case = session.scalar(select(Case).where(Case.id == case_id, Case.erased_at.is_(None))
                                  .with_for_update())
            if case is None:
                continue  # another run purged it meanwhile
            plan = erase_case(ctx, session, case, dry_run)
            if not dry_run:
                case.erased_at = ctx.clock.now()
                session.execute(insert(Event), [{
                    "instance_id": _first_instance(session, case.case_number),
                    "at": ctx.clock.now(), "kind": ERASED, "element_id": None, "task_id": None,
                    "actor": actor.username[:100],
                    "detail": {"case_number": case.case_number, "counts": plan.counts}}])
            result.cases.append(plan)
    if not dry_run:
        with ctx.sessionmaker.begin() as session:
            session.execute(insert(Event), [{
                "instance_id": None, "at": ctx.clock.now(), "kind": PURGED, "element_id": None,
                "task_id": None, "actor": actor.username[:100],
                "detail": {"channel": channel, "retention_days": ctx.settings.retention_days,
                           "cutoff": limit.isoformat(), "cases": len(result.cases),
                           "counts": result.counts,
                           "case_numbers": [p.case_number for p in result.cases]}}])
    return result


def daily(ctx: EngineContext) -> str:
    """The worker's daily run (``ChainHooks.daily_jobs``)."""
    from engine.access import SYSTEM

    result = purge(ctx, SYSTEM, channel="worker")
    return f"{len(result.cases)} cases purged"


def _first_instance(session: Session, case_number: str) -> int | None:
    return session.scalar(select(ProcessInstance.id).where(
        ProcessInstance.business_key == case_number).order_by(ProcessInstance.id).limit(1))


def erase_case(ctx: EngineContext, session: Session, case: Case, dry_run: bool) -> CasePlan:
    """Erase (or count, ``dry_run``) the personal data of one case in every table."""
    number = case.case_number
    counts: Counter[str] = Counter({table: 0 for table in TABLES})

    def change(table: str, row: Any, values: dict[str, Any]) -> None:
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        if not changed:
            return
        counts[table] += 1
        if not dry_run:
            for key, value in changed.items():
                setattr(row, key, value)

    change("case", case, {**IDENTITY_FIELDS, "external_id": f"gewist-{case.id}"})
    free_keys: set[str] = set()
    for record in session.scalars(select(CaseRecord).where(CaseRecord.case_number == number)):
        schema = _schema(ctx, session, record)
        free_keys |= free_text_fields(schema)
        change("case_record", record, {"data": scrub_form_data(record.data or {}, schema),
                                       "context": scrub(record.context or {}, free_keys)})
    instances = list(session.scalars(select(ProcessInstance).where(
        ProcessInstance.business_key == number)))
    instance_ids = [row.id for row in instances]
    for row in instances:
        if row.state is None:  # completed or terminated: its final data is all that is left
            change("process_instance", row, {"data": scrub(row.data, free_keys),
                                             "error_message": None})
    for task in session.scalars(select(HumanTask).where(HumanTask.case_number == number,
                                                         HumanTask.state.in_(
                                                             ("completed", "cancelled")))):
        change("human_task", task, {"instructions": None})
    events = select(Event).where(Event.instance_id.in_(instance_ids)) if instance_ids else None
    if events is not None:
        for event in session.scalars(events):
            change("event", event, {"detail": scrub(event.detail, free_keys)})
    for event in session.scalars(select(Event).where(Event.instance_id.is_(None),
                                                     Event.kind == CORRECTED)):
        if (event.detail or {}).get("case_number") == number:
            change("event", event, {"detail": scrub(event.detail, free_keys)})
    for message in session.scalars(select(Message).where(Message.correlation_value == number)):
        change("message", message, {"payload": scrub(message.payload, free_keys) or {}})
    for batch_row in session.scalars(select(SignalBatchRow).where(
            SignalBatchRow.case_number == number)):
        change("signal_batch_row", batch_row, {"signal": None,
                                               "errors": scrub(batch_row.errors, free_keys)})
    for package in session.scalars(select(ReferralPackage).where(
            ReferralPackage.case_number == number)):
        change("referral_package", package, {
            "summary": "", "correction_reason": None,
            "zrm_summary": scrub(package.zrm_summary, free_keys)})
    if not dry_run:
        session.flush()
    return CasePlan(number, case.closed_at, dict(counts))


#: The event of a correction of personal data (``engine.chain.subject_access``): its old and
#: new values are personal data too.
CORRECTED = "personal_data_corrected"


def _schema(ctx: EngineContext, session: Session, record: CaseRecord) -> dict[str, Any]:
    if record.deployment_id is None or not record.form_file:
        return {}
    try:
        return ctx.specs.form(session, record.deployment_id, record.form_file)[0]
    except NotFound:
        return {}


def free_text_fields(schema: dict[str, Any]) -> set[str]:
    """A form's free-text fields: strings without ``enum`` or ``format``."""
    properties = schema.get("properties") or {}
    return {name for name, spec in properties.items()
            if isinstance(spec, dict) and spec.get("type") == "string"
            and "enum" not in spec and "format" not in spec}


def scrub_form_data(data: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A task's form data without its free text: what the form declares as free text goes,
    and whatever the form does not declare is judged by its value (``scrub``)."""
    free = free_text_fields(schema)
    declared = set((schema.get("properties") or {}).keys())
    kept: dict[str, Any] = {}
    for key, value in data.items():
        if key in free or key in PERSONAL_KEYS:
            continue
        if key in declared and not isinstance(value, (dict, list)):
            kept[key] = value  # an option, a date, a number or a yes/no of the form
            continue
        cleaned = scrub({key: value}, free)
        if isinstance(cleaned, dict) and key in cleaned:
            kept[key] = cleaned[key]
    return kept


def scrub(value: Any, free_keys: set[str] | frozenset[str] = frozenset()) -> Any:
    """``value`` with only what is pseudonymous left: numbers, yes/no, dates, codes and
    national results; every key in ``PERSONAL_KEYS`` or ``free_keys`` and every other text
    goes. Walked iteratively in spirit: the data is shallow (forms nest one level)."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        if _DAY.match(value) or _CODE.match(value) or is_national_result(value):
            return value
        return None
    if isinstance(value, list):
        items = [scrub(item, free_keys) for item in value]
        return [item for item in items if item is not None]
    if isinstance(value, dict):
        kept: dict[str, Any] = {}
        for key, item in value.items():
            if key in PERSONAL_KEYS or key in free_keys:
                continue
            cleaned = scrub(item, free_keys)
            if cleaned is not None or item is None:
                kept[key] = cleaned
        return kept
    return None
