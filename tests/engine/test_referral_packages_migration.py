"""Migration 0009 keeps the referral packages already sent as version 1 of each recipient's
package, read from the referral tasks' case records (no ZRM summary: the old forms did not ask
whether the consent covers it)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import select

from engine.context import EngineContext
from engine.models import ReferralPackage
from engine.schema import alembic_config, upgrade
from tests.processes import scenarios
from tests.processes.chain import Chain, deploy_chain


def test_the_migration_keeps_the_packages_already_sent(ctx: EngineContext, clock) -> None:
    deploy_chain(ctx)
    chain = Chain(ctx, clock, "DR-2026-0001")
    scenarios.reach_and_talk(chain, crisis=True)
    chain.zrm(finances=2)
    chain.plan()
    chain.complete("prepare_sdd_referral", {
        "sdd_service": "budget_advice", "referral_summary": "Al verstuurd",
        "consent_given": False, "legal_ground": "vital_interest"})
    config = alembic_config(ctx.db.url.render_as_string(hide_password=False))
    sqlite = ctx.db.dialect.name == "sqlite"
    try:
        with ctx.db.connect() as connection:
            # SQLite rebuilds a table to drop a column (batch mode): with the foreign keys
            # enforced, dropping the old table fails while other rows point at it. The pragma
            # only takes effect outside a transaction.
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            try:
                with connection.begin():
                    config.attributes["connection"] = connection
                    command.downgrade(config, "0008")
                    command.upgrade(config, "0009")
            finally:
                if sqlite:
                    connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                    connection.commit()
    finally:
        upgrade(ctx.db)
    with ctx.sessionmaker() as session:
        rows = session.scalars(select(ReferralPackage)).all()
        assert [(r.case_number, r.recipient_role, r.recipient_organisation, r.version)
                for r in rows] == [("DR-2026-0001", "budget_advice", "sdd", 1)]
        row = rows[0]
        assert (row.summary, row.requested_service, row.consent_given, row.legal_ground) == (
            "Al verstuurd", "budget_advice", False, "vital_interest")
        assert row.urgency == "urgent"  # the case's crisis signal
        assert row.zrm_summary is None and row.created_by == "social_team-dordrecht"
