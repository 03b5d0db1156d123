"""The mail outbox and each person's mail preferences.

A mail is a row here first, written in the transaction of the step that causes it (a task
handed to someone, a deadline the worker's scan finds near or passed, a day's summary);
the worker sends it later (``engine.mailer``). ``cause_key`` names the cause and the
recipient and is unique, so a cause can never queue a second mail: that is half of "exactly
once"; the other half is the claim-send-mark protocol in ``engine.mailer``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base

#: The kinds of mail; each can be switched off per person (``MailPreference``).
MAIL_KINDS = ("task_assigned", "deadline_near", "deadline_passed", "daily_summary")
#: Kinds a person receives until they switch them off (the summary is asked for).
DEFAULT_ON = frozenset({"task_assigned", "deadline_near", "deadline_passed"})
#: pending: to send (at ``next_attempt_at``); sending: claimed by a worker until
#: ``lease_until``; handed_over: the message's last line is going to the server; sent;
#: in_doubt: its worker died (or the connection broke) during the hand-over, so it may have
#: arrived and is not resent on its own; failed: given up; skipped: the cause was recorded
#: but the person has that kind switched off or no address (so the scan does not find it
#: again). See ``engine.mailer``.
OUTBOX_STATES = ("pending", "sending", "handed_over", "sent", "in_doubt", "failed", "skipped")


class OutboxMail(Base):
    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "state", "next_attempt_at", "id"),
                      Index("ix_mail_outbox_task", "task_id", "kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the cause and its recipient: ``kind:what:recipient`` (unique: one mail per cause)
    cause_key: Mapped[str] = mapped_column(String(200), unique=True)
    #: the cause without the recipient (the deadline scan looks for it)
    cause: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    case_number: Mapped[str | None] = mapped_column(String(100))
    task_id: Mapped[str | None] = mapped_column(String(36))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    #: ``<...@...>``, derived from ``cause_key``: every attempt of this mail carries it
    message_id: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    #: the SMTP error's class and code of the last failed attempt (never its text)
    last_error: Mapped[str | None] = mapped_column(String(200))


class MailPreference(Base):
    """A person's choice for one kind of mail; without a row ``DEFAULT_ON`` decides."""

    __tablename__ = "mail_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool]
