"""A referral package: what the social team sends the SDD or the Meldpunt about a household,
as a document of its own with versions.

A referral is a disclosure of personal data to another organisation (AVG art. 6 and the Wgs),
so what was sent must stay exactly readable afterwards: a correction never overwrites a
package, it adds the next version of the same recipient's package; every earlier version
stays as it was sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class ReferralPackage(Base):
    __tablename__ = "referral_package"
    __table_args__ = (
        UniqueConstraint("case_number", "recipient_role", "version",
                         name="uq_referral_package_version"),
        Index("ix_referral_package_case", "case_number", "recipient_role", "version"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"),
                                    primary_key=True)
    case_number: Mapped[str] = mapped_column(String(100))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    #: who receives it: the organisation (slug) and the role of its desk (the task lane)
    recipient_organisation: Mapped[str] = mapped_column(String(64))
    recipient_role: Mapped[str] = mapped_column(String(32))
    #: 1 for the package as first sent, one more for every correction
    version: Mapped[int]
    summary: Mapped[str] = mapped_column(String(2000))
    #: the service asked for (an option of the referral form), None when the form has none
    requested_service: Mapped[str | None] = mapped_column(String(64))
    consent_given: Mapped[bool]
    #: the ground for a referral without consent (an option of the referral form)
    legal_ground: Mapped[str | None] = mapped_column(String(64))
    #: ``regular`` or ``urgent``
    urgency: Mapped[str] = mapped_column(String(16))
    #: the ZRM scores per domain with the date taken; only when the consent covers them
    zrm_summary: Mapped[dict[str, Any] | None]
    #: the referral task that sent it (None for a correction)
    source_task_id: Mapped[str | None] = mapped_column(String(36))
    #: why a later version was made
    correction_reason: Mapped[str | None] = mapped_column(String(2000))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
