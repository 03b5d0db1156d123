"""Received messages: kept until delivered, unique per idempotency key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class Message(Base):
    __tablename__ = "message"
    __table_args__ = (Index("ix_message_pending", "status", "correlation_name",
                            "correlation_value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    correlation_name: Mapped[str | None] = mapped_column(String(100))
    correlation_value: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]]
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # pending, delivered, started
    sender: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
