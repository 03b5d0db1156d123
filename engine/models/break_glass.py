"""Break-glass grants: a caseworker's time-limited access to one case outside their scope,
asked for with a reason (issue 13 item 4). ``engine.access.case_scope`` reads the active ones;
the privacy officer sees every one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class BreakGlassGrant(Base):
    __tablename__ = "break_glass_grant"
    __table_args__ = (Index("ix_break_glass_grant_user_case", "user_id", "case_number",
                            "expires_at"),
                      Index("ix_break_glass_grant_granted_at", "granted_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    username: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    organisation: Mapped[str] = mapped_column(String(64))
    case_number: Mapped[str] = mapped_column(String(100))
    #: the case's municipality when granted (outside the caseworker's own: a flag)
    municipality: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(1000))
    granted_at: Mapped[datetime]
    expires_at: Mapped[datetime]
