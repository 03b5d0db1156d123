"""The covenant's figures for managers: counted as cases move, read without touching a case.

Every case adds one to a handful of cells (``figure|month|municipality|corporation|category``):
its signal month, how far the funnel got, the national result, whether the first attempt and
the first contact came within their working days, the arrangement, the referrals and their
outcome, the legal events by the month they were reported. ``cells_of`` derives a case's cells
from what the chain keeps (the case row, its case records, step events and messages).

A step that may change a case's facts queues the case (``mark``, in the step's transaction:
``after_step``); the worker folds the queue in (``fold``): it recomputes those cases only and
moves each from its old cells to its new ones, so ``figure_cell`` always holds the sums and a
dashboard reads a few thousand rows of it, never the cases. ``rebuild`` counts everything anew
(existing data, or after a change of these rules).

What a manager sees is aggregate only (domain.md §6): ``tables`` answers counts, never a case,
and ``suppress`` hides every count from 1 to 4 as "<5", with complementary cells so a total
cannot give a hidden cell away.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import (
    String,
    Table,
    bindparam,
    delete,
    insert,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session

from engine.chain import arrangements
from engine.chain.national_results import EINDRESULTATEN
from engine.context import EngineContext
from engine.errors import InvalidInput
from engine.models import (
    Case,
    CaseRecord,
    Event,
    FigureCase,
    FigureCell,
    FigureDirty,
    Message,
    Organisation,
    ProcessInstance,
)
from engine.workdays import AMSTERDAM, working_days_between

#: Below this a count is shown as "<5" (domain.md §3.2, design.md: counts under 5 suppressed).
THRESHOLD = 5
HIDDEN = "<5"
#: The first attempt is due ``contact_working_days`` after the signal (triage_signal.dmn's
#: default, the first attempt task's deadline ``first_contact_due``).
ATTEMPT_WORKING_DAYS = 5
#: First contact within the outreach period: six weeks (``outreach_max_days`` 42) is 30
#: working days.
CONTACT_WORKING_DAYS = 30
#: The region's evictions in 2014, the covenant's reference (domain.md §0.1, [S1]).
EVICTIONS_2014 = 137

ATTEMPTS = ("record_first_contact_attempt", "record_contact_attempt")
SDD_REFERRAL, SDD_OUTCOME = "prepare_sdd_referral", "report_sdd_outcome"
CARE_REFERRAL, CARE_OUTCOME = "prepare_care_referral", "report_care_referral_outcome"
_RECORDS = (*ATTEMPTS, arrangements.REVIEW, SDD_REFERRAL, SDD_OUTCOME, CARE_REFERRAL,
            CARE_OUTCOME)
LEGAL_MESSAGES = {"court_summons": "summons", "judgment": "judgment",
                  "eviction_executed": "eviction"}
#: The national results that say the household was not picked up or not reached.
NOT_REACHED_RESULTS = tuple(r for r in EINDRESULTATEN if r.startswith("Niet opgepakt")) + (
    "Inwoner is overleden", "Persoon is geen inwoner (meer) in de gemeente",
    "Definitief geen contact kunnen krijgen", "Verwijzing zonder contact")


@dataclass(frozen=True)
class Figure:
    """One figure: its columns (category, Dutch, English), whether its columns add up to a
    row total (``total``: Dutch, English), and whether its rows are months or years."""

    id: str
    title: tuple[str, str]
    columns: tuple[tuple[str, str, str], ...]
    total: tuple[str, str] | None = ("Totaal", "Total")
    rows: str = "month"
    #: the stored figure the counts come from, and the case dimension its columns are
    source: str = ""
    by: str = "category"
    chart: str = "bar"
    note: tuple[str, str] | None = None

    @property
    def stored(self) -> str:
        return self.source or self.id


def _national(codes: Iterable[str]) -> tuple[tuple[str, str, str], ...]:
    return tuple((code, code, code) for code in codes)


SDD_OUTCOMES = (("advice_completed", "Budgetadvies afgerond", "Budget advice completed"),
                ("debt_mediation_started", "Schuldbemiddeling gestart", "Debt mediation started"),
                ("already_known", "Al bekend bij schuldhulpverlening",
                 "Already known to debt assistance"),
                ("client_withdrew", "Huurder haakte af", "Tenant withdrew"),
                ("pending", "Nog geen uitkomst", "No outcome yet"))
CARE_OUTCOMES = (("guided_into_care", "Toegeleid naar zorg", "Guided into care"),
                 ("accepted", "Aangenomen, loopt", "Accepted, ongoing"),
                 ("not_accepted", "Niet aangenomen", "Not accepted"),
                 ("closed_no_care_needed", "Gesloten, geen zorg nodig", "Closed, no care needed"),
                 ("pending", "Nog geen uitkomst", "No outcome yet"))

#: The figures in the order the cockpit shows them. ``columns`` of the municipality and
#: corporation figures are filled from the organisations (never a hard-coded list).
FIGURES: tuple[Figure, ...] = (
    Figure("signals_municipality", ("Signalen per maand per gemeente",
                                    "Signals per month by municipality"), (),
           source="signal", by="municipality", chart="stacked"),
    Figure("signals_corporation", ("Signalen per maand per corporatie",
                                   "Signals per month by corporation"), (),
           source="signal", by="corporation", chart="stacked"),
    Figure("funnel", ("Opgepakt, bereikt en niet bereikt", "Picked up, reached and not reached"),
           (("reached", "Bereikt", "Reached"),
            ("not_reached", "Opgepakt, niet bereikt", "Picked up, not reached"),
            ("open", "Opgepakt, nog bezig", "Picked up, in progress"),
            ("not_picked_up", "Niet opgepakt", "Not picked up")),
           total=("Signalen", "Signals"), chart="stacked"),
    Figure("reasons", ("Redenen niet opgepakt en niet bereikt (landelijk)",
                       "Reasons not picked up and not reached (national)"),
           _national(NOT_REACHED_RESULTS), chart="stacked"),
    Figure("attempt", ("Eerste poging binnen de termijn", "First attempt within the deadline"),
           (("on_time", f"Binnen {ATTEMPT_WORKING_DAYS} werkdagen",
             f"Within {ATTEMPT_WORKING_DAYS} working days"),
            ("late", "Later", "Later")), chart="share",
           note=("Werkdagen van signaal tot eerste contactpoging (Algemene termijnenwet).",
                 "Working days from signal to first contact attempt (Algemene termijnenwet).")),
    Figure("contact", ("Eerste contact binnen de termijn", "First contact within the deadline"),
           (("on_time", f"Binnen {CONTACT_WORKING_DAYS} werkdagen",
             f"Within {CONTACT_WORKING_DAYS} working days"),
            ("late", "Later", "Later")), chart="share",
           note=("Werkdagen van signaal tot eerste contact (zes weken outreach).",
                 "Working days from signal to first contact (six weeks of outreach).")),
    Figure("results", ("Resultaten naar landelijke code", "Results by national code"),
           _national(EINDRESULTATEN), chart="stacked"),
    Figure("arrangement", ("Betalingsregelingen: getroffen en nagekomen",
                           "Payment arrangements: made and kept"),
           (("kept", "Nagekomen", "Kept"), ("broken", "Niet nagekomen", "Broken"),
            ("running", "Loopt", "Running")), total=("Getroffen", "Made"), chart="stacked"),
    Figure("sdd", ("Verwijzingen naar de SDD en hun uitkomst",
                   "Referrals to the SDD and their outcome"), SDD_OUTCOMES,
           total=("Verwezen", "Referred"), chart="stacked"),
    Figure("care", ("Verwijzingen naar het Meldpunt en hun uitkomst",
                    "Referrals to the Meldpunt and their outcome"), CARE_OUTCOMES,
           total=("Verwezen", "Referred"), chart="stacked"),
    Figure("legal", ("Dagvaardingen, vonnissen en ontruimingen per jaar",
                     "Court summonses, judgments and evictions per year"),
           (("summons", "Dagvaardingen", "Court summonses"),
            ("judgment", "Vonnissen", "Judgments"), ("eviction", "Ontruimingen", "Evictions")),
           total=None, rows="year", chart="legal",
           note=(f"Ter vergelijking: {EVICTIONS_2014} ontruimingen in de regio in 2014.",
                 f"For comparison: {EVICTIONS_2014} evictions in the region in 2014.")),
    Figure("repeat", ("Herhaalde signalen", "Repeat signals"),
           (("first", "Eerste signaal", "First signal"),
            ("repeat", "Herhaald (binnen 12 maanden na afsluiting)",
             "Repeat (within 12 months of closure)")),
           total=("Signalen", "Signals"), chart="stacked"),
)
FIGURE_IDS = tuple(f.id for f in FIGURES)
#: What a table's rows are, (Dutch, English).
STEP_LABELS = {"month": ("Maand", "Month"), "quarter": ("Kwartaal", "Quarter"),
               "year": ("Jaar", "Year")}


# --- what a case counts in ---------------------------------------------------------------------

def _month(moment: datetime | date) -> date:
    if isinstance(moment, datetime):
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(
            AMSTERDAM).date()
    return moment.replace(day=1)


def _day(moment: datetime) -> date:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(AMSTERDAM).date()


def _date(value: object, fallback: datetime) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            pass
    return _day(fallback)


@dataclass
class Facts:
    """What a case's cells follow besides the case row (read by ``cells_of``)."""

    attempts: list[tuple[date, bool]] = field(default_factory=list)
    arrangement: bool = False
    sdd: str | None = None
    care: str | None = None
    steps: set[str] = field(default_factory=set)
    legal: list[tuple[str, date]] = field(default_factory=list)


def cells_of(session: Session, case_numbers: Iterable[str]) -> dict[int, set[str]]:
    """Each case's cells by case id, read in four queries for the whole batch."""
    numbers = list(dict.fromkeys(case_numbers))
    if not numbers:
        return {}
    cases = session.execute(select(
        Case.id, Case.case_number, Case.municipality, Case.corporation, Case.created_at,
        Case.milestone, Case.closed, Case.national_result, Case.repeat, Case.opened_by,
        Case.referred_to_sdd, Case.referred_to_care).where(Case.case_number.in_(numbers))).all()
    facts: dict[str, Facts] = {c.case_number: Facts() for c in cases}
    for number, bpmn_id, data, completed in session.execute(
            select(CaseRecord.case_number, CaseRecord.bpmn_id, CaseRecord.data,
                   CaseRecord.completed_at)
            .where(CaseRecord.case_number.in_(numbers), CaseRecord.bpmn_id.in_(_RECORDS))
            .order_by(CaseRecord.completed_at, CaseRecord.id)):
        fact = facts.get(number)
        if fact is None:
            continue
        data = data or {}
        if bpmn_id in ATTEMPTS:
            fact.attempts.append((_date(data.get("attempt_date"), completed),
                                  data.get("contact_made") is True))
        elif bpmn_id == arrangements.REVIEW:
            fact.arrangement = fact.arrangement or data.get("arrangement_accepted") is True
        elif bpmn_id == SDD_REFERRAL:
            fact.sdd = fact.sdd or "pending"
        elif bpmn_id == SDD_OUTCOME:
            fact.sdd = str(data.get("sdd_outcome") or "pending")
        elif bpmn_id == CARE_REFERRAL:
            fact.care = fact.care or "pending"
        elif bpmn_id == CARE_OUTCOME:
            fact.care = str(data.get("care_outcome") or "pending")
    for number, element in session.execute(
            select(ProcessInstance.business_key, Event.element_id)
            .join(Event, Event.instance_id == ProcessInstance.id)
            .where(ProcessInstance.business_key.in_(numbers),
                   Event.kind.in_(("element_completed", "task_ready")),
                   Event.element_id.in_((arrangements.KEPT, arrangements.BROKEN)))):
        if number in facts and element is not None:
            facts[number].steps.add(element)
    for number, name, received in session.execute(
            select(Message.correlation_value, Message.name, Message.received_at)
            .where(Message.correlation_value.in_(numbers),
                   Message.name.in_(tuple(LEGAL_MESSAGES)))):
        if number in facts:
            facts[number].legal.append((LEGAL_MESSAGES[name], _month(received)))
    return {c.id: case_cells(c, facts[c.case_number]) for c in cases}


def case_cells(case: Any, fact: Facts) -> set[str]:
    """The cells of one case (pure: the bench and the tests build cases with it too)."""
    where = f"{case.municipality}|{case.corporation}"
    cells = {f"legal|{month.isoformat()}|{where}|{kind}" for kind, month in fact.legal}
    if (case.opened_by or "").startswith("reopened:"):
        return cells  # the household's file reopened by a legal event: not a new signal
    month = _month(case.created_at).isoformat()

    def add(figure: str, category: str) -> None:
        cells.add(f"{figure}|{month}|{where}|{category}")

    add("signal", "signal")
    add("repeat", "repeat" if case.repeat else "first")
    received = _day(case.created_at)
    contact = next((on for on, made in fact.attempts if made), None)
    if case.milestone == "not_picked_up":
        add("funnel", "not_picked_up")
    elif contact is not None:
        add("funnel", "reached")
    elif case.closed:
        add("funnel", "not_reached")
    else:
        add("funnel", "open")
    result = case.national_result
    if result:
        add("results", result)
        if result in NOT_REACHED_RESULTS:
            add("reasons", result)
    if fact.attempts:
        days = working_days_between(received, fact.attempts[0][0])
        add("attempt", "on_time" if days <= ATTEMPT_WORKING_DAYS else "late")
    if contact is not None:
        days = working_days_between(received, contact)
        add("contact", "on_time" if days <= CONTACT_WORKING_DAYS else "late")
    if fact.arrangement:
        add("arrangement", "kept" if arrangements.KEPT in fact.steps else
            "broken" if arrangements.BROKEN in fact.steps else "running")
    if fact.sdd or case.referred_to_sdd:
        add("sdd", fact.sdd or "pending")
    if fact.care or case.referred_to_care:
        add("care", fact.care or "pending")
    return cells


# --- keeping the counts -------------------------------------------------------------------------

_DIRTY = cast(Table, FigureDirty.__table__)
_CELLS = cast(Table, FigureCell.__table__)
_CASES = cast(Table, FigureCase.__table__)
_KEY = ("figure", "month", "municipality", "corporation", "category")
_BUMP = (update(_CELLS).where(*[_CELLS.c[k] == bindparam(f"k_{k}") for k in _KEY])
         .values(n=_CELLS.c.n + bindparam("delta")))


def mark(session: Session, case_number: str) -> None:
    """Queue ``case_number`` for the next fold (in the caller's transaction)."""
    session.connection().execute(insert(_DIRTY), [{"case_number": case_number}])


def after_step(ctx: EngineContext, session: Session, row: ProcessInstance, workflow: Any,
               ready: list[Any]) -> None:
    """Step hook: the step may have changed the case's facts; queue it (one insert)."""
    if row.business_key is not None:
        mark(session, row.business_key)


def _split(cell: str) -> dict[str, Any]:
    figure, month, municipality, corporation, category = cell.split("|", 4)
    return {"figure": figure, "month": date.fromisoformat(month),
            "municipality": municipality, "corporation": corporation, "category": category}


#: The municipality or corporation of a roll-up cell: the sum over all of them. Every case's
#: cell is stored four times (its own, per municipality, per corporation, all), so a dashboard
#: reads one slice of a few thousand rows whatever the filter, never sums over the region.
ALL = "*"


def rolled_up(cells: Mapping[str, int]) -> Counter[str]:
    """``cells`` with their roll-ups: each also counts for its municipality over all
    corporations, its corporation over all municipalities, and the whole region."""
    found: Counter[str] = Counter()
    for cell, n in cells.items():
        figure, month, municipality, corporation, category = cell.split("|", 4)
        for where in (f"{municipality}|{corporation}", f"{municipality}|{ALL}",
                      f"{ALL}|{corporation}", f"{ALL}|{ALL}"):
            found[f"{figure}|{month}|{where}|{category}"] += n
    return found


def _add(session: Session, delta: Counter[str]) -> None:
    """Add ``delta`` (cells of cases) to the stored counts and their roll-ups (a new cell is
    inserted)."""
    connection = session.connection()
    for cell, change in sorted(rolled_up(delta).items()):
        if change == 0:
            continue
        key = _split(cell)
        done = connection.execute(_BUMP, {**{f"k_{k}": v for k, v in key.items()},
                                          "delta": change})
        if done.rowcount == 0:
            connection.execute(insert(_CELLS), [{**key, "n": change}])


def update_cases(session: Session, case_numbers: Iterable[str]) -> int:
    """Move the cases from the cells they counted in to the ones they count in now."""
    new = cells_of(session, case_numbers)
    if not new:
        return 0
    old = {case_id: set(cells.split("\n")) if cells else set()
           for case_id, cells in session.execute(
               select(FigureCase.case_id, FigureCase.cells)
               .where(FigureCase.case_id.in_(list(new))))}
    delta: Counter[str] = Counter()
    connection = session.connection()
    for case_id, cells in new.items():
        before = old.get(case_id)
        if before == cells:
            continue
        delta.update(cells - (before or set()))
        delta.subtract((before or set()) - cells)
        text = "\n".join(sorted(cells))
        if before is None:
            connection.execute(insert(_CASES), [{"case_id": case_id, "cells": text}])
        else:
            connection.execute(update(_CASES).where(_CASES.c.case_id == case_id)
                               .values(cells=text))
    _add(session, delta)
    return len(new)


#: The advisory lock that serialises folds on PostgreSQL ("KFFIGURE" as a number).
FOLD_LOCK = 0x4B46464947555245


def fold(ctx: EngineContext, limit: int = 500) -> int:
    """Fold up to ``limit`` queued changes into the counts (one transaction); returns how
    many queue rows were taken. The worker calls this every round."""
    with ctx.sessionmaker.begin() as session:
        if session.get_bind().dialect.name == "postgresql":
            # one fold at a time (several workers): two folds of the same case would both
            # move it from its old cells and count it twice. SQLite serialises writers itself.
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FOLD_LOCK})
        rows = session.execute(select(FigureDirty.id, FigureDirty.case_number)
                               .order_by(FigureDirty.id).limit(limit)).all()
        if not rows:
            return 0
        update_cases(session, {r.case_number for r in rows})
        session.execute(delete(_DIRTY).where(_DIRTY.c.id.in_([r.id for r in rows])))
    return len(rows)


def fold_all(ctx: EngineContext) -> int:
    """Fold until the queue is empty (tests, the CLI)."""
    total = 0
    while (taken := fold(ctx)) > 0:
        total += taken
    return total


def rebuild(ctx: EngineContext, chunk: int = 2000) -> int:
    """Count every case anew; returns the number of cases counted."""
    with ctx.sessionmaker.begin() as session:
        session.execute(delete(_DIRTY))
        session.execute(delete(_CASES))
        session.execute(delete(_CELLS))
    counted, last = 0, 0
    totals: Counter[str] = Counter()
    while True:
        with ctx.sessionmaker.begin() as session:
            rows = session.execute(select(Case.id, Case.case_number).where(Case.id > last)
                                   .order_by(Case.id).limit(chunk)).all()
            if not rows:
                break
            last = rows[-1].id
            cells = cells_of(session, [r.case_number for r in rows])
            session.execute(insert(_CASES), [{"case_id": i, "cells": "\n".join(sorted(c))}
                                             for i, c in cells.items()])
            for found in cells.values():
                totals.update(found)
            counted += len(rows)
    with ctx.sessionmaker.begin() as session:
        write_counts(session, totals)
    return counted


def write_counts(session: Session, totals: Mapping[str, int], batch: int = 5000) -> None:
    """Insert fresh counts of cases' cells with their roll-ups (the cells must not exist)."""
    rows = [{**_split(cell), "n": n} for cell, n in rolled_up(totals).items() if n]
    for start in range(0, len(rows), batch):
        session.execute(insert(_CELLS), rows[start:start + batch])


# --- reading them -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """The period (first days of the first and last month) and optional organisations."""

    start: date
    end: date
    municipality: str | None = None
    corporation: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"from": self.start.strftime("%Y-%m"), "to": self.end.strftime("%Y-%m"),
                "municipality": self.municipality, "corporation": self.corporation}


def organisations(session: Session) -> dict[str, list[tuple[str, str]]]:
    """The municipalities and corporations to filter on: kind -> [(slug, name)]."""
    found: dict[str, list[tuple[str, str]]] = {"municipality": [], "corporation": []}
    for slug, name, kind in session.execute(
            select(Organisation.slug, Organisation.name, Organisation.kind)
            .where(Organisation.kind.in_(tuple(found))).order_by(Organisation.name)):
        found[kind].append((slug, name))
    return found


def quarters(session: Session) -> list[str]:
    """The quarters that have signals, newest first (``2026-Q3``): the period filter's
    choices, read from the region's roll-up (one row per month)."""
    months = session.scalars(select(FigureCell.month).where(
        FigureCell.municipality == ALL, FigureCell.corporation == ALL,
        FigureCell.figure == "signal", FigureCell.n > 0)).all()
    found = {f"{m.year}-Q{(m.month - 1) // 3 + 1}" for m in months}
    return sorted(found, reverse=True)


_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})(?:-[0-9]{2})?")
_QUARTER = re.compile(r"([0-9]{4})-?[Qq]([1-4])")


def _parse_month(value: str, name: str) -> date:
    match = _MONTH.fullmatch(value.strip())
    if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1900:
        raise InvalidInput({name: "is geen maand (jjjj-mm) of datum (jjjj-mm-dd)"})
    return date(int(match[1]), int(match[2]), 1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def parse_filters(args: Mapping[str, str], today: date,
                  known: Mapping[str, list[tuple[str, str]]]) -> Filters:
    """Filters from a request's arguments: ``quarter`` (2025-Q3) or ``from``/``to`` (months or
    dates), default the last twelve months; ``municipality`` and ``corporation`` by slug.

    :raise InvalidInput: naming the argument that is not understood.
    """
    def arg(name: str) -> str | None:
        value = args.get(name)
        return value.strip() if value and value.strip() else None

    quarter = arg("quarter")
    if quarter is not None:
        match = _QUARTER.fullmatch(quarter)
        if match is None:
            raise InvalidInput({"quarter": "is geen kwartaal (bijvoorbeeld 2025-Q3)"})
        start = date(int(match[1]), 3 * int(match[2]) - 2, 1)
        end = _add_months(start, 2)
    else:
        this_month = today.replace(day=1)
        end = _parse_month(arg("to") or "", "to") if arg("to") else this_month
        start = _parse_month(arg("from") or "", "from") if arg("from") \
            else _add_months(end, -11)
        if start > end:
            raise InvalidInput({"from": "ligt na 'tot'"})
        if (end.year - start.year) * 12 + end.month - start.month >= 240:
            raise InvalidInput({"from": "periode langer dan twintig jaar"})
    chosen = {}
    for kind in ("municipality", "corporation"):
        value = arg(kind)
        if value is not None and value not in {slug for slug, _ in known.get(kind, [])}:
            raise InvalidInput({kind: f"'{value[:40]}' is geen bekende "
                                      f"{'gemeente' if kind == 'municipality' else 'corporatie'}"})
        chosen[kind] = value
    return Filters(start, end, chosen["municipality"], chosen["corporation"])


@dataclass
class FigureTable:
    """One figure's counts, rows (periods) by columns, before suppression."""

    figure: Figure
    rows: list[str]
    columns: list[tuple[str, str, str]]
    counts: list[list[int]]
    #: what a row is: ``month``, ``quarter`` or ``year``
    step: str = "month"

    def shown(self) -> Shown:
        return suppress(self.counts, self.figure.total is not None)


@dataclass
class Shown:
    """A table as a manager may see it: every value an int or "<5"."""

    cells: list[list[int | str]]
    row_totals: list[int | str] | None
    column_totals: list[int | str]
    total: int | str | None


def suppress(counts: list[list[int]], row_totals: bool = True) -> Shown:
    """Hide counts 1–4 (primary), then in every row and column whose total is shown (and in the
    totals row) hide one more cell wherever a single hidden cell could be worked out from the
    total: the smallest non-zero visible one, or the total itself when there is none."""
    n_rows, n_cols = len(counts), len(counts[0]) if counts else 0
    col_sum = [sum(counts[r][c] for r in range(n_rows)) for c in range(n_cols)]
    row_sum = [sum(row) for row in counts]
    grand = sum(row_sum)
    # the grid with the totals as an extra row and column: (r, c) with r == n_rows the totals
    # row and c == n_cols the totals column
    value: dict[tuple[int, int], int] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            value[(r, c)] = counts[r][c]
        if row_totals:
            value[(r, n_cols)] = row_sum[r]
    for c in range(n_cols):
        value[(n_rows, c)] = col_sum[c]
    if row_totals:
        value[(n_rows, n_cols)] = grand
    hidden = {key for key, n in value.items() if 0 < n < THRESHOLD}
    groups: list[list[tuple[int, int]]] = []
    for r in range(n_rows + 1):  # each row with its total
        if row_totals:
            groups.append([(r, c) for c in range(n_cols + 1)])
    for c in range(n_cols + (1 if row_totals else 0)):  # each column with its total
        groups.append([(r, c) for r in range(n_rows + 1)])
    changed = True
    while changed:
        changed = False
        for group in groups:
            if sum(1 for key in group if key in hidden) != 1:
                continue
            candidates = [key for key in group[:-1] if key not in hidden and value[key] > 0]
            extra = min(candidates, key=lambda k: (value[k], k)) if candidates else group[-1]
            if extra not in hidden:
                hidden.add(extra)
                changed = True

    def show(key: tuple[int, int]) -> int | str:
        return HIDDEN if key in hidden else value[key]

    return Shown(
        cells=[[show((r, c)) for c in range(n_cols)] for r in range(n_rows)],
        row_totals=[show((r, n_cols)) for r in range(n_rows)] if row_totals else None,
        column_totals=[show((n_rows, c)) for c in range(n_cols)],
        total=show((n_rows, n_cols)) if row_totals else None)


def _months(filters: Filters) -> list[date]:
    found, day = [], filters.start
    while day <= filters.end:
        found.append(day)
        day = _add_months(day, 1)
    return found


def granularity(months: int) -> str:
    """Rows by month for up to two years, by quarter up to six, else by year: a trend stays
    readable and a page of ten years stays small."""
    return "month" if months <= 24 else "quarter" if months <= 72 else "year"


def _period(month: str, step: str) -> str:
    """The row of ``YYYY-MM``: itself, ``YYYY-Qn`` or ``YYYY``."""
    if step == "month":
        return month[:7]
    if step == "quarter":
        return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"
    return month[:4]


def tables(session: Session, filters: Filters) -> list[FigureTable]:
    """Every figure for ``filters``: three reads of one roll-up slice of ``figure_cell``
    (a few thousand rows at most), no case read."""
    municipality = filters.municipality or ALL
    corporation = filters.corporation or ALL
    cells = _CELLS.c
    # months as ISO text, read without a date parse per row (SQLite keeps them as text)
    month = type_coerce(cells.month, String)
    period = (cells.month >= filters.start, cells.month <= filters.end)
    connection = session.connection()
    months = [m.strftime("%Y-%m") for m in _months(filters)]
    step = granularity(len(months))
    periods = list(dict.fromkeys(_period(m, step) for m in months))
    years = list(dict.fromkeys(m[:4] for m in months))
    # the row (and the year) of each month as the driver returns it (text or a date)
    rows_of: dict[Any, tuple[str, str]] = {}
    counts: dict[tuple[str, str, str], int] = {}

    def count(figure: str, at: Any, category: str, n: int) -> None:
        where = rows_of.get(at)
        if where is None:
            month = str(at)[:7]
            where = rows_of[at] = (_period(month, step), month[:4])
        key = (figure, where[0], category)
        counts[key] = counts.get(key, 0) + n
        if step != "year":
            key = (figure, where[1], category)
            counts[key] = counts.get(key, 0) + n

    for figure, at, category, n in connection.execute(
            select(cells.figure, month, cells.category, cells.n)
            .where(cells.municipality == municipality, cells.corporation == corporation,
                   *period, cells.figure != "signal")).all():
        count(figure, at, category, n)
    for dimension, other, other_value, chosen in (
            ("municipality", cells.corporation, corporation, filters.municipality),
            ("corporation", cells.municipality, municipality, filters.corporation)):
        column = cells[dimension]
        for at, key, n in connection.execute(
                select(month, column, cells.n)
                .where(other == other_value, *period, cells.figure == "signal",
                       column == chosen if chosen else column != ALL)).all():
            count(f"signals_{dimension}", at, key, n)
    known = organisations(session)
    found = []
    for figure in FIGURES:
        columns = list(figure.columns)
        if figure.by != "category":
            chosen = getattr(filters, figure.by)
            columns = [(slug, name, name) for slug, name in known[figure.by]
                       if chosen is None or slug == chosen]
        stored = figure.stored if figure.by == "category" else figure.id
        rows = years if figure.rows == "year" else periods
        found.append(FigureTable(figure, rows, columns,
                                 [[counts.get((stored, p, key), 0) for key, _nl, _en in columns]
                                  for p in rows], "year" if figure.rows == "year" else step))
    return found


def label(pair: tuple[str, str] | tuple[str, str, str], lang: str) -> str:
    """The Dutch or English text of a (nl, en) pair or a (key, nl, en) column."""
    texts = pair[-2:]
    return texts[1] if lang == "en" else texts[0]


def as_dict(table: FigureTable, lang: str = "nl") -> dict[str, Any]:
    """A figure as the API and the page's charts give it: suppressed values only."""
    shown = table.shown()
    figure = table.figure
    return {
        "id": figure.id, "title": label(figure.title, lang),
        "rows": table.step, "periods": table.rows,
        "columns": [{"key": key, "label": label((nl, en), lang)}
                    for key, nl, en in table.columns],
        "cells": shown.cells,
        "row_total_label": label(figure.total, lang) if figure.total else None,
        "row_totals": shown.row_totals, "column_totals": shown.column_totals,
        "total": shown.total,
        "note": label(figure.note, lang) if figure.note else None,
        # on time as a percentage, where both counts are shown (None: hidden or none)
        "shares": [_share(row) for row in shown.cells] if figure.chart == "share" else None,
    }


def _share(row: list[int | str]) -> float | None:
    on_time, late = row[0], row[1]
    if not isinstance(on_time, int) or not isinstance(late, int) or on_time + late == 0:
        return None
    return round(100 * on_time / (on_time + late), 1)


def csv_text(table: FigureTable, lang: str = "nl") -> str:
    """A figure as CSV (semicolon-separated, as Dutch spreadsheets expect), suppressed."""
    shown = table.shown()
    figure = table.figure
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    head = [label(STEP_LABELS[table.step], lang)]
    totals = [label(figure.total, lang)] if figure.total else []
    writer.writerow(head + [label((nl, en), lang) for _key, nl, en in table.columns] + totals)
    for index, period in enumerate(table.rows):
        row_total = [shown.row_totals[index]] if shown.row_totals is not None else []
        writer.writerow([period, *shown.cells[index], *row_total])
    writer.writerow(["Totaal" if lang != "en" else "Total", *shown.column_totals,
                     *([shown.total] if figure.total else [])])
    return out.getvalue()
