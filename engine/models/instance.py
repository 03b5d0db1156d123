"""Process instances: one row per running or finished case, plus its correlation values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base

STATUSES = ("running", "waiting", "suspended", "error", "completed", "terminated")

#: The instances the timer claim may take (``engine.timers.claim_due``).
_DUE = "status IN ('running', 'waiting') AND next_timer_due IS NOT NULL"


class ProcessInstance(Base):
    __tablename__ = "process_instance"
    __table_args__ = (
        Index("ix_process_instance_timer", "status", "next_timer_due"),
        # what the timer claim reads: only the live instances with a timer, in due order
        Index("ix_process_instance_due", "next_timer_due", "id",
              postgresql_where=text(_DUE), sqlite_where=text(_DUE)),
        Index("ix_process_instance_process_status", "process_id", "status", "id"),
        Index("ix_process_instance_municipality", "municipality", "id"),
        Index("ix_process_instance_corporation", "corporation", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(200))
    business_key: Mapped[str | None] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    state: Mapped[str | None] = mapped_column(Text)
    serializer_version: Mapped[str | None] = mapped_column(String(16))
    library_version: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(default=1)
    next_timer_due: Mapped[datetime | None]
    waiting_messages: Mapped[list[Any]]
    open_task_ids: Mapped[list[Any]]
    correlations: Mapped[dict[str, Any]]
    municipality: Mapped[str | None] = mapped_column(String(64))
    corporation: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any] | None]
    current_elements: Mapped[list[Any]]
    error_element: Mapped[str | None] = mapped_column(String(200))
    error_message: Mapped[str | None] = mapped_column(Text)
    error_line: Mapped[int | None]
    #: failed timer steps in a row, and when the worker may try again (``engine.timers``)
    timer_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    timer_retry_at: Mapped[datetime | None]
    started_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]

    __mapper_args__ = {"version_id_col": version}


class InstanceCorrelation(Base):
    """A correlation property value of an instance, indexed so messages route by SQL."""

    __tablename__ = "instance_correlation"
    __table_args__ = (Index("ix_instance_correlation_lookup", "name", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id",
                                                        ondelete="CASCADE"), index=True)
    key_name: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))
    value: Mapped[str] = mapped_column(String(200))
