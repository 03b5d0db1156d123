"""`ketenflow seed-demo`: a realistic, deterministic set of synthetic cases through the engine."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from engine import deployments
from engine.access import SYSTEM
from engine.chain.demo_cases import SeedReport, seed_year
from engine.chain.municipalities import municipality_for
from engine.context import EngineContext
from engine.db import Base
from engine.models import Case, ProcessInstance
from engine.users import ensure_organisations

SIGNALS = 200
UNTIL = date(2026, 9, 30)
WEIGHTS = {"woonbron": 0.30, "trivire": 0.30, "woonkracht10": 0.25, "tablis": 0.09,
           "rhiant": 0.06}


def _seed(ctx: EngineContext) -> tuple[SeedReport, list[tuple[object, ...]]]:
    with ctx.sessionmaker.begin() as session:
        deployments.deploy_path(ctx, session, SYSTEM, ctx.settings.processes_dir)
    result = seed_year(ctx, seed=7, signals=SIGNALS, days=150, until=UNTIL)
    with ctx.sessionmaker() as session:
        rows = session.execute(select(
            Case.case_number, Case.corporation, Case.municipality, Case.tenant_name,
            Case.street, Case.house_number, Case.postcode, Case.city, Case.milestone,
            Case.closed, Case.synthetic).where(
            # a summons for a closed case reopens the file: a case, not a signal
            Case.opened_by.is_(None) | ~Case.opened_by.startswith("reopened:"))
            .order_by(Case.case_number)).all()
    return result, [tuple(r) for r in rows]


def _wipe(ctx: EngineContext) -> None:
    with ctx.db.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    with ctx.sessionmaker.begin() as session:
        ensure_organisations(session)


def test_demo_seed_is_realistic_and_deterministic(ctx: EngineContext) -> None:
    first, cases = _seed(ctx)
    print("\n" + "\n".join(first.lines()))
    assert first.signals == SIGNALS == len(cases)
    for corporation, weight in WEIGHTS.items():
        assert abs(first.by_corporation[corporation] / SIGNALS - weight) <= 0.02, corporation
    assert first.by_municipality["sliedrecht"] == first.by_corporation["tablis"]
    assert set(first.by_municipality) <= {"dordrecht", "zwijndrecht", "papendrecht",
                                          "hendrik-ido-ambacht", "sliedrecht", "alblasserdam"}
    assert 0.12 <= first.not_picked_up_share <= 0.28
    assert 0.35 <= first.reached_share <= 0.65
    assert first.outcomes["no_contact"] > 0 and first.outcomes["arrears_paid"] > 0
    assert first.outcomes["not_picked_up_duplicate"] > 0
    assert first.outcomes["not_picked_up_below_threshold"] > 0
    assert 0 < first.open_cases < SIGNALS and first.open_tasks > 0
    assert first.escalations > 0
    assert first.summonses > 0 and first.judgments > 0
    assert first.repeats > 0 and first.reopened > 0
    # §7 shares (issue 10 item 10) on this short period
    assert first.summonses_at_three_months == first.summonses  # never before 3 months
    assert first.contact_lost > 0 and first.contact_lost_at["desk"] == 0  # not via the SDD
    assert 0.05 <= first.contact_lost_share <= 0.30
    assert 1 <= first.referred_without_contact <= 0.03 * first.picked_up
    assert first.outcomes["referred_to_care"] > 0  # the other Meldpunt referrals consent
    assert 0.15 <= first.repeat_share <= 0.45
    assert first.open_cases == sum(first.open_by_stage.values())

    # synthetic identities, marked so, inside the region and outside real house numbers
    for (_number, _corp, municipality, name, _street, house, postcode, city, _milestone,
         _closed, synthetic) in cases:
        assert synthetic is True and name.endswith("(synthetisch)")
        assert 9001 <= int(str(house)) <= 9999
        found = municipality_for(str(postcode), None)
        assert found is not None and found.slug == municipality
        assert municipality_for(None, str(city)).slug == municipality  # type: ignore[union-attr]
    with ctx.sessionmaker() as session:
        errors = session.scalars(select(ProcessInstance.id).where(
            ProcessInstance.status == "error")).all()
        # nobody stays in outreach for ever: a home visit or card lets the six-week limit end
        # it (the reopened files too), so no case signalled 60+ days ago is still there
        stuck = [number for number, elements in session.execute(
            select(ProcessInstance.business_key, ProcessInstance.current_elements)
            .join(Case, Case.case_number == ProcessInstance.business_key)
            .where(ProcessInstance.process_id == "arrears_case",
                   ProcessInstance.status != "completed",
                   Case.created_at < datetime(2026, 8, 1, tzinfo=UTC)))
            if {"record_first_contact_attempt", "record_contact_attempt"} & set(elements)]
    assert errors == []
    assert stuck == []

    _wipe(ctx)
    second, again = _seed(ctx)
    assert again == cases
    assert second.lines()[1:] == first.lines()[1:]
