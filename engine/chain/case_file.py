"""The case file: what every completed task recorded on a case, as far as the reader may see.

When a person completes a task, ``record_completion`` keeps the validated form data (and what
the process had decided by then: the decision table's advice, the closure codes) as a
``CaseRecord``. ``case_file`` reads them back for one reader, in the order they were recorded,
cut down by which data category each task's record belongs to (``RECORDS``) and the chain's
one need-to-know table (``policy``, domain.md §6). Changing who sees what is an edit of that
table, never of a template.

Labels come from the form the data was entered on (its JSON Schema ``title``s and enum
titles, Dutch and English), so the file never shows a raw field name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from engine import runtime
from engine.access import Actor, case_view_kind, queue_lanes, record_access
from engine.chain import policy
from engine.context import EngineContext
from engine.errors import NotFound
from engine.forms import choice_title
from engine.models import CaseRecord, HumanTask, ProcessInstance

# --- the policy, as data --------------------------------------------------------------------

#: (process id, task id) -> (data category, how the case file shows it). A task not listed
#: is category ``other`` shown as labelled fields.
RECORDS: dict[tuple[str, str], tuple[str, str]] = {
    ("outreach", "record_first_contact_attempt"): ("contact", "contact_attempt"),
    ("outreach", "record_contact_attempt"): ("contact", "contact_attempt"),
    ("outreach", "escalate_first_contact_overdue"): ("escalation", "fields"),
    ("outreach", "escalate_next_attempt_overdue"): ("escalation", "fields"),
    ("assessment_plan", "hold_kitchen_table_conversation"): ("conversation", "fields"),
    ("assessment_plan", "escalate_conversation_overdue"): ("escalation", "fields"),
    ("assessment_plan", "score_zrm"): ("assessment", "zrm"),
    ("assessment_plan", "agree_action_plan"): ("plan", "plan"),
    ("payment_arrangement", "request_payment_arrangement"): ("arrangement", "fields"),
    ("payment_arrangement", "review_payment_arrangement"): ("arrangement", "fields"),
    ("payment_arrangement", "confirm_arrangement_month"): ("arrangement", "fields"),
    ("payment_arrangement", "follow_up_broken_arrangement"): ("plan", "fields"),
    ("payment_arrangement", "handle_refused_arrangement"): ("plan", "fields"),
    ("debt_assistance_referral", "prepare_sdd_referral"): ("referral_sdd", "referral"),
    ("debt_assistance_referral", "hold_sdd_intake"): ("sdd_intake", "fields"),
    ("debt_assistance_referral", "escalate_sdd_intake_overdue"): ("sdd_escalation", "fields"),
    ("debt_assistance_referral", "report_sdd_outcome"): ("sdd_outcome", "fields"),
    ("debt_assistance_referral", "escalate_sdd_decision_overdue"): ("sdd_escalation", "fields"),
    ("debt_assistance_referral", "decide_sdd_after_household_change"): ("sdd_outcome", "fields"),
    ("care_referral", "prepare_care_referral"): ("referral_care", "referral"),
    ("care_referral", "report_care_referral_outcome"): ("care_outcome", "fields"),
    ("care_referral", "escalate_care_response_overdue"): ("care_escalation", "fields"),
    ("care_referral", "decide_care_after_household_change"): ("care_outcome", "fields"),
    ("care_referral", "follow_up_care_not_accepted"): ("plan", "fields"),
    ("arrears_case", "act_on_court_summons"): ("contact", "fields"),
    ("arrears_case", "consider_last_chance_agreement"): ("legal_track", "fields"),
    ("arrears_case", "escalate_eviction_date"): ("escalation", "fields"),
    ("case_closure", "confirm_case_closure"): ("closure", "closure"),
}
OTHER = ("other", "fields")

#: What a record keeps of the process's own decisions, per category (task data, not form
#: data): the advice the plan was made against, the codes the closure was confirmed with, the
#: crisis flag that makes a referral urgent.
CONTEXT: dict[str, tuple[str, ...]] = {
    "plan": ("advised_route", "advice_reason", "multi_problem"),
    "referral_sdd": ("crisis",),
    "referral_care": ("crisis",),
    "closure": ("closure_reason_label", "national_outcome_code", "corporation_feedback"),
}
#: Labels of those decisions (they are on no form).
CONTEXT_LABELS: dict[str, tuple[str, str]] = {
    "advised_route": ("Advies van de beslistabel", "Advice of the decision table"),
    "advice_reason": ("Regel die het advies gaf", "Rule that gave the advice"),
    "multi_problem": ("Meervoudige problematiek", "Multiple problems"),
    "crisis": ("Crisissignaal", "Crisis signal"),
    "closure_reason_label": ("Afsluitreden", "Closure reason"),
    "national_outcome_code": ("Landelijke uitkomstcode", "National outcome code"),
    "corporation_feedback": ("Terugkoppeling aan de corporatie", "Feedback to the corporation"),
}

#: Flags of the process shown only when set (a referral made on a crisis signal).
SHOWN_WHEN_SET = frozenset({"crisis"})

def category_of(process_id: str, bpmn_id: str) -> tuple[str, str]:
    """(data category, display) of the record of task ``bpmn_id`` of ``process_id``."""
    return RECORDS.get((process_id, bpmn_id), OTHER)


def visible_fields(category: str, role: str) -> tuple[str, ...] | None:
    """The fields of a ``category`` record that ``role`` reads: None for all, () for none
    (the chain's one need-to-know table decides: ``policy.record_fields``)."""
    return policy.record_fields(category, role)


def referral_urgent(data: Mapping[str, Any]) -> bool:
    """A referral is urgent when made on a crisis signal, or when it says so (a field named
    ``…urgency`` set to ``urgent``): the one rule for the package's badge and for the flag
    that puts the desk's task first (``cases.after_step``)."""
    return data.get("crisis") is True or any(
        value == "urgent" for name, value in data.items() if name.endswith("urgency"))


# --- keeping what a task recorded -----------------------------------------------------------

def record_completion(ctx: EngineContext, session: Session, actor: Actor, task: HumanTask,
                      instance: ProcessInstance, data: dict[str, Any], workflow: Any,
                      deployment_id: int) -> None:
    """Keep what ``task`` recorded, once its completion step has run (``workflow`` is the
    workflow after that step: the completed task's data holds the decisions it was done
    against; ``deployment_id`` is its spec's, where the form's labels are read back from).
    Tasks outside a case leave no record."""
    if not task.case_number:
        return
    category, _display = category_of(task.process_id, task.bpmn_id)
    context: dict[str, Any] = {}
    names = CONTEXT.get(category, ())
    if names:
        try:
            done = workflow.get_task_from_id(UUID(task.id))
        except Exception:  # noqa: BLE001 - a task the workflow no longer holds: no context
            done = None
        if done is not None:
            context = runtime.json_safe({n: done.data[n] for n in names if n in done.data})
    # a plain row, straight to the table (every completion writes one: no unit of work)
    session.connection().execute(insert(cast(Table, CaseRecord.__table__)), [dict(
        case_number=task.case_number, instance_id=instance.id, task_id=task.id,
        bpmn_id=task.bpmn_id, process_id=task.process_id, task_name=task.name,
        role=task.role, deployment_id=deployment_id if task.form_file else None,
        form_file=task.form_file,
        data=runtime.json_safe(data), context=context, completed_by=actor.username,
        completed_at=task.completed_at or ctx.clock.now())])


# --- reading the file ---------------------------------------------------------------------

@dataclass(frozen=True)
class RecordField:
    """One recorded value with its labels: ``kind`` is date, boolean, choice, number or text;
    ``choice`` is the (Dutch, English) title of the chosen option."""

    name: str
    label: tuple[str, str]
    kind: str
    value: Any
    choice: tuple[str, str] | None = None


@dataclass(frozen=True)
class ZrmDomain:
    label: tuple[str, str]
    score: int | None
    note: str | None


@dataclass(frozen=True)
class FileRecord:
    """What one completed task recorded, cut to what the reader may see."""

    id: int
    category: str
    display: str
    process_id: str
    bpmn_id: str
    title: tuple[str, str]
    role: str | None
    #: who recorded it: shown to readers of the whole case and to the recorder's own lane
    completed_by: str | None
    completed_at: datetime
    fields: tuple[RecordField, ...] = field(default_factory=tuple)

    def get(self, name: str) -> RecordField | None:
        return next((f for f in self.fields if f.name == name), None)

    def value(self, name: str) -> Any:
        found = self.get(name)
        return found.value if found is not None else None

    @property
    def urgent(self) -> bool:
        """A referral marked urgent, or one made on a crisis signal (``referral_urgent``)."""
        return referral_urgent({f.name: f.value for f in self.fields})

    def zrm_grid(self) -> list[ZrmDomain]:
        """The matrix's domains (a score field with a ``_note`` beside it), in form order."""
        names = {f.name for f in self.fields}
        grid = []
        for item in self.fields:
            if item.kind == "choice" and f"{item.name}_note" in names:
                note = self.get(f"{item.name}_note")
                nl, en = item.label
                grid.append(ZrmDomain((nl.split(":")[0].strip(), en.split(":")[0].strip()),
                                      item.value if isinstance(item.value, int) else None,
                                      note.value if note is not None else None))
        return grid

    def zrm_rest(self) -> list[RecordField]:
        """The fields beside the matrix's domains (the date it was taken)."""
        grid = {f.name for f in self.fields if f.kind == "choice"
                and self.get(f"{f.name}_note") is not None}
        return [f for f in self.fields
                if f.name not in grid and f.name.removesuffix("_note") not in grid]

    def ordered(self, *first: str) -> list[RecordField]:
        """The fields named in ``first`` (those present) in that order, then the others."""
        leading = [f for name in first if (f := self.get(name)) is not None]
        return leading + [f for f in self.fields if f.name not in first]


@dataclass(frozen=True)
class Section:
    """Consecutive records shown together (a run of contact attempts is one list)."""

    display: str
    records: list[FileRecord]


def case_file(ctx: EngineContext, session: Session, actor: Actor,
              case_number: str) -> list[FileRecord]:
    """What every completed task of the case recorded, oldest first, as ``actor`` may see it.

    The caller has checked that the actor may see the case at all (and logged the read);
    records of which the actor's role reads nothing are left out.
    """
    rows = session.scalars(select(CaseRecord).where(CaseRecord.case_number == case_number)
                           .order_by(CaseRecord.completed_at, CaseRecord.id)).all()
    whole = case_view_kind(actor) == "full"
    lanes = queue_lanes(actor.role)
    found = []
    for row in rows:
        category, display = category_of(row.process_id, row.bpmn_id)
        shown = visible_fields(category, actor.role)
        if shown == ():
            continue
        schema = _schema(ctx, session, row)
        values = {**row.data, **(row.context or {})}
        fields = tuple(_field(name, value, schema) for name, value in _ordered(values, schema)
                       if shown is None or name in shown)
        if not fields:
            continue
        title = (schema.get("title") or row.task_name, schema.get("x-title-en") or "")
        by = row.completed_by if whole or row.role in lanes else None
        found.append(FileRecord(row.id, category, display, row.process_id, row.bpmn_id,
                                (str(title[0]), str(title[1])), row.role, by,
                                row.completed_at, fields))
    return found


def sections(records: list[FileRecord]) -> list[Section]:
    """The records grouped for showing: consecutive contact attempts form one section."""
    grouped: list[Section] = []
    for record in records:
        if grouped and record.display == "contact_attempt" == grouped[-1].display:
            grouped[-1].records.append(record)
        else:
            grouped.append(Section(record.display, [record]))
    return grouped


def referral_packages(records: list[FileRecord]) -> list[FileRecord]:
    """The referral packages among the records the reader may see, newest first."""
    return [r for r in reversed(records) if r.display == "referral"]


#: What the access log says when a desk's task answers with its referral package.
REFERRAL_READ = "task referral package"


def task_referral_packages(ctx: EngineContext, session: Session, actor: Actor,
                           case_number: str | None) -> list[FileRecord]:
    """The referral packages of a task's case that the actor's desk (SDD, Meldpunt) receives,
    newest first: what the task shows above its form. The caller has found the task in the
    actor's scope (``tasks.get_task``); reading the packages is logged."""
    if case_view_kind(actor) != "referral" or not case_number:
        return []
    packages = referral_packages(case_file(ctx, session, actor, case_number))
    if packages:
        record_access(session, actor, ctx.clock.now(), [case_number], REFERRAL_READ)
    return packages


def sdd_services(records: list[FileRecord]) -> list[tuple[str, str]]:
    """The services asked of the SDD, as (Dutch, English) titles, oldest first."""
    found = []
    for record in records:
        service = record.get("sdd_service") if record.category == "referral_sdd" else None
        if service is not None and service.choice is not None and service.choice not in found:
            found.append(service.choice)
    return found


def _schema(ctx: EngineContext, session: Session, row: CaseRecord) -> dict[str, Any]:
    if row.deployment_id is None or not row.form_file:
        return {}
    try:
        return ctx.specs.form(session, row.deployment_id, row.form_file)[0]
    except NotFound:
        return {}


def _ordered(values: dict[str, Any], schema: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """The values in the form's order, then the process's decisions in the policy's order."""
    properties = schema.get("properties") or {}
    for name in properties:
        if name in values and values[name] not in (None, ""):
            yield name, values[name]
    for name in CONTEXT_LABELS:
        if name in values and name not in properties and values[name] not in (None, ""):
            if values[name] is False and name in SHOWN_WHEN_SET:
                continue
            yield name, values[name]


def _shown(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What the form shows read-only of the process's decisions (its ``x-show``), by name."""
    shown = schema.get("x-show")
    if not isinstance(shown, list):
        return {}
    return {str(item["variable"]): item for item in shown
            if isinstance(item, dict) and item.get("variable")}


def _field(name: str, value: Any, schema: dict[str, Any]) -> RecordField:
    spec = (schema.get("properties") or {}).get(name)
    if spec is None:
        spec = _shown(schema).get(name)
        if spec is None:
            label = CONTEXT_LABELS.get(name, (name, name))
            advice = _advice_choice(value, schema) if name == "advised_route" else None
            return RecordField(name, label, "choice" if advice else _kind(value, {}), value,
                               advice)
    label = (str(spec.get("title") or name), str(spec.get("x-title-en") or ""))
    choice = _choice(spec, value)
    return RecordField(name, label, "choice" if choice else _kind(value, spec), value, choice)


def _choice(spec: dict[str, Any], value: Any) -> tuple[str, str] | None:
    titles = choice_title(spec, value)
    return (titles[0], titles[1] or "") if titles is not None else None


def _advice_choice(value: Any, schema: dict[str, Any]) -> tuple[str, str] | None:
    """The decision table's advice in words: the plan form's own title for that route."""
    spec = (schema.get("properties") or {}).get("route_choice") or {}
    return _choice(spec, value)


def _kind(value: Any, spec: dict[str, Any]) -> str:
    if isinstance(value, bool):
        return "boolean"
    if spec.get("format") == "date":
        return "date"
    if isinstance(value, int | float):
        return "number"
    return "text"
