"""The inbox projection: one row per human task, re-synced after every engine step."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base

TASK_STATES = ("open", "claimed", "completed", "cancelled")


class HumanTask(Base):
    __tablename__ = "human_task"
    # The inbox pages by (created_at, id) or (due_at, id) within a state, lane and scope:
    # these indexes hand out one page without sorting the whole queue.
    __table_args__ = (
        Index("ix_human_task_queue", "state", "role", "municipality", "created_at", "id"),
        Index("ix_human_task_queue_due", "state", "role", "municipality", "due_at", "id"),
        Index("ix_human_task_corporation_queue", "state", "role", "corporation", "created_at",
              "id"),
        Index("ix_human_task_assignee", "assignee_id", "state", "created_at", "id"),
        Index("ix_human_task_assignee_due", "assignee_id", "state", "due_at", "id"),
        # The referral desks' queues put urgent referrals first (``urgent`` leads the order).
        Index("ix_human_task_urgent_queue", "state", "role", "urgent", "created_at", "id"),
        Index("ix_human_task_urgent_queue_due", "state", "role", "urgent", "due_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # SpiffWorkflow task UUID
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(200))
    case_number: Mapped[str | None] = mapped_column(String(100), index=True)
    bpmn_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    role: Mapped[str | None] = mapped_column(String(32))
    municipality: Mapped[str | None] = mapped_column(String(64))
    corporation: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    form_file: Mapped[str | None] = mapped_column(String(300))
    instructions: Mapped[str | None] = mapped_column(String(4000))
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(100))
    #: A task of an urgent referral (crisis, or the referral's urgency): first in the queue.
    urgent: Mapped[bool] = mapped_column(default=False, server_default=false())
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
