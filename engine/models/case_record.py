"""What one completed human task recorded on a case: the case file is made of these rows.

The workflow keeps form data only as long as the process needs it; this row keeps it for good,
with who recorded it, in which lane and when, so every later reader sees what was written
(within need-to-know: ``engine.chain.case_file`` decides who sees which record's fields).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class CaseRecord(Base):
    __tablename__ = "case_record"
    __table_args__ = (Index("ix_case_record_case", "case_number", "completed_at", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"),
                                    primary_key=True)
    case_number: Mapped[str] = mapped_column(String(100))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    task_id: Mapped[str] = mapped_column(String(36), unique=True)
    bpmn_id: Mapped[str] = mapped_column(String(200))
    process_id: Mapped[str] = mapped_column(String(200))
    task_name: Mapped[str] = mapped_column(String(300))
    #: the lane the task was in (who recorded it, as a role)
    role: Mapped[str | None] = mapped_column(String(32))
    #: the form the data was entered on, for its labels (None: a task without a form)
    deployment_id: Mapped[int | None]
    form_file: Mapped[str | None] = mapped_column(String(300))
    #: the validated form data, as submitted
    data: Mapped[dict[str, Any]]
    #: what the process had decided when the task was done (advice, closure codes)
    context: Mapped[dict[str, Any]]
    completed_by: Mapped[str] = mapped_column(String(100))
    completed_at: Mapped[datetime]
