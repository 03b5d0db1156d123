"""Break-glass: a caseworker's time-limited access to one case outside their scope.

A household that moved from Sliedrecht to Dordrecht is, for the Dordrecht team, somebody
else's case. The caseworker asks with a reason; the grant is given at once (the need is urgent,
the check comes afterwards), lasts ``break_glass_hours``, is logged, and the privacy officer
sees every grant (``engine.access_log`` and ``grants``). While it runs ``access.case_scope``
includes the case for that person, to read; once it expires the case is "not found" again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import BREAK_GLASS, Actor, case_scope, may, record_access, record_refusal
from engine.context import EngineContext
from engine.errors import InvalidInput, NotAllowed
from engine.models import BreakGlassGrant, Case

#: What the access log says of a grant (the reason is kept on the grant itself).
GRANTED = "break-glass granted"
MIN_REASON, MAX_REASON = 10, 1000


def may_break_glass(actor: Actor) -> bool:
    """Only people whose role holds cases (never a machine token) may ask."""
    return not actor.is_machine and may(actor, BREAK_GLASS)


@dataclass(frozen=True)
class Grant:
    id: int
    username: str
    role: str
    organisation: str
    case_number: str
    municipality: str | None
    reason: str
    granted_at: datetime
    expires_at: datetime

    def active(self, now: datetime) -> bool:
        return self.expires_at > now

    @property
    def outside_municipality(self) -> bool:
        """The case lies in another municipality than the caseworker's own."""
        return self.municipality is not None and self.municipality != self.organisation


def request_access(ctx: EngineContext, session: Session, actor: Actor, case_number: str,
                   reason: str) -> Grant:
    """Grant ``actor`` access to ``case_number`` for ``break_glass_hours``, with ``reason``.

    :raise NotAllowed: the actor's role holds no cases, or it is a machine token.
    :raise InvalidInput: no reason, no such case, or the case is already in scope.
    """
    if not may_break_glass(actor):
        raise NotAllowed("break-glass is for caseworkers")
    number, why = case_number.strip().upper(), " ".join(reason.split())
    errors: dict[str, str] = {}
    if not number:
        errors["case_number"] = "Vul het casusnummer in."
    if len(why) < MIN_REASON:
        errors["reason"] = (f"Geef een reden van minstens {MIN_REASON} tekens: waarom heb je "
                            "deze casus nodig?")
    elif len(why) > MAX_REASON:
        errors["reason"] = f"De reden is te lang (hoogstens {MAX_REASON} tekens)."
    if errors:
        raise InvalidInput(errors)
    case = session.scalars(select(Case).where(Case.case_number == number)).first()
    if case is None:
        record_refusal(ctx, actor, "break-glass", number, None)
        raise InvalidInput({"case_number": "Er is geen casus met dit casusnummer."})
    own = session.scalar(select(Case.id).where(Case.id == case.id, case_scope(actor)))
    if own is not None:
        raise InvalidInput({"case_number": "Deze casus valt al binnen je eigen werkgebied: "
                                           "open hem via Casussen."})
    now = ctx.clock.now()
    grant = BreakGlassGrant(user_id=actor.user_id, username=actor.username[:100],
                            role=actor.role[:32], organisation=actor.organisation[:64],
                            case_number=number, municipality=case.municipality, reason=why,
                            granted_at=now,
                            expires_at=now + timedelta(hours=ctx.settings.break_glass_hours))
    session.add(grant)
    session.flush()
    record_access(session, actor, now, [number], GRANTED)
    return _grant(grant)


def grants(session: Session, username: str = "", case_number: str = "",
           organisation: str = "", role: str = "", since: datetime | None = None,
           until: datetime | None = None, limit: int = 200) -> list[Grant]:
    """The grants given, newest first (the privacy officer's list)."""
    query = select(BreakGlassGrant)
    if username:
        query = query.where(BreakGlassGrant.username == username)
    if case_number:
        query = query.where(BreakGlassGrant.case_number == case_number)
    if organisation:
        query = query.where(BreakGlassGrant.organisation == organisation)
    if role:
        query = query.where(BreakGlassGrant.role == role)
    if since is not None:
        query = query.where(BreakGlassGrant.granted_at >= since)
    if until is not None:
        query = query.where(BreakGlassGrant.granted_at < until)
    rows = session.scalars(query.order_by(BreakGlassGrant.granted_at.desc(),
                                          BreakGlassGrant.id.desc()).limit(limit))
    return [_grant(r) for r in rows]


def my_grants(ctx: EngineContext, session: Session, actor: Actor) -> list[Grant]:
    """The actor's grants that still run."""
    if actor.user_id is None:
        return []
    rows = session.scalars(select(BreakGlassGrant).where(
        BreakGlassGrant.user_id == actor.user_id, BreakGlassGrant.expires_at > ctx.clock.now())
        .order_by(BreakGlassGrant.expires_at))
    return [_grant(r) for r in rows]


def _grant(row: BreakGlassGrant) -> Grant:
    return Grant(row.id, row.username, row.role, row.organisation, row.case_number,
                 row.municipality, row.reason, row.granted_at, row.expires_at)
