"""Migrations of running instances to another version of their process, run as a job.

The job is stored first and then worked through one instance per transaction, so any web
worker can show its progress and a job whose runner died stops moving its heartbeat.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class MigrationJob(Base):
    __tablename__ = "migration_job"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    source_definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    target_definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    #: who started it (``engine.access.Actor`` fields)
    actor: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16))  # queued, running, done, interrupted
    total: Mapped[int]
    processed: Mapped[int] = mapped_column(default=0)
    migrated: Mapped[int] = mapped_column(default=0)
    refused: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    #: the heartbeat: moved on by every committed instance
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class MigrationJobItem(Base):
    __tablename__ = "migration_job_item"

    job_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("migration_job.id", ondelete="CASCADE"), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"),
                                             primary_key=True, autoincrement=False)
    position: Mapped[int]
    status: Mapped[str | None] = mapped_column(String(16))  # None until done: migrated, refused
    reason: Mapped[str | None] = mapped_column(Text)
