"""The case-number counters: the last number handed out per municipality prefix and year.

Scanning the cases for the year's highest number let two signals at once pick the same number;
one counter row per (prefix, year), incremented under its row lock, cannot hand out a number
twice and leaves no gaps (the increment rolls back with a case that is not created).
"""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class CaseNumberCounter(Base):
    __tablename__ = "case_number_counter"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int]
