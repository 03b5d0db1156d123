"""When a daily job last ran: one row per job, so several workers run it once a day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class JobWatermark(Base):
    __tablename__ = "job_watermark"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: the last day (UTC) a worker claimed the job for; None before the first run
    last_day: Mapped[date | None]
    last_run_at: Mapped[datetime | None]
