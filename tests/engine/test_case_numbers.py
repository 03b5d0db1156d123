"""Case numbers come from a counter per municipality and year: never twice, never refused."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from engine.chain import intake
from engine.db import make_engine
from engine.models import CaseNumberCounter
from engine.schema import alembic_config
from tests.casework import corporation, deploy_chain, report, signal


def test_sixteen_signals_at_once_all_get_a_case_with_consecutive_numbers(ctx):
    if ctx.db.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: concurrent signals cannot collide there")
    deploy_chain(ctx)
    actor = corporation(ctx)
    start = threading.Barrier(16, timeout=30)
    numbers: list[str] = []
    refusals: list[BaseException] = []

    def post(index: int) -> None:
        start.wait()
        try:
            with ctx.sessionmaker.begin() as session:
                result = intake.report_signal(ctx, session, actor,
                                              signal(external_id=f"WB-{index}"))
            numbers.append(result.case_number)
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            refusals.append(error)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert refusals == []
    assert sorted(numbers) == [f"DR-2026-{n:06d}" for n in range(1, 17)]


def test_numbers_run_per_municipality_and_year_and_a_known_signal_takes_none(ctx, clock):
    deploy_chain(ctx)
    actor = corporation(ctx)
    assert report(ctx, actor, external_id="A").case_number == "DR-2026-000001"
    assert report(ctx, actor, external_id="B").case_number == "DR-2026-000002"
    assert report(ctx, actor, external_id="A").case_number == "DR-2026-000001"
    assert report(ctx, actor, external_id="C", municipality="sliedrecht").case_number \
        == "SL-2026-000001"
    assert report(ctx, actor, external_id="D").case_number == "DR-2026-000003"
    clock.advance(timedelta(days=365))
    assert report(ctx, actor, external_id="E").case_number == "DR-2027-000001"


def test_a_missing_counter_starts_after_the_highest_number_in_use(ctx):
    deploy_chain(ctx)
    actor = corporation(ctx)
    report(ctx, actor, external_id="A")
    with ctx.sessionmaker.begin() as session:
        session.execute(text("UPDATE \"case\" SET case_number = 'DR-2026-000041'"))
        session.execute(CaseNumberCounter.__table__.delete())
    assert report(ctx, actor, external_id="B").case_number == "DR-2026-000042"


@pytest.fixture
def empty_database(database_url: str, tmp_path: Path) -> Iterator[Engine]:
    """An empty database beside the test one (a file on SQLite, a schema on PostgreSQL)."""
    if database_url.startswith("sqlite"):
        engine = make_engine(f"sqlite:///{tmp_path / 'migrate.db'}")
        yield engine
        engine.dispose()
        return
    admin = make_engine(database_url)
    with admin.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS migrate_test CASCADE"))
        conn.execute(text("CREATE SCHEMA migrate_test"))
    engine = make_engine(database_url, connect_args={"options": "-csearch_path=migrate_test"})
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text("DROP SCHEMA migrate_test CASCADE"))
    admin.dispose()


def test_the_migration_seeds_the_counters_from_the_existing_cases(empty_database):
    config = alembic_config(empty_database.url.render_as_string(hide_password=False))
    with empty_database.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        for number in ("DR-2026-000007", "DR-2026-000012", "DR-2025-000300",
                       "SL-2026-000001"):
            connection.execute(text(
                "INSERT INTO \"case\" (case_number, corporation, municipality, external_id,"
                " tenant_name, street, house_number, postcode, city, synthetic,"
                " arrears_amount, arrears_months, monthly_rent, crisis, warm_handover,"
                " duplicate, milestone, closed, referred_to_sdd, referred_to_care,"
                " created_at, updated_at) VALUES (:n, 'woonbron', 'dordrecht', :n, 'X',"
                " 'Voorstraat', '1', '3311 AB', 'Dordrecht', false, 1, 1, 1, false, false,"
                " false, 'received', false, false, false, '2026-01-01', '2026-01-01')"),
                {"n": number})
        command.upgrade(config, "0003")
        counters = connection.execute(select(CaseNumberCounter.prefix, CaseNumberCounter.year,
                                             CaseNumberCounter.last_number)
                                      .order_by(CaseNumberCounter.prefix,
                                                CaseNumberCounter.year)).all()
    assert [tuple(c) for c in counters] == [("DR", 2025, 300), ("DR", 2026, 12),
                                             ("SL", 2026, 1)]
