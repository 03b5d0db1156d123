"""The privacy officer's pages: search the access log, people's patterns, break-glass grants,
and a search as CSV (issue 13 item 1).

The officer sees who read which case number, when and as what: never the household's data
(the pages show case numbers only, and no link to a case). Every page and export is itself a
read of the log and logged (``access.record_audit_read``).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _

from engine import access_log, access_review, break_glass
from engine.access import record_audit_read, roles
from engine.access_log import Filters
from engine.chain.policy import READ_ACCESS_LOG
from engine.errors import InvalidInput
from webui.auth import login_required
from webui.db import engine_context, get_session
from webui.pages import actor
from webui.pages.cockpit import require

bp = Blueprint("privacy", __name__)
#: The search form's fields, in the order the error summary lists them.
FIELDS = ("username", "case_number", "organisation", "role", "from", "to")
PAGE = 100
#: The most lines one CSV export holds (a bigger search is narrowed first).
MAX_EXPORT = 100_000


def _values() -> dict[str, str]:
    return {name: (request.args.get(name) or "").strip()[:100] for name in FIELDS}


def _filters(values: dict[str, str]) -> Filters:
    """The search as ``Filters``; a wrong date names its field (``InvalidInput``)."""
    errors: dict[str, str] = {}
    since = _day(values["from"], "from", errors)
    until = _day(values["to"], "to", errors)
    if values["role"] and values["role"] not in roles() + ("machine",):
        errors["role"] = "Kies een rol uit de lijst."
    if since and until and until < since:
        errors["to"] = "De einddatum ligt vóór de begindatum."
    if errors:
        raise InvalidInput(errors)
    return Filters(username=values["username"], case_number=values["case_number"].upper(),
                   organisation=values["organisation"], role=values["role"],
                   since=datetime.combine(since, time(), UTC) if since else None,
                   until=datetime.combine(until + timedelta(days=1), time(), UTC)
                   if until else None)


def _day(text: str, name: str, errors: dict[str, str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = "Geen geldige datum (jjjj-mm-dd)."
        return None


def _described(values: dict[str, str]) -> str:
    return " ".join(f"{k}={v}" for k, v in values.items() if v) or "-"


@bp.get("/privacy")
@login_required
def index() -> Any:
    """The search form, the reads it finds (newest first), the people with their flags."""
    require(READ_ACCESS_LOG)
    values, who, session = _values(), actor(), get_session()
    ctx = engine_context()
    try:
        filters = _filters(values)
    except InvalidInput as invalid:
        return _page(values, {k: invalid.errors[k] for k in FIELDS if k in invalid.errors},
                     [], 0, [], [], 0), 422
    offset = max(0, min(_int(request.args.get("offset")), 10_000_000))
    reads = access_log.search(session, filters, limit=PAGE, offset=offset)
    total = access_log.count(session, filters)
    people = access_review.summary(session, ctx.settings, filters)
    grants = break_glass.grants(session, username=filters.username,
                                case_number=filters.case_number,
                                organisation=filters.organisation, role=filters.role,
                                since=filters.since, until=filters.until)
    shown = [n for r in reads for n in r.case_numbers] + [g.case_number for g in grants]
    record_audit_read(session, who, ctx.clock.now(), shown,
                      f"access log search {_described(values)}")
    return _page(values, {}, reads, total, people, grants, offset)


def _int(text: str | None) -> int:
    return int(text) if text and text.isdigit() else 0


def _page(values: dict[str, str], errors: dict[str, str], reads: list[Any], total: int,
          people: list[Any], grants: list[Any], offset: int) -> str:
    query = {k: v for k, v in values.items() if v}
    more = offset + PAGE < total
    return render_template(
        "privacy/index.html", values=values, errors=errors, reads=reads, total=total,
        people=people, grants=grants, roles=roles(), now=engine_context().clock.now(),
        export_url="/privacy/export.csv" + ("?" + urlencode(query) if query else ""),
        next_url="/privacy?" + urlencode({**query, "offset": offset + PAGE}) if more else None,
        flag_labels=flag_labels())


def flag_labels() -> dict[str, str]:
    return {access_review.BURST: _("Veel casussen in korte tijd"),
            access_review.BREAK_GLASS_OUTSIDE: _("Break-glass buiten eigen gemeente"),
            access_review.REFUSALS: _("Herhaalde geweigerde pogingen")}


@bp.get("/privacy/people/<username>")
@login_required
def person(username: str) -> Any:
    """One person's pattern over the period: cases opened, outside their queue, flags."""
    require(READ_ACCESS_LOG)
    values, who, session, ctx = _values(), actor(), get_session(), engine_context()
    values["username"] = username[:100]
    try:
        filters = _filters(values)
    except InvalidInput:
        filters = Filters(username=username[:100])
    found = access_review.pattern(session, ctx.settings, filters.username, filters.since,
                                  filters.until)
    reads = access_log.search(session, filters, limit=PAGE)
    record_audit_read(session, who, ctx.clock.now(),
                      found.outside_queue + [n for r in reads for n in r.case_numbers],
                      f"access log pattern {filters.username}")
    return render_template("privacy/person.html", pattern=found, reads=reads,
                           values=values, settings=ctx.settings, flag_labels=flag_labels(),
                           now=ctx.clock.now())


@bp.get("/privacy/export.csv")
@login_required
def export() -> Any:
    """The search's reads as CSV, oldest first, one line per case number shown."""
    require(READ_ACCESS_LOG)
    values, who, session, ctx = _values(), actor(), get_session(), engine_context()
    try:
        filters = _filters(values)
    except InvalidInput as invalid:
        return _page(values, {k: invalid.errors[k] for k in FIELDS if k in invalid.errors},
                     [], 0, [], [], 0), 422
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["at", "username", "role", "organisation", "what", "case_number"])
    numbers: list[str] = []
    for lines, line in enumerate(access_log.export_lines(session, filters)):
        if lines >= MAX_EXPORT:
            break
        writer.writerow([_safe(cell) for cell in line])
        if line[5]:
            numbers.append(line[5])
    record_audit_read(session, who, ctx.clock.now(), numbers,
                      f"access log export {_described(values)}")
    stamp = ctx.clock.now().strftime("%Y%m%d-%H%M%S")
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="inzagelog-{stamp}.csv"',
        "Cache-Control": "no-store"})


def _safe(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") and cell != "-" else cell
