"""Drafts: a process owner's change to the chain's process files, kept on the server until it
is published. Cases never see a draft; publishing deploys its files as a new version.

``revision`` grows with every saved change: a save names the revision it started from, so two
owners editing one draft get a conflict instead of overwriting each other silently.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class Draft(Base):
    __tablename__ = "draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    #: the deployment version the draft started from (None: no version was deployed yet)
    base_version: Mapped[int | None]
    revision: Mapped[int]
    #: ``open`` while it is edited, ``published`` once deployed (then read-only)
    state: Mapped[str] = mapped_column(String(20))
    published_version: Mapped[int | None]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(100))
    #: the last publish-gate run: the revision it ran on, its verdict and report
    gate_revision: Mapped[int | None]
    gate_passed: Mapped[bool | None]
    gate_report: Mapped[dict[str, Any] | None]
    gate_by: Mapped[str | None] = mapped_column(String(100))
    gate_at: Mapped[datetime | None]
    #: a second process owner's approval of one revision
    approved_revision: Mapped[int | None]
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None]


class DraftFile(Base):
    __tablename__ = "draft_file"
    __table_args__ = (UniqueConstraint("draft_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    content: Mapped[bytes] = mapped_column(LargeBinary)
