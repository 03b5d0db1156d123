"""Batches of signals accepted as a job: the batch, and its rows with their outcome.

A large batch is processed in short transactions after the request that brought it has been
answered; any web worker can report its progress from these rows. A row's signal (personal
data) is kept only until the row is processed: afterwards only its outcome remains.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, JSONType


class SignalBatch(Base):
    __tablename__ = "signal_batch"
    __table_args__ = (Index("ix_signal_batch_corporation_created", "corporation",
                            "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    corporation: Mapped[str] = mapped_column(String(64))
    #: who sent it (``engine.access.Actor`` fields): the rows are reported as that actor
    actor: Mapped[dict[str, Any]]
    synthetic: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16))  # queued, running, done
    total: Mapped[int]
    processed: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    existing: Mapped[int] = mapped_column(default=0)
    invalid: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    #: the heartbeat: moved on by every committed chunk
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class SignalBatchRow(Base):
    __tablename__ = "signal_batch_row"

    batch_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("signal_batch.id", ondelete="CASCADE"), primary_key=True)
    row: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: the signal as sent; cleared once the row is processed
    signal: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    status: Mapped[str | None] = mapped_column(String(16))  # None until processed
    external_id: Mapped[str | None] = mapped_column(String(100))
    case_number: Mapped[str | None] = mapped_column(String(32))
    errors: Mapped[dict[str, Any] | None]
