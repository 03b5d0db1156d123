"""The access log flattened for assertions: one row per (read, case number shown), a read
without a case as ``NO_CASE``, in the order the reads were logged."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, func, select

from engine.access import NO_CASE
from engine.context import EngineContext
from engine.models import AccessLog, AccessLogCase


def logged(ctx: EngineContext, *where: Any) -> list[Row[Any]]:
    """Rows with ``case_number``, ``what``, ``username``, ``role``, ``organisation``,
    ``user_id``, ``at``; ``where`` filters on ``AccessLog`` or ``AccessLogCase`` columns."""
    query = (select(func.coalesce(AccessLogCase.case_number, NO_CASE).label("case_number"),
                    AccessLog.what, AccessLog.username, AccessLog.role, AccessLog.organisation,
                    AccessLog.user_id, AccessLog.at)
             .outerjoin(AccessLogCase, AccessLogCase.log_id == AccessLog.id)
             .where(*where).order_by(AccessLog.seq, AccessLogCase.case_number))
    with ctx.sessionmaker() as session:
        return list(session.execute(query).all())
