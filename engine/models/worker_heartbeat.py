"""One row per running timer loop, touched every round: readiness and seed-demo ask whether a
worker is alive without reaching into another process."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class WorkerHeartbeat(Base):
    __tablename__ = "worker_heartbeat"

    #: host and process id of the loop (``ketenflow worker`` or a web worker's embedded loop)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime] = mapped_column(index=True)
