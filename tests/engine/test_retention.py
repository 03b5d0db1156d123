"""Retention (issue 13 item 2): cases closed longer than the retention period ago lose every
trace of who the household is and what was written about it, in every table; the national
export of their period and the cases still inside the period stay exactly as they were."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from engine.access import SYSTEM
from engine.chain import retention
from engine.chain.ddas_export import build_delivery
from engine.chain.municipalities import MUNICIPALITIES
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.db import Base
from engine.models import Case, CaseRecord, Event
from engine.worker import run_daily_jobs
from tests.processes.chain import ZRM_DOMAINS, Chain, deploy_chain

RETENTION_DAYS = 30


def _tenant(label: str) -> dict[str, Any]:
    """A household whose every value is unique to it, so a search for it finds only it."""
    return {"tenant_name": f"Huurder {label} Bloemendaal-{label}",
            "street": f"Purgestraatje{label}", "house_number": "17", "postcode": f"3317 Q{label}",
            "city": "Dordrecht", "phone": f"06-1234{ord(label):04d}",
            "email": f"huurder.{label.lower()}@voorbeeld.invalid",
            "date_of_birth": date(1961, 2, 3 + ord(label) - ord("A"))}


def _texts(label: str) -> dict[str, str]:
    return {name: f"Vrije tekst {name} van huishouden {label}: schulden bij de buurman"
            for name in ("attempt", "conversation", "plan", "referral", "closure", "reason",
                         "zrm")}


def _drive(ctx: EngineContext, clock: ManualClock, label: str, number: str,
           sdd: bool, close: bool) -> dict[str, str]:
    """One case from signal to closure (through the SDD with ``sdd``), with free text in
    every form that has it; returns the personal values it holds."""
    tenant = _tenant(label)
    now = clock.now()
    with ctx.sessionmaker.begin() as session:
        session.add(Case(case_number=number, corporation="woonbron", municipality="dordrecht",
                         external_id=f"EXT-{label}-contract", arrears_amount=Decimal("1450"),
                         arrears_months=2, monthly_rent=Decimal("725"), synthetic=True,
                         created_at=now, updated_at=now, **tenant))
    chain = Chain(ctx, clock, number)
    text = _texts(label)
    chain.signal()
    if not close:
        return {**{k: str(v) for k, v in tenant.items() if k not in ("city", "house_number")}}
    chain.complete("record_first_contact_attempt", {
        "attempt_date": chain.today(), "attempt_type": "Huisbezoek", "day_part": "afternoon",
        "contact_made": True, "attempt_note": text["attempt"]})
    chain.at(clock.now() + timedelta(days=2))
    chain.complete("hold_kitchen_table_conversation", {
        "conversation_date": chain.today(), "help_wanted": sdd, "consent_data_sharing": True,
        "other_debts": False, "conversation_note": text["conversation"]})
    if sdd:
        zrm: dict[str, Any] = {"zrm_date": chain.today()}
        for domain in ZRM_DOMAINS:
            zrm[f"zrm_{domain}"] = 2 if domain == "finances" else 4
            zrm[f"zrm_{domain}_note"] = "toelichting"
        zrm["zrm_finances_note"] = text["zrm"]
        chain.complete("score_zrm", zrm)
        chain.complete("agree_action_plan", {"plan_summary": text["plan"],
                                             "route_choice": "follow_advice"})
        chain.complete("prepare_sdd_referral", {"sdd_service": "budget_advice",
                                                "referral_summary": text["referral"],
                                                "consent_given": True})
        chain.complete("hold_sdd_intake", {"sdd_intake_date": chain.today(),
                                           "sdd_trajectory": "budget_advice"})
        chain.complete("report_sdd_outcome", {"sdd_outcome": "advice_completed",
                                              "sdd_outcome_date": chain.today(),
                                              "sdd_action_plan_set": True})
    chain.complete("confirm_case_closure", {
        "closure_date": chain.today(), "closure_note": text["closure"],
        "closure_correction": "deceased", "closure_correction_reason": text["reason"]})
    with ctx.sessionmaker() as session:
        assert session.scalar(select(Case.closed).where(Case.case_number == number))
    values = {k: str(v) for k, v in tenant.items() if k not in ("city", "house_number")}
    values["external_id"] = f"EXT-{label}-contract"
    values.update({f"text_{k}": v for k, v in text.items() if sdd or k not in (
        "plan", "referral", "zrm")})
    return values


def _dump(ctx: EngineContext) -> dict[str, list[str]]:
    """Every row of every table as text (JSON columns as JSON)."""
    found: dict[str, list[str]] = {}
    with ctx.db.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(table.select()).mappings().all()
            found[table.name] = [json.dumps({k: v for k, v in row.items()}, default=str,
                                            ensure_ascii=False, sort_keys=True)
                                 for row in rows]
    return found


def _hits(dump: dict[str, list[str]], needles: set[str]) -> list[tuple[str, str]]:
    return sorted({(table, needle) for table, rows in dump.items() for row in rows
                   for needle in needles if needle in row})


def _delivery(ctx: EngineContext, start: date, end: date) -> dict[str, Any]:
    with ctx.sessionmaker() as session:
        found = MUNICIPALITIES
        members = tuple(m for m in found if m.cbs_code)
        content = build_delivery(ctx, session, start, end, members).content
    content.pop("aanleverdatumEnTijd")
    return content


def _case_rows(ctx: EngineContext, numbers: list[str]) -> list[str]:
    dump: list[str] = []
    with ctx.db.connect() as conn:
        for table in (Case.__table__, CaseRecord.__table__):
            rows = conn.execute(table.select().where(table.c.case_number.in_(numbers))
                                .order_by(table.c.id)).mappings().all()
            dump += [json.dumps(dict(row), default=str, sort_keys=True) for row in rows]
    return dump


@pytest.fixture
def closed(ctx: EngineContext, clock: ManualClock) -> dict[str, Any]:
    """Two cases closed in April (A through the SDD, B help declined), one closed in June (C)
    and one still open (D); the clock then in July, 30 days' retention."""
    deploy_chain(ctx)
    old = {"DR-2026-0901": _drive(ctx, clock, "A", "DR-2026-0901", sdd=True, close=True),
           "DR-2026-0902": _drive(ctx, clock, "B", "DR-2026-0902", sdd=False, close=True)}
    clock.set(clock.now() + timedelta(days=50))
    kept = {"DR-2026-0903": _drive(ctx, clock, "C", "DR-2026-0903", sdd=False, close=True),
            "DR-2026-0904": _drive(ctx, clock, "D", "DR-2026-0904", sdd=False, close=False)}
    clock.set(clock.now() + timedelta(days=10))
    short = replace(ctx, settings=replace(ctx.settings, retention_days=RETENTION_DAYS))
    return {"ctx": short, "old": old, "kept": kept}


def test_purge_erases_every_trace_and_keeps_the_figures(closed: dict[str, Any]) -> None:
    ctx: EngineContext = closed["ctx"]
    old, kept = closed["old"], closed["kept"]
    kept_values = {v for values in kept.values() for v in values.values()}
    needles = {v for values in old.values() for v in values.values()} - kept_values
    assert len(needles) >= 20
    before = _dump(ctx)
    # the test can fail: every value is in the database before the purge, in several tables
    assert {n for _t, n in _hits(before, needles)} == needles
    assert {t for t, _n in _hits(before, needles)} >= {"case", "case_record",
                                                      "referral_package", "process_instance"}
    period = (date(2026, 4, 1), date(2026, 6, 30))
    export_before = _delivery(ctx, *period)
    kept_before = _case_rows(ctx, list(kept))

    result = retention.purge(ctx, SYSTEM)

    assert sorted(p.case_number for p in result.cases) == sorted(old)
    after = _dump(ctx)
    assert _hits(after, needles) == []
    assert _delivery(ctx, *period) == export_before
    assert _case_rows(ctx, list(kept)) == kept_before
    # row counts are unchanged: nothing is deleted, only erased
    assert {t: len(r) for t, r in after.items() if t != "event"} == {
        t: len(r) for t, r in before.items() if t != "event"}
    with ctx.sessionmaker() as session:
        events = session.scalars(select(Event).where(Event.kind.in_(
            (retention.ERASED, retention.PURGED))).order_by(Event.id)).all()
        erased = session.scalars(select(Case).where(Case.case_number.in_(old))).all()
        assert all(c.erased_at is not None and c.tenant_name == "[gewist]" for c in erased)
        assert {c.national_result for c in erased} == {"Inwoner is overleden"}
    assert [e.kind for e in events] == [retention.ERASED] * 2 + [retention.PURGED]
    run = events[-1].detail or {}
    assert run["cases"] == 2 and sorted(run["case_numbers"]) == sorted(old)
    assert run["counts"]["case"] == 2 and run["counts"]["case_record"] > 4
    assert run["counts"]["referral_package"] == 1

    # idempotent: a second run finds nothing and changes nothing but its own event
    again = retention.purge(ctx, SYSTEM)
    assert again.cases == []
    assert {t: r for t, r in _dump(ctx).items() if t != "event"} == {
        t: r for t, r in after.items() if t != "event"}


def test_dry_run_lists_and_changes_nothing(closed: dict[str, Any]) -> None:
    ctx: EngineContext = closed["ctx"]
    before = _dump(ctx)
    result = retention.purge(ctx, SYSTEM, dry_run=True)
    assert sorted(p.case_number for p in result.cases) == sorted(closed["old"])
    assert result.counts["case"] == 2 and result.counts["referral_package"] == 1
    lines = result.lines()
    assert lines[0].startswith("Proefdraai: zou wissen: persoonsgegevens van 2 zaken")
    assert all(number in "\n".join(lines) for number in closed["old"])
    assert _dump(ctx) == before


def test_the_worker_purges_once_a_day(closed: dict[str, Any]) -> None:
    ctx: EngineContext = closed["ctx"]
    assert run_daily_jobs(ctx) == {retention.DAILY_JOB: "2 cases purged"}
    assert run_daily_jobs(ctx) == {}  # a second worker the same day
    clock = ctx.clock
    assert isinstance(clock, ManualClock)
    clock.set(clock.now() + timedelta(days=1))
    assert run_daily_jobs(ctx) == {retention.DAILY_JOB: "0 cases purged"}
    with ctx.sessionmaker() as session:
        runs = session.scalars(select(Event).where(Event.kind == retention.PURGED)
                               .order_by(Event.id)).all()
    assert [(r.detail or {})["cases"] for r in runs] == [2, 0]


def test_scrub_keeps_codes_dates_and_amounts() -> None:
    data = {"milestone": "picked_up", "on": "2026-04-23", "amount": 12.5, "ok": True,
            "note": "kort", "free": "twee woorden", "nested": {"reason": "x", "code": "a_b"},
            "result": "Inwoner is overleden"}
    assert retention.scrub(data, {"free"}) == {
        "milestone": "picked_up", "on": "2026-04-23", "amount": 12.5, "ok": True,
        "nested": {"code": "a_b"}, "result": "Inwoner is overleden"}
