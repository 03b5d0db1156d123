"""The figures kept as cases move equal a direct count of the cases, and a rebuild agrees."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from engine import deployments
from engine.access import SYSTEM
from engine.chain import figures
from engine.chain.demo_cases import seed_year
from engine.context import EngineContext
from engine.models import Case, CaseRecord, FigureCell, FigureDirty, Message

UNTIL = date(2026, 9, 30)


@pytest.fixture
def seeded(ctx: EngineContext) -> EngineContext:
    with ctx.sessionmaker.begin() as session:
        deployments.deploy_path(ctx, session, SYSTEM, ctx.settings.processes_dir)
    seed_year(ctx, seed=3, signals=70, days=120, until=UNTIL)
    return ctx


def _stored(ctx: EngineContext) -> dict[tuple[str, date, str, str, str], int]:
    with ctx.sessionmaker() as session:
        return {(c.figure, c.month, c.municipality, c.corporation, c.category): c.n
                for c in session.scalars(select(FigureCell)) if c.n
                and figures.ALL not in (c.municipality, c.corporation)}


def _by(stored: dict[tuple[str, date, str, str, str], int], figure: str,
        category: str | None = None) -> int:
    return sum(n for key, n in stored.items()
               if key[0] == figure and (category is None or key[4] == category))


def test_counts_follow_the_cases_and_equal_a_direct_count(seeded: EngineContext) -> None:
    ctx = seeded
    with ctx.sessionmaker() as session:
        queued = session.scalar(select(func.count()).select_from(FigureDirty))
    assert queued  # the steps queued their cases
    figures.fold_all(ctx)
    stored = _stored(ctx)
    with ctx.sessionmaker() as session:
        signals = session.execute(select(Case.municipality, Case.corporation, Case.milestone,
                                         Case.national_result, Case.repeat,
                                         Case.referred_to_sdd, Case.referred_to_care)
                                  .where(Case.opened_by.is_(None)
                                         | ~Case.opened_by.startswith("reopened:"))).all()
        per_municipality = Counter(c.municipality for c in signals)
        legal = Counter(session.scalars(select(Message.name).where(
            Message.name.in_(("court_summons", "judgment", "eviction_executed")))).all())
        made = session.scalar(select(func.count(func.distinct(CaseRecord.case_number))).where(
            CaseRecord.bpmn_id == "review_payment_arrangement"))
        empty = session.scalar(select(func.count()).select_from(FigureDirty))
    assert empty == 0
    assert _by(stored, "signal") == len(signals) == 70
    for municipality, n in per_municipality.items():
        assert sum(v for k, v in stored.items()
                   if k[0] == "signal" and k[2] == municipality) == n
    assert _by(stored, "funnel", "not_picked_up") == sum(
        c.milestone == "not_picked_up" for c in signals) > 0
    assert _by(stored, "funnel") == len(signals)
    assert _by(stored, "funnel", "reached") > 0 and _by(stored, "funnel", "not_reached") > 0
    results = Counter(c.national_result for c in signals if c.national_result)
    assert results and all(_by(stored, "results", code) == n for code, n in results.items())
    assert _by(stored, "results") == sum(results.values())
    assert _by(stored, "repeat", "repeat") == sum(bool(c.repeat) for c in signals)
    assert _by(stored, "sdd") == sum(bool(c.referred_to_sdd) for c in signals) > 0
    assert _by(stored, "care") == sum(bool(c.referred_to_care) for c in signals)
    assert _by(stored, "arrangement") == made > 0
    assert _by(stored, "legal", "summons") == legal["court_summons"]
    assert _by(stored, "legal", "eviction") == legal["eviction_executed"]
    assert _by(stored, "attempt") >= _by(stored, "contact") > 0
    # counting everything anew gives the same cells as following the steps did
    assert figures.rebuild(ctx) >= 70
    assert _stored(ctx) == stored


def test_a_correction_moves_the_case_to_its_new_result(seeded: EngineContext) -> None:
    ctx = seeded
    figures.fold_all(ctx)
    with ctx.sessionmaker.begin() as session:
        case = session.scalars(select(Case).where(
            Case.national_result == "Definitief geen contact kunnen krijgen")).first()
        assert case is not None
        case.national_result = "Inwoner is overleden"
        figures.mark(session, case.case_number)
    before = _by(_stored(ctx), "results", "Inwoner is overleden")
    figures.fold_all(ctx)
    after = _stored(ctx)
    assert _by(after, "results", "Inwoner is overleden") == before + 1
