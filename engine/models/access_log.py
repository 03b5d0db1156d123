"""The access log: one row per read of households' personal data (who, role, organisation,
what, when), with the case numbers it showed in ``access_log_case``.

One row per request, not per case: a list view of 50 cases is one row and 50 short child rows
(issue 14 item 7). Rows are only ever appended; each carries ``seq`` and a hash over its own
content and the previous row's hash (``engine.access_log``), so an edited or removed row shows.
``access_log_head`` is the chain's single lock row: the last ``seq`` and hash.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class AccessLog(Base):
    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_username_at", "username", "at"),
                      Index("ix_access_log_organisation_at", "organisation", "at"),
                      Index("ix_access_log_role_at", "role", "at"),
                      Index("ix_access_log_at", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the row's place in the hash chain (1, 2, …; given under the head's lock)
    seq: Mapped[int] = mapped_column(unique=True)
    at: Mapped[datetime]
    user_id: Mapped[int | None]
    username: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    organisation: Mapped[str] = mapped_column(String(64))
    what: Mapped[str] = mapped_column(String(200))
    case_count: Mapped[int]
    #: sha256 (hex) of the previous row's hash and this row's content, cases included
    hash: Mapped[str] = mapped_column(String(64))


class AccessLogCase(Base):
    """One case number a logged read showed."""

    __tablename__ = "access_log_case"
    __table_args__ = (Index("ix_access_log_case_number", "case_number", "log_id"),)

    log_id: Mapped[int] = mapped_column(ForeignKey("access_log.id"), primary_key=True)
    case_number: Mapped[str] = mapped_column(String(100), primary_key=True)


class AccessLogHead(Base):
    """The hash chain's end (one row, ``id`` 1): locked while a row is appended, so two
    requests at once cannot both chain onto the same predecessor."""

    __tablename__ = "access_log_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
