"""Arrears signals from the housing corporations become cases, one by one or in a batch.

A signal is validated as a whole (every bad field named in one ``InvalidInput``), its
municipality follows from the tenant's address (``engine.chain.municipalities``), and it is
idempotent per (corporation, external_id): the same signal again returns the existing case.
A new case row holds the household's personal data; the chain starts with the message
``arrears_signal`` whose payload carries only what the process needs to route and time the
case (no names, no address).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import messages
from engine.access import Actor, may_report_signals
from engine.chain import households
from engine.chain.case_numbers import next_case_number
from engine.chain.municipalities import municipality_for, normalise_postcode
from engine.context import EngineContext
from engine.errors import EngineError, InvalidInput, NotAllowed
from engine.forms import iso_date, validate
from engine.models import Case

LOCAL_TZ = ZoneInfo("Europe/Amsterdam")
START_MESSAGE = messages.START_MESSAGE
MAX_BATCH = 10_000
_AMOUNT = r"^\s*[0-9]{1,7}([.,][0-9]{1,2})?\s*$"
_DATE = {"type": ["string", "null"], "format": "date"}

#: The request body of POST /api/v1/signals; the API publishes and the engine validates it.
SIGNAL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["external_id", "tenant", "arrears", "monthly_rent"],
    "additionalProperties": False,
    "properties": {
        "external_id": {"type": "string", "minLength": 1, "maxLength": 100,
                        "pattern": r"^[A-Za-z0-9][A-Za-z0-9._/-]*$",
                        "description": "the corporation's own reference (idempotency key)"},
        "tenant": {
            "type": "object",
            "required": ["name", "street", "house_number", "postcode", "city"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 2, "maxLength": 200},
                "street": {"type": "string", "minLength": 2, "maxLength": 200},
                "house_number": {"type": ["string", "integer"], "minimum": 1,
                                 "pattern": r"^\s*[1-9][0-9]{0,4}\s?[-/ a-zA-Z0-9]{0,10}$"},
                "postcode": {"type": "string", "pattern": r"^\s*[1-9][0-9]{3}\s?[A-Za-z]{2}\s*$"},
                "city": {"type": "string", "minLength": 2, "maxLength": 100},
                "phone": {"type": ["string", "null"], "pattern": r"^(\+?[0-9 ()-]{10,20})?$"},
                "email": {"type": ["string", "null"],
                          "pattern": r"^([^@\s]+@[^@\s]+\.[^@\s]+)?$", "maxLength": 200},
                "date_of_birth": _DATE,
            },
        },
        "arrears": {
            "type": "object",
            "required": ["amount", "months"],
            "additionalProperties": False,
            "properties": {
                "amount": {"type": ["string", "number"], "pattern": _AMOUNT,
                           "exclusiveMinimum": 0, "maximum": 1_000_000},
                "months": {"type": "integer", "minimum": 1, "maximum": 36},
                "since": _DATE,
            },
        },
        "monthly_rent": {"type": ["string", "number"], "pattern": _AMOUNT,
                         "exclusiveMinimum": 0, "maximum": 100_000},
        "warm_handover": {"type": "boolean"},
        "crisis": {"type": "boolean"},
        # A tenant never reported (or whose case is closed) with a legal event already under
        # way: the case starts on the legal track (threatening, contact in 3 working days).
        "legal_event": {
            "type": "object",
            "required": ["kind"],
            "additionalProperties": False,
            "properties": {
                "kind": {"enum": list(households.LEGAL_EVENTS)},
                "hearing_date": {"type": "string", "format": "date"},
                "judgment_date": {"type": "string", "format": "date"},
                "outcome": {"type": "string", "maxLength": 100},
                "eviction_date": {"type": "string", "format": "date"},
            },
            "allOf": [
                {"if": {"properties": {"kind": {"const": "court_summons"}}},
                 "then": {"required": ["hearing_date"]}},
                {"if": {"properties": {"kind": {"const": "eviction_date_set"}}},
                 "then": {"required": ["eviction_date"]}},
            ],
        },
    },
}
_VALIDATOR = Draft202012Validator(SIGNAL_SCHEMA, format_checker=FormatChecker())

#: CSV columns (header row, comma or semicolon separated) and where each goes in a signal.
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("external_id",), "name": ("tenant", "name"),
    "street": ("tenant", "street"), "house_number": ("tenant", "house_number"),
    "postcode": ("tenant", "postcode"), "city": ("tenant", "city"),
    "phone": ("tenant", "phone"), "email": ("tenant", "email"),
    "date_of_birth": ("tenant", "date_of_birth"), "arrears_amount": ("arrears", "amount"),
    "arrears_months": ("arrears", "months"), "arrears_since": ("arrears", "since"),
    "monthly_rent": ("monthly_rent",), "warm_handover": ("warm_handover",),
    "crisis": ("crisis",),
}
_TRUE = {"1", "true", "ja", "j", "yes", "y", "x"}
_FALSE = {"", "0", "false", "nee", "n", "no"}


@dataclass(frozen=True)
class SignalResult:
    case_number: str
    created: bool
    municipality: str


@dataclass(frozen=True)
class RowResult:
    """One row of a batch: ``created``, ``existing`` or ``invalid`` (with its errors)."""

    row: int
    status: str
    external_id: str | None
    case_number: str | None
    errors: dict[str, str]


@dataclass(frozen=True)
class _Clean:
    external_id: str
    name: str
    street: str
    house_number: str
    postcode: str
    city: str
    phone: str | None
    email: str | None
    date_of_birth: date | None
    amount: Decimal
    months: int
    since: date | None
    rent: Decimal
    warm_handover: bool
    crisis: bool
    municipality: str
    legal_event: dict[str, Any] | None


def _amount(value: Any) -> Decimal:
    return Decimal(str(value).strip().replace(",", ".")).quantize(Decimal("0.01"))


def _clean(ctx: EngineContext, signal: Any) -> _Clean:
    """The signal checked against the schema and the region, every problem named at once."""
    errors: dict[str, str] = {}
    try:
        validate(_VALIDATOR, signal)
    except InvalidInput as invalid:
        errors.update(invalid.errors)
    if not isinstance(signal, dict):
        raise InvalidInput(errors or {"body": "moet een object zijn"})
    tenant: dict[str, Any] = signal["tenant"] if isinstance(signal.get("tenant"), dict) else {}
    arrears: dict[str, Any] = (signal["arrears"] if isinstance(signal.get("arrears"), dict)
                               else {})
    today = ctx.clock.now().astimezone(LOCAL_TZ).date()
    parsed: dict[str, Any] = {}
    for field, source, key in (("tenant/date_of_birth", tenant, "date_of_birth"),
                               ("arrears/since", arrears, "since")):
        value = source.get(key)
        if field in errors or not value:
            parsed[field] = None
            continue
        day = date.fromisoformat(value)
        if day > today:
            errors[field] = "ligt in de toekomst"
        elif day.year < 1900:
            errors[field] = "is geen geldige datum"
        parsed[field] = day
    for field, source, key in (("arrears/amount", arrears, "amount"),
                               ("monthly_rent", signal, "monthly_rent")):
        value = source.get(key)
        if field in errors or value is None:
            continue
        try:
            parsed[field] = _amount(value)
        except InvalidOperation:
            errors[field] = "is geen bedrag"
            continue
        if parsed[field] <= 0:
            errors[field] = "moet groter zijn dan 0"
    municipality = None
    if "tenant/postcode" not in errors and "tenant/city" not in errors and tenant:
        municipality = municipality_for(str(tenant.get("postcode") or ""),
                                        str(tenant.get("city") or ""),
                                        ctx.settings.municipality_slugs())
        if municipality is None and tenant.get("postcode"):
            errors["tenant/postcode"] = ("ligt niet in een van de gemeenten van de "
                                         "Drechtsteden")
    if municipality is None:
        errors.setdefault("tenant/postcode", "is verplicht")
    if errors:
        raise InvalidInput(errors)
    assert municipality is not None
    return _Clean(
        external_id=str(signal["external_id"]).strip(), name=tenant["name"].strip(),
        street=tenant["street"].strip(),
        house_number=re.sub(r"\s+", "", str(tenant["house_number"])).lower(),
        postcode=normalise_postcode(tenant["postcode"]) or "", city=tenant["city"].strip(),
        phone=(tenant.get("phone") or None), email=(tenant.get("email") or None),
        date_of_birth=parsed["tenant/date_of_birth"], amount=parsed["arrears/amount"],
        months=int(arrears["months"]), since=parsed["arrears/since"],
        rent=parsed["monthly_rent"], warm_handover=bool(signal.get("warm_handover", False)),
        crisis=bool(signal.get("crisis", False)), municipality=municipality.slug,
        legal_event=(households.legal_event(signal["legal_event"]["kind"],
                                            signal["legal_event"])
                     if isinstance(signal.get("legal_event"), dict) else None))


def report_signal(ctx: EngineContext, session: Session, actor: Actor, signal: Any,
                  synthetic: bool = False) -> SignalResult:
    """Create the case of an arrears signal and start the chain; idempotent per external_id.

    :raise NotAllowed: the actor is not a housing corporation.
    :raise InvalidInput: every bad field of the signal, named in one error.
    """
    if not may_report_signals(actor):
        raise NotAllowed("alleen woningcorporaties melden huurders aan")
    clean = _clean(ctx, signal)
    existing = _existing(session, actor.organisation, clean.external_id)
    if existing is not None:
        return SignalResult(existing.case_number, False, existing.municipality)
    for _attempt in range(5):
        try:
            with session.begin_nested():
                case = _create(ctx, session, actor, clean, synthetic)
                _start_chain(ctx, session, actor, case, clean.legal_event)
            return SignalResult(case.case_number, True, case.municipality)
        except IntegrityError:
            existing = _existing(session, actor.organisation, clean.external_id)
            if existing is not None:
                return SignalResult(existing.case_number, False, existing.municipality)
    raise EngineError("could not allocate a case number; try again")


def _existing(session: Session, corporation: str, external_id: str) -> Case | None:
    return session.scalars(select(Case).where(Case.corporation == corporation,
                                              Case.external_id == external_id)).first()


def _create(ctx: EngineContext, session: Session, actor: Actor, clean: _Clean,
            synthetic: bool) -> Case:
    now = ctx.clock.now()
    # The number first: on SQLite its counter update takes the write lock before any read
    # of this transaction, so a signal sent during a batch waits its turn instead of failing.
    case_number = next_case_number(session, clean.municipality, now.astimezone(LOCAL_TZ).year)
    household = households.look_up(session, clean.postcode, clean.house_number, now)
    running, earlier = household.open_case, household.recent_closed
    increased = running is not None and clean.amount > running.arrears_amount
    legal = clean.legal_event
    opened_by = (f"legal_event:{legal['kind']}" if legal
                 else "arrears_increased" if increased else None)
    linked = running if running is not None else earlier
    case = Case(
        case_number=case_number,
        corporation=actor.organisation, municipality=clean.municipality,
        external_id=clean.external_id, tenant_name=clean.name, street=clean.street,
        house_number=clean.house_number, postcode=clean.postcode, city=clean.city,
        phone=clean.phone, email=clean.email, date_of_birth=clean.date_of_birth,
        synthetic=synthetic, arrears_amount=clean.amount, arrears_months=clean.months,
        arrears_since=clean.since, monthly_rent=clean.rent, crisis=clean.crisis,
        warm_handover=clean.warm_handover, duplicate=running is not None,
        repeat=running is None and earlier is not None,
        previous_case_id=linked.id if linked is not None else None, opened_by=opened_by,
        known_sdd_trajectory=household.known_sdd_trajectory,
        hearing_date=_legal_day(legal, "hearing_date"),
        eviction_date=_legal_day(legal, "eviction_date"), milestone="received",
        closed=False, referred_to_sdd=False, referred_to_care=False, created_at=now,
        updated_at=now, created_by=actor.username)
    session.add(case)
    session.flush()
    return case


def _legal_day(legal: dict[str, Any] | None, name: str) -> date | None:
    value = (legal or {}).get(name)
    return date.fromisoformat(value) if value else None


def _start_chain(ctx: EngineContext, session: Session, actor: Actor, case: Case,
                 legal_event: dict[str, Any] | None) -> None:
    payload = households.start_payload(ctx, session, case)
    if legal_event:
        payload["legal_event"] = legal_event
    messages.start_case_process(ctx, session, actor, START_MESSAGE, payload, case.case_number,
                               idempotency_key=f"signal:{case.corporation}:{case.external_id}")


def batch_counts(results: list[RowResult]) -> dict[str, int]:
    """How many rows of a batch were created, already known, and invalid."""
    return {status: sum(1 for r in results if r.status == status)
            for status in ("created", "existing", "invalid")}


def parse_csv(text: str) -> list[dict[str, Any]]:
    """CSV rows (header row with the ``CSV_COLUMNS`` names) as signal objects.

    Accepts comma or semicolon separators, decimal commas and ja/nee booleans; a value that
    cannot be converted is passed on as text so validation names the field.

    :raise InvalidInput: no header, or unknown columns.
    """
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    try:
        return _csv_rows(reader)
    except csv.Error as error:  # e.g. a field over csv.field_size_limit() (128 KiB)
        # The inner reader's count: DictReader's own is only updated after a good row.
        line = reader.reader.line_num
        raise InvalidInput({"csv": f"regel {line}: {_csv_problem(error)}"}) from None


def _csv_problem(error: csv.Error) -> str:
    if "field larger than field limit" in str(error):
        return f"een veld is groter dan {csv.field_size_limit() // 1024} KiB"
    return f"geen geldige CSV ({error})"


def _csv_rows(reader: csv.DictReader[str]) -> list[dict[str, Any]]:
    if not reader.fieldnames:
        raise InvalidInput({"csv": "het bestand heeft geen kopregel"})
    names = [(n or "").strip().lower() for n in reader.fieldnames]
    unknown = [n for n in names if n not in CSV_COLUMNS]
    if unknown:
        raise InvalidInput({"csv": "onbekende kolommen: " + ", ".join(unknown)})
    rows: list[dict[str, Any]] = []
    for raw in reader:
        signal: dict[str, Any] = {}
        for column, value in zip(names, raw.values(), strict=False):
            text_value = (value or "").strip() if isinstance(value, str) else ""
            path = CSV_COLUMNS[column]
            converted = _csv_value(column, text_value)
            if converted is None:
                continue
            target = signal
            for part in path[:-1]:
                target = target.setdefault(part, {})
            target[path[-1]] = converted
        rows.append(signal)
    return rows


def _csv_value(column: str, value: str) -> Any:
    if value == "":
        return False if column in ("warm_handover", "crisis") else None
    if column in ("warm_handover", "crisis"):
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        return value
    if column == "arrears_months":
        # ASCII digits only: "²".isdigit() is true, but int("²") fails.
        return int(value) if value.isascii() and value.isdecimal() else value
    if column in ("date_of_birth", "arrears_since"):
        return iso_date(value)  # ISO passes, Dutch dd-mm-jjjj is converted
    return value


    return value

