"""The managers' figures kept up to date as cases move, so a dashboard never scans the cases.

``FigureCell`` holds the counts the cockpit and ``GET /api/v1/stats`` read: one row per figure,
month, municipality, corporation and category, and the roll-ups over all municipalities and/or
all corporations (``*``). ``FigureCase`` remembers which cells each case
adds to, so a case that moves on is taken out of its old cells and put into its new ones (a
difference, never a recount). ``FigureDirty`` is the queue of cases whose facts changed: the
step that changed them writes a row in its own transaction, the worker folds them in
(``engine.chain.figures.fold``).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class FigureCell(Base):
    __tablename__ = "figure_cell"
    __table_args__ = (
        UniqueConstraint("figure", "month", "municipality", "corporation", "category",
                         name="uq_figure_cell"),
        # the dashboard reads one roll-up slice for a period (covering: no table read)
        Index("ix_figure_cell_slice", "municipality", "corporation", "month", "figure",
              "category", "n"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"),
                                    primary_key=True)
    figure: Mapped[str] = mapped_column(String(20))
    #: the first day of the month the count belongs to (the signal's, or the legal event's)
    month: Mapped[date]
    municipality: Mapped[str] = mapped_column(String(64))
    corporation: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(100))
    n: Mapped[int]


class FigureCase(Base):
    __tablename__ = "figure_case"

    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"),
                                         primary_key=True, autoincrement=False)
    #: the cells this case counts in, one per line:
    #: ``figure|YYYY-MM-DD|municipality|corporation|category``
    cells: Mapped[str] = mapped_column(Text)


class FigureDirty(Base):
    __tablename__ = "figure_dirty"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"),
                                    primary_key=True)
    case_number: Mapped[str] = mapped_column(String(32))
