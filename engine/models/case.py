"""The case: one reported household (tenant) with its personal data and its milestone.

Personal data lives here and nowhere else (never in workflow task data), so need-to-know
filters, the access log and erasure after the retention period work on one table.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, UniqueConstraint, select, text
from sqlalchemy.orm import Mapped, column_property, mapped_column

from engine.db import Base
from engine.models.party import User

#: What the corporation may see of a case's progress (domain.md §6), in chain order.
MILESTONES = ("received", "picked_up", "contact_made", "help_accepted", "help_declined",
              "closed", "not_picked_up")


class Case(Base):
    __tablename__ = "case"
    __table_args__ = (
        UniqueConstraint("corporation", "external_id", name="uq_case_corporation_external_id"),
        Index("ix_case_municipality_created", "municipality", "created_at", "id"),
        Index("ix_case_corporation_created", "corporation", "created_at", "id"),
        Index("ix_case_address", "postcode", "house_number"),
        # the SDD's and the Meldpunt's case lists (``access.case_scope``), newest first
        Index("ix_case_referred_sdd", "created_at", "id",
              postgresql_where=text("referred_to_sdd"), sqlite_where=text("referred_to_sdd = 1")),
        Index("ix_case_referred_care", "created_at", "id",
              postgresql_where=text("referred_to_care"), sqlite_where=text("referred_to_care = 1")),
        # the search indexes (case number bytewise, name and address by trigram) are made by
        # migration 0018 only: expressions and, on SQLite, an FTS5 table (``engine.search``)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_number: Mapped[str] = mapped_column(String(32), unique=True)
    corporation: Mapped[str] = mapped_column(String(64))
    municipality: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(100))
    # the household as reported by the corporation
    tenant_name: Mapped[str] = mapped_column(String(200))
    street: Mapped[str] = mapped_column(String(200))
    house_number: Mapped[str] = mapped_column(String(20))
    postcode: Mapped[str] = mapped_column(String(7))  # normalised "1234 AB"
    city: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    date_of_birth: Mapped[date | None]
    synthetic: Mapped[bool] = mapped_column(default=False)
    # the arrears
    arrears_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    arrears_months: Mapped[int]
    arrears_since: Mapped[date | None]
    monthly_rent: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    crisis: Mapped[bool] = mapped_column(default=False)
    warm_handover: Mapped[bool] = mapped_column(default=False)
    duplicate: Mapped[bool] = mapped_column(default=False)
    # progress, as the corporation may see it, and where the case went
    milestone: Mapped[str] = mapped_column(String(20), default="received")
    closed: Mapped[bool] = mapped_column(default=False)
    referred_to_sdd: Mapped[bool] = mapped_column(default=False)
    referred_to_care: Mapped[bool] = mapped_column(default=False)
    #: the generic outcome the corporation may learn once the case is closed (domain.md §1.4:
    #: never the reason behind "not picked up", nothing of the assessment)
    outcome: Mapped[str | None] = mapped_column(String(60))
    #: the national result (DDAS ``EnumEindresultaat``) the closure decided, or the one the
    #: social team lead corrected it to (event ``national_result_corrected``)
    national_result: Mapped[str | None] = mapped_column(String(80))
    # who holds the case: the caseworker who took the outreach, or whom the lead handed it to
    holder_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True)
    #: the holder's name, read in the same query as the case; None when nobody holds it or
    #: the holder is no longer active (its tasks then go to the team queue)
    holder_name: Mapped[str | None] = column_property(
        select(User.display_name).where(User.id == holder_id, User.is_active.is_(True))
        .correlate_except(User).scalar_subquery())
    # legal track reported by the corporation
    hearing_date: Mapped[date | None]
    eviction_date: Mapped[date | None]
    #: when the case closed (the 12-month window of a repeat signal counts from it)
    closed_at: Mapped[datetime | None]
    # the household's earlier case (engine.chain.households): a closed case this one reopens after a
    # legal event, a case closed in the last 12 months (``repeat``), or the running case whose
    # arrears have grown (``opened_by == "arrears_increased"``)
    previous_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("case.id", ondelete="SET NULL"), index=True)
    repeat: Mapped[bool] = mapped_column(default=False)
    #: how the case began: None for an ordinary signal, else ``reopened:<message>``,
    #: ``legal_event:<message>`` or ``arrears_increased``
    opened_by: Mapped[str | None] = mapped_column(String(40))
    #: the household was already in an SDD trajectory when this case began
    known_sdd_trajectory: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(100))
    #: when the retention period's purge erased the household's personal data
    #: (``engine.chain.retention``); None while it is kept
    erased_at: Mapped[datetime | None]

