"""The national DDAS delivery: the chain's signals and cases as the exchange specification asks.

Municipalities deliver their early-signalling data to CBS under DDAS ("Data delen over Armoede
en Schulden") in the exchange format of VNG Realisatie, DDAS Vroegsignalering v0.9
(``ddas/json_schema_Uitwisselmodel.json`` beside this module, unchanged). ``export_delivery``
builds that file for a period, one ``levering`` per member municipality, and writes who
exported what as an event (``EXPORTED``): the file leaves the system, so the audit trail says
when, by whom and how much.

How Ketenflow's data maps onto the specification (domain.md §3.1):

- every case row that began with a signal is a ``vroegsignaal`` (a case reopened after a legal
  event is a new case, not a new signal); its ``ID`` is the case number, the signal partner is
  always ``Huur`` (the chain only takes rent signals), the amount is rounded to whole euros;
- a signal that was not picked up carries the closure's reason as its ``status``
  (``EnumSignaalstatus`` shares its "not picked up" values with ``EnumEindresultaat``); every
  other signal keeps the first status, "Nog niet opgepakt": the list has no "picked up" value,
  the ``vroegsignaalzaak`` that names the signal says so (as the national examples do);
- every case is a ``vroegsignaalzaak`` (the chain opens one for every signal, as the national
  model does: ``EnumEindresultaat`` has the "not picked up" results too) with its signal, its
  national result once closed (``Case.national_result``), the day it was picked up if it was,
  and every contact attempt of the outreach with its national kind, whether the tenant was
  reached, date and day part.

Only what the specification asks for leaves the system, and what Ketenflow does not know is
left out rather than invented: the ``client`` block stays empty (the chain holds no BSN, and the
people who export, managers, may never see a household's name or address: domain.md §6), as do
the matching date and period (the chain picks every signal up on arrival; it runs no periodic
matching), the delivering organisation's KvK number and contact persons, a case's result
before it closed, and an attempt's kind or day part that was never recorded.

The period selects signals by the day they arrived (Europe/Amsterdam), with each one's case
as it stands at the moment of export; a later export of the same period carries the results
that have come in since.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jsonschema import Draft202012Validator
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine import access
from engine.access import Actor
from engine.chain import policy
from engine.chain.contact_kinds import national_kind
from engine.chain.municipalities import MUNICIPALITIES, Municipality
from engine.chain.national_results import is_national_result
from engine.context import EngineContext
from engine.errors import EngineError, InvalidInput, NotAllowed
from engine.models import Case, CaseRecord, Event, ProcessInstance

LOCAL_TZ = ZoneInfo("Europe/Amsterdam")
SCHEMA_PATH = Path(__file__).parent / "ddas" / "json_schema_Uitwisselmodel.json"
#: The event kind of an export (``Event.kind``; ``instance_id`` None).
EXPORTED = "ddas_export"
#: The chain only takes rent signals from housing corporations (``EnumSignaalpartner``).
SIGNAL_PARTNER = "Huur"
#: ``EnumSignaalstatus``: the status every signal starts with, and the final ones it shares
#: with ``EnumEindresultaat`` (the reasons a signal is not picked up).
NOT_YET = "Nog niet opgepakt"
FINAL_STATUSES: frozenset[str] = frozenset({
    "Niet opgepakt: onterecht signaal", "Inwoner is overleden",
    "Persoon is geen inwoner (meer) in de gemeente", "Niet opgepakt: herhaalde melding",
    "Niet opgepakt: andere reden"})
OTHER_REASON = "Niet opgepakt: andere reden"
#: The tasks of the outreach that record one contact attempt each (their form fields
#: ``attempt_type``, ``contact_made``, ``attempt_date``, ``day_part``).
ATTEMPT_TASKS: tuple[str, ...] = ("record_first_contact_attempt", "record_contact_attempt")
ATTEMPT_PROCESS = "outreach"
#: The forms' day parts -> ``EnumDagdeel``.
DAY_PARTS: dict[str, str] = {"morning": "Ochtend", "afternoon": "Middag", "evening": "Avond",
                             "Ochtend": "Ochtend", "Middag": "Middag", "Avond": "Avond"}
#: Milestones of a case that was never picked up, or not yet (``Case.milestone``).
NOT_PICKED_UP = "not_picked_up"
UNDECIDED = "received"
#: How a reopened case begins (``Case.opened_by``): a case, not a signal.
REOPENED = "reopened:"
#: The longest period one export covers (a guard against a typo such as year 2205).
MAX_DAYS = 3 * 366
ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@dataclass(frozen=True)
class Counts:
    """How much one delivery holds (what the export event records)."""

    signals: int = 0
    cases: int = 0
    results: int = 0
    contact_attempts: int = 0


@dataclass(frozen=True)
class Delivery:
    """One export: the file's content and its counts, over all its municipalities."""

    content: dict[str, Any]
    counts: Counts
    municipalities: tuple[str, ...]

    def json(self) -> str:
        return json.dumps(self.content, ensure_ascii=False, indent=2) + "\n"

    def filename(self) -> str:
        start = self.content["startdatumLevering"]
        end = self.content["einddatumLevering"]
        scope = self.municipalities[0] if len(self.municipalities) == 1 else "drechtsteden"
        return f"ddas-{scope}-{start}-{end}.json"


# --- input ------------------------------------------------------------------------------------

def parse_period(start: str | None, end: str | None) -> tuple[date, date]:
    """The period of ``--from``/``--to`` (or the form's fields ``from`` and ``to``).

    :raise InvalidInput: a missing or malformed date, or an end before the start; each message
        names its field.
    """
    errors: dict[str, str] = {}
    days: dict[str, date] = {}
    for name, text in (("from", start), ("to", end)):
        value = (text or "").strip()
        if not value:
            errors[name] = "vul een datum in (JJJJ-MM-DD)"
            continue
        try:
            if not ISO_DAY.match(value):  # fromisoformat also takes 20260105 and 2026-W01-1
                raise ValueError(value)
            days[name] = date.fromisoformat(value)
        except ValueError:
            errors[name] = f"'{value[:40]}' is geen geldige datum (JJJJ-MM-DD)"
    if not errors:
        _check_period(days["from"], days["to"], errors)
    if errors:
        raise InvalidInput(errors)
    return days["from"], days["to"]


def _check_period(start: date, end: date, errors: dict[str, str]) -> None:
    if end < start:
        errors["to"] = "de einddatum ligt vóór de begindatum"
    elif (end - start).days >= MAX_DAYS:
        errors["to"] = f"een levering beslaat hoogstens {MAX_DAYS} dagen"


def selectable(ctx: EngineContext, actor: Actor) -> tuple[Municipality, ...]:
    """The member municipalities ``actor`` may export: a municipality's own manager only
    their own, the region's (and the system) every member with a CBS code."""
    members = ctx.settings.municipality_slugs()
    found = tuple(m for m in MUNICIPALITIES if m.slug in members and m.cbs_code)
    if actor.organisation_kind == "municipality":
        return tuple(m for m in found if m.slug == actor.organisation)
    return found


def _chosen(ctx: EngineContext, actor: Actor, slug: str | None) -> tuple[Municipality, ...]:
    allowed = selectable(ctx, actor)
    if not slug:
        return allowed
    chosen = tuple(m for m in allowed if m.slug == slug.strip())
    if not chosen:
        names = ", ".join(m.slug for m in allowed)
        raise InvalidInput({"municipality": f"'{slug[:40]}' is geen gemeente die u kunt "
                                            f"exporteren (kies uit: {names})"})
    return chosen


# --- the delivery -------------------------------------------------------------------------------

def export_delivery(ctx: EngineContext, actor: Actor, start: date, end: date,
                    municipality: str | None = None, channel: str = "cli") -> Delivery:
    """Build the delivery of ``start``..``end`` (both days included) for one municipality or
    every one ``actor`` may export, and record the export (``EXPORTED``) in the same
    transaction: no file without its event.

    :raise NotAllowed: the actor may not export (``policy.EXPORT_DDAS``).
    :raise InvalidInput: a period backwards or too long, or an unknown municipality.
    """
    if not access.may(actor, policy.EXPORT_DDAS):
        raise NotAllowed("alleen managers en beheerders exporteren de DDAS-levering")
    errors: dict[str, str] = {}
    _check_period(start, end, errors)
    if errors:
        raise InvalidInput(errors)
    chosen = _chosen(ctx, actor, municipality)
    with ctx.sessionmaker.begin() as session:
        delivery = build_delivery(ctx, session, start, end, chosen)
        counts = delivery.counts
        session.execute(insert(Event), [{
            "instance_id": None, "at": ctx.clock.now(), "kind": EXPORTED, "element_id": None,
            "task_id": None, "actor": actor.username[:100],
            "detail": {"role": actor.role, "organisation": actor.organisation,
                       "channel": channel, "from": start.isoformat(), "to": end.isoformat(),
                       "municipality": (municipality or "").strip() or None,
                       "municipalities": list(delivery.municipalities),
                       "signals": counts.signals, "cases": counts.cases,
                       "results": counts.results,
                       "contact_attempts": counts.contact_attempts}}])
    return delivery


def build_delivery(ctx: EngineContext, session: Session, start: date, end: date,
                   municipalities: tuple[Municipality, ...]) -> Delivery:
    """The delivery's content (validated against the national schema) and its counts; reads
    only, in three queries whatever the number of cases (and one per step back along the
    chains of reopened cases, rarely more than one)."""
    low, high = _bounds(start, end)
    slugs = [m.slug for m in municipalities]
    in_period = (Case.created_at >= low, Case.created_at < high, Case.municipality.in_(slugs))
    rows = session.execute(
        select(Case.id, Case.case_number, Case.municipality, Case.arrears_amount,
               Case.arrears_since, Case.crisis, Case.warm_handover, Case.created_at,
               Case.milestone, Case.closed, Case.national_result, Case.opened_by,
               Case.previous_case_id)
        .where(*in_period).order_by(Case.municipality, Case.created_at, Case.id)).all()
    picked = _pick_up_days(session, in_period)
    attempts = _attempts(session, in_period)
    roots = _signal_of_reopened(session, rows)

    signals: dict[str, list[dict[str, Any]]] = defaultdict(list)
    cases: dict[str, list[dict[str, Any]]] = defaultdict(list)
    total = {"signals": 0, "cases": 0, "results": 0, "contact_attempts": 0}
    for row in rows:
        reopened = (row.opened_by or "").startswith(REOPENED)
        if not reopened:
            signals[row.municipality].append(_signal(row))
            total["signals"] += 1
        case = _case(row, roots.get(row.id, row.case_number), picked.get(row.case_number),
                     attempts.get(row.case_number, []))
        cases[row.municipality].append(case)
        total["cases"] += 1
        total["results"] += "resultaat" in case
        total["contact_attempts"] += len(case["contactpogingen"])

    content: dict[str, Any] = {
        "startdatumLevering": start.isoformat(),
        "einddatumLevering": end.isoformat(),
        "aanleverdatumEnTijd": ctx.clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "codeGegevensleverancier": ctx.settings.ddas_supplier_code,
    }
    if municipalities:  # the schema asks for at least one levering when the list is there
        content["leveringen"] = [
            {"teller": number, "gemeentecode": m.cbs_code,
             "aanleverende_organisatie": {"naam": f"Gemeente {m.name}"},
             "vroegsignalen": signals[m.slug], "vroegsignaalzaken": cases[m.slug]}
            for number, m in enumerate(municipalities, start=1)]
    problems = sorted(_validator().iter_errors(content), key=lambda e: [str(p) for p in e.path])
    if problems:  # a bug of this module, never a user's mistake
        first = problems[0]
        where = "/".join(str(p) for p in first.path)
        raise EngineError(f"DDAS-levering voldoet niet aan de specificatie: {where}: "
                          f"{first.message}")
    return Delivery(content, Counts(**total), tuple(slugs))


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period's first and past-last moment, as local days."""
    low = datetime.combine(start, time(0), tzinfo=LOCAL_TZ)
    high = datetime.combine(end + timedelta(days=1), time(0), tzinfo=LOCAL_TZ)
    return low.astimezone(UTC), high.astimezone(UTC)


def _local_day(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).date().isoformat()


def _signal(row: Any) -> dict[str, Any]:
    signal: dict[str, Any] = {
        "ID": row.case_number,
        "crisissignaal": bool(row.crisis),
        "warmeOverdracht": bool(row.warm_handover),
        "bedrag": int(Decimal(row.arrears_amount).quantize(Decimal(1), ROUND_HALF_UP)),
    }
    if row.arrears_since is not None:
        signal["ontstaansdatum"] = row.arrears_since.isoformat()
    signal["signaaldatum"] = _local_day(row.created_at)
    signal["status"] = signal_status(row.milestone, row.national_result)
    signal["signaalpartner"] = {"type": SIGNAL_PARTNER}
    signal["client"] = {}
    return signal


def signal_status(milestone: str | None, result: str | None) -> str:
    """``EnumSignaalstatus`` of a signal: the reason it was not picked up once the closure
    decided it, else the status every signal starts with."""
    if milestone != NOT_PICKED_UP or result is None:
        return NOT_YET
    return result if result in FINAL_STATUSES else OTHER_REASON


def _case(row: Any, signal_id: str, picked_up: str | None,
          attempts: list[dict[str, Any]]) -> dict[str, Any]:
    case: dict[str, Any] = {}
    if row.closed and is_national_result(row.national_result):
        case["resultaat"] = row.national_result
    if picked_up is not None:
        case["datum_opgepakt"] = picked_up
    case["vroegsignalen"] = [{"ID": signal_id}]
    case["contactpogingen"] = attempts
    return case


def _pick_up_days(session: Session, in_period: tuple[Any, ...]) -> dict[str, str]:
    """Case number -> the local day its case was picked up: the first milestone event past
    "received" (the step hook writes one whenever the milestone moves)."""
    rows = session.execute(
        select(ProcessInstance.business_key, Event.at, Event.detail)
        .join(Event, Event.instance_id == ProcessInstance.id)
        .join(Case, Case.case_number == ProcessInstance.business_key)
        .where(*in_period, Event.kind == "milestone")
        .order_by(ProcessInstance.business_key, Event.at, Event.id)).all()
    days: dict[str, str] = {}
    for number, at, detail in rows:
        milestone = (detail or {}).get("milestone")
        if number not in days and milestone not in (None, UNDECIDED, NOT_PICKED_UP):
            days[number] = _local_day(at)
    return days


def _attempts(session: Session, in_period: tuple[Any, ...]) -> dict[str, list[dict[str, Any]]]:
    """Case number -> its contact attempts in the order they were recorded."""
    rows = session.execute(
        select(CaseRecord.case_number, CaseRecord.data)
        .join(Case, Case.case_number == CaseRecord.case_number)
        .where(*in_period, CaseRecord.process_id == ATTEMPT_PROCESS,
               CaseRecord.bpmn_id.in_(ATTEMPT_TASKS))
        .order_by(CaseRecord.case_number, CaseRecord.completed_at, CaseRecord.id)).all()
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for number, data in rows:
        found[number].append(contact_attempt(data or {}))
    return found


def contact_attempt(data: dict[str, Any]) -> dict[str, Any]:
    """A ``contactpoging`` from an attempt form's data; a field the form did not record (or
    recorded in a form the list does not know) is left out."""
    attempt: dict[str, Any] = {}
    kind = national_kind(data.get("attempt_type"))
    if kind is not None:
        attempt["soort"] = kind
    if isinstance(data.get("contact_made"), bool):
        attempt["bereikt"] = data["contact_made"]
    day = data.get("attempt_date")
    if isinstance(day, str):
        try:
            attempt["datum"] = date.fromisoformat(day[:10]).isoformat()
        except ValueError:
            pass
    part = DAY_PARTS.get(str(data.get("day_part")))
    if part is not None:
        attempt["dagdeel"] = part
    return attempt


def _signal_of_reopened(session: Session, rows: Sequence[Any]) -> dict[int, str]:
    """Case id of a reopened case -> the case number of the signal it follows (its earlier
    case, followed back past earlier reopenings)."""
    pending = {row.id: row.previous_case_id for row in rows
               if (row.opened_by or "").startswith(REOPENED) and row.previous_case_id}
    found: dict[int, str] = {}
    for _step in range(20):  # a guard: real chains are one to three cases long
        if not pending:
            break
        earlier = {r.id: r for r in session.execute(
            select(Case.id, Case.case_number, Case.opened_by, Case.previous_case_id)
            .where(Case.id.in_(set(pending.values())))).all()}
        following: dict[int, int] = {}
        for case_id, previous in pending.items():
            row = earlier.get(previous)
            if row is None:
                continue
            if (row.opened_by or "").startswith(REOPENED) and row.previous_case_id:
                following[case_id] = row.previous_case_id
            else:
                found[case_id] = row.case_number
        pending = following
    return found


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The national exchange schema (DDAS Vroegsignalering v0.9), as published."""
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    """A validator of the national schema with its ``$defs`` written out in place: the same
    rules (the schema has no recursion, and a ``$ref``'s siblings are only descriptions), but
    without a reference lookup per value, which halves the time a year's delivery takes."""
    published = schema()
    inlined = _inline({k: v for k, v in published.items() if k != "$defs"}, published["$defs"])
    return Draft202012Validator(inlined, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    own = {key: _inline(value, defs) for key, value in node.items() if key != "$ref"}
    reference = node.get("$ref")
    if not isinstance(reference, str):
        return own
    target = _inline(defs[reference.removeprefix("#/$defs/")], defs)
    return {**own, **target}
