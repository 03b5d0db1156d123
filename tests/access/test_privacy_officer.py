"""The privacy officer's access log (issue 13 item 1, issue 14 item 7) and break-glass (issue
13 item 4): one row per read with its cases, a hash chain that shows tampering, the officer's
search, patterns and CSV, a caseworker's time-limited access outside their scope, and who is
refused."""

from __future__ import annotations

import csv
import io
import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, text, update

from engine import access_log
from engine.context import EngineContext
from engine.errors import InvalidInput, NotAllowed
from engine.models import AccessLog, AccessLogCase
from tests.access.world import USERS, World, build
from tests.factories import only_on
from tests.logged import logged
from tests.webclient import bearer, login


@pytest.fixture
def world(ctx: EngineContext) -> World:
    return build(ctx)


def _verify(ctx: EngineContext) -> access_log.Verification:
    with ctx.sessionmaker() as session:
        return access_log.verify(session)


def test_a_list_view_is_one_row_with_every_case_it_showed(ctx, app, world):
    page = login(app, "admin")
    with ctx.sessionmaker() as session:
        before = session.scalar(select(func.count()).select_from(AccessLog))
    assert page.get("/cases").status_code == 200
    with ctx.sessionmaker() as session:
        rows = session.scalars(select(AccessLog).order_by(AccessLog.seq.desc())).all()
        assert len(rows) == before + 1
        shown = set(session.scalars(select(AccessLogCase.case_number).where(
            AccessLogCase.log_id == rows[0].id)))
    assert (rows[0].username, rows[0].what) == ("admin", "case list")
    assert shown == set(world.cases.values()) and rows[0].case_count == 3


def test_on_postgresql_a_logged_read_costs_two_statements_and_keeps_the_chain(ctx, clock):
    """The head's lock first, then the row, its cases and the head's hash in one statement."""
    only_on(ctx, "postgresql", "SQLite: the same rows in four statements (the tests above)")
    seen: list[str] = []

    def watch(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    entry = access_log.Entry(clock.now(), None, "st-dordrecht", "social_team", "dordrecht",
                             "case list", ("DR-2026-000001", "DR-2026-000002"))
    with ctx.sessionmaker.begin() as session:
        access_log.append(session, entry)  # the head row exists from here on
        event.listen(ctx.db, "before_cursor_execute", watch)
        try:
            access_log.append(session, entry)
            access_log.append(session, replace(entry, case_numbers=()))
        finally:
            event.remove(ctx.db, "before_cursor_execute", watch)
    assert len(seen) == 4
    with ctx.sessionmaker() as session:
        rows = session.scalars(select(AccessLog).order_by(AccessLog.seq)).all()
        shown = [sorted(session.scalars(select(AccessLogCase.case_number).where(
            AccessLogCase.log_id == row.id))) for row in rows]
    assert shown == [list(entry.case_numbers), list(entry.case_numbers), []]
    assert [row.case_count for row in rows] == [2, 2, 0]
    assert _verify(ctx) == access_log.Verification(True, 3)


def test_the_chain_verifies_and_a_tampered_row_is_found(ctx, app, world):
    login(app, "admin").get("/cases")
    login(app, "st-dordrecht").get(f"/cases/{world.cases['dordrecht_sdd']}")
    good = _verify(ctx)
    assert good.ok and good.rows >= 2
    with ctx.db.begin() as conn:  # someone edits the database by hand
        conn.execute(update(AccessLog).where(AccessLog.seq == 2).values(username="niemand"))
    bad = _verify(ctx)
    assert not bad.ok and bad.broken_at == 2 and "changed" in bad.reason


def test_a_removed_case_number_or_a_removed_last_row_is_found(ctx, app, world):
    login(app, "admin").get("/cases")
    login(app, "admin").get(f"/cases/{world.cases['zwijndrecht_new']}")
    with ctx.db.begin() as conn:
        first = conn.execute(select(AccessLog.id).where(AccessLog.seq == 1)).scalar_one()
        conn.execute(AccessLogCase.__table__.delete().where(
            AccessLogCase.log_id == first,
            AccessLogCase.case_number == world.cases["dordrecht_sdd"]))
    assert _verify(ctx).broken_at == 1
    with ctx.db.begin() as conn:
        conn.execute(AccessLogCase.__table__.delete())
        conn.execute(AccessLog.__table__.delete())
        conn.execute(text("DELETE FROM access_log_head"))
    login(app, "admin").get("/cases")
    login(app, "admin").get("/cases")
    with ctx.db.begin() as conn:
        last = conn.execute(select(func.max(AccessLog.id))).scalar_one()
        conn.execute(AccessLogCase.__table__.delete().where(AccessLogCase.log_id == last))
        conn.execute(AccessLog.__table__.delete().where(AccessLog.id == last))
    bad = _verify(ctx)
    assert not bad.ok and "removed" in bad.reason


def test_two_requests_at_once_keep_the_chain_whole(ctx, app, world):
    errors: list[BaseException] = []

    def read(username: str) -> None:
        try:
            client = login(app, username)
            for _ in range(5):
                assert client.get("/cases").status_code == 200
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=read, args=(u,)) for u in
               ("admin", "st-dordrecht", "st-sliedrecht", "corp-woonbron")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = _verify(ctx)
    assert result.ok, result
    assert len([r for r in logged(ctx) if r.what == "case list"]) >= 20 - 4


def test_the_cli_verifies_the_chain(tmp_path):
    from tests.test_cli import _run

    assert _run(tmp_path, "init", "--no-deploy").returncode == 0
    ok = _run(tmp_path, "access-log", "verify")
    assert ok.returncode == 0 and "intact: 0 rows" in ok.stdout


def _officer(app):
    return login(app, "privacy")


def test_the_officer_finds_the_reads_of_one_case_and_never_its_household(ctx, app, world):
    number = world.cases["dordrecht_sdd"]
    login(app, "st-dordrecht").get(f"/cases/{number}")
    login(app, "sdd").get(f"/cases/{number}")
    login(app, "st-sliedrecht").get(f"/cases/{number}")  # refused: another municipality
    page = _officer(app).get("/privacy", query_string={"case_number": number})
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    for who in ("st-dordrecht", "sdd", "st-sliedrecht"):
        assert who in body
    assert f"Geweigerd: Casusdetail {number}" in body  # "refused: case detail …", in Dutch
    assert "Wilma Achterberg" not in body and "3312 KL" not in body
    # the search itself is logged, with the case numbers it showed
    mine = logged(ctx, AccessLog.username == "privacy")
    assert mine and mine[-1].what.startswith("access log search") and \
        number in {r.case_number for r in mine}


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("username", "sdd", {"sdd"}),
    ("organisation", "dordrecht", {"st-dordrecht"}),
    ("role", "social_team", {"st-dordrecht", "st-sliedrecht"}),
])
def test_the_search_filters(ctx, app, world, field, value, expected):
    number = world.cases["dordrecht_sdd"]
    for who in ("st-dordrecht", "sdd", "st-sliedrecht"):
        login(app, who).get(f"/cases/{number}")
    with ctx.sessionmaker() as session:
        found = access_log.search(session, access_log.Filters(**{field: value}))
    assert {r.username for r in found} == expected


def test_the_search_by_period(ctx, app, world, clock):
    number = world.cases["dordrecht_sdd"]
    login(app, "st-dordrecht").get(f"/cases/{number}")
    day = clock.now().date()
    clock.advance(timedelta(days=3))
    login(app, "sdd").get(f"/cases/{number}")
    officer = _officer(app)
    first = officer.get("/privacy", query_string={"from": day.isoformat(),
                                                   "to": day.isoformat()})
    body = first.get_data(as_text=True)
    assert "st-dordrecht" in body and ">sdd<" not in body
    wrong = officer.get("/privacy", query_string={"from": "gisteren"})
    assert wrong.status_code == 422 and "Van: Geen geldige datum" in wrong.get_data(as_text=True)


def test_many_cases_in_a_short_time_are_flagged(ctx, app, world, clock):
    admin = login(app, "admin")
    for _ in range(2):
        for number in world.cases.values():
            assert admin.get(f"/cases/{number}").status_code == 200
    from engine import access_review

    with ctx.sessionmaker() as session:
        loose = access_review.pattern(session, ctx.settings, "admin", None, None)
        strict = access_review.pattern(
            session, type(ctx.settings)(**{**ctx.settings.__dict__, "access_burst_cases": 3}),
            "admin", None, None)
    assert loose.opened == 3 and loose.burst == 3 and loose.flags == []
    assert strict.flags == [access_review.BURST]
    assert sorted(loose.outside_queue) == sorted(world.cases.values())


def test_a_caseworkers_own_queue_is_not_outside_it(ctx, app, world):
    from engine import access_review

    login(app, "sdd").get(f"/cases/{world.cases['dordrecht_sdd']}")
    with ctx.sessionmaker() as session:
        found = access_review.pattern(session, ctx.settings, "sdd", None, None)
    # the SDD's referral task on the case is its own queue once claimed or done by it
    assert found.opened == 1 and len(found.outside_queue) in (0, 1)


def test_the_csv_export_lists_one_line_per_case_shown(ctx, app, world):
    login(app, "admin").get("/cases")
    response = _officer(app).get("/privacy/export.csv", query_string={"username": "admin"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert lines[0] == ["at", "username", "role", "organisation", "what", "case_number"]
    assert {tuple(line[1:5]) for line in lines[1:]} == {("admin", "admin", "regio",
                                                          "case list")}
    assert {line[5] for line in lines[1:]} == set(world.cases.values())
    assert logged(ctx, AccessLog.username == "privacy")[-1].what.startswith(
        "access log export")


def test_break_glass_grants_a_case_outside_scope_until_it_expires(ctx, app, world, clock):
    other = world.cases["sliedrecht_care"]
    page = login(app, "st-dordrecht")
    assert page.get(f"/cases/{other}").status_code == 404
    found = page.get("/cases", query_string={"q": other}).get_data(as_text=True)
    assert "/cases/break-glass?case_number=" in found
    refused = page.post("/cases/break-glass", data={"case_number": other, "reason": "kort"})
    assert refused.status_code == 422
    assert "Reden: Geef een reden" in refused.get_data(as_text=True)
    asked = page.post("/cases/break-glass", data={
        "case_number": other, "reason": "Huishouden verhuisde van Sliedrecht naar Dordrecht"})
    assert asked.status_code == 303 and asked.headers["Location"] == f"/cases/{other}"
    assert page.get(f"/cases/{other}").status_code == 200
    assert other in [r.case_number for r in logged(ctx, AccessLog.what == "break-glass granted")]
    officer = _officer(app).get("/privacy").get_data(as_text=True)
    assert "Huishouden verhuisde van Sliedrecht naar Dordrecht" in officer
    assert "Break-glass buiten eigen gemeente" in officer
    clock.advance(timedelta(hours=ctx.settings.break_glass_hours, seconds=1))
    assert page.get(f"/cases/{other}").status_code == 404


def test_break_glass_is_refused_for_a_case_in_scope_or_missing(ctx, world):
    from engine import break_glass

    actor = world.actors["st-dordrecht"]
    with ctx.sessionmaker.begin() as session:
        with pytest.raises(InvalidInput) as own:
            break_glass.request_access(ctx, session, actor, world.cases["dordrecht_sdd"],
                                       "Een reden die lang genoeg is")
        assert "eigen werkgebied" in own.value.errors["case_number"]
        with pytest.raises(InvalidInput) as missing:
            break_glass.request_access(ctx, session, actor, "DR-2099-999999",
                                       "Een reden die lang genoeg is")
        assert "geen casus" in missing.value.errors["case_number"]


HOLDS_CASES = {"social_team", "social_team_lead"}


@pytest.mark.parametrize("username", list(USERS))
def test_only_the_privacy_officer_opens_the_log_and_only_caseworkers_break_glass(
        ctx, app, world, username):
    role = USERS[username][0]
    client = login(app, username)
    for path in ("/privacy", "/privacy/people/admin", "/privacy/export.csv"):
        assert client.get(path).status_code == (200 if role == "privacy_officer" else 403), \
            (username, path)
    form = client.get("/cases/break-glass")
    assert form.status_code == (200 if role in HOLDS_CASES else 403), username
    asked = client.post("/cases/break-glass", data={
        "case_number": world.cases["sliedrecht_care"], "reason": "Een reden die lang genoeg is"})
    assert asked.status_code == (303 if role in HOLDS_CASES and username != "st-sliedrecht"
                                 else 422 if role in HOLDS_CASES else 403), username


def test_a_machine_token_gets_neither_the_log_nor_break_glass(ctx, app, world):
    from engine import break_glass

    client = app.test_client()
    for org in ("woonbron", "dordrecht"):
        token = bearer(ctx, org=org)
        for path in ("/privacy", "/privacy/export.csv", "/cases/break-glass"):
            assert client.get(path, headers=token).status_code in (302, 303, 401, 403), path
        answer = client.post("/cases/break-glass", headers=token, data={
            "case_number": world.cases["sliedrecht_care"], "reason": "Een lange reden hier"})
        assert answer.status_code in (302, 303, 401, 403)
    with ctx.sessionmaker.begin() as session:
        machine = world.actors["st-dordrecht"].__class__(
            username="dordrecht-system", role="machine", organisation="dordrecht",
            organisation_kind="municipality")
        with pytest.raises(NotAllowed):
            break_glass.request_access(ctx, session, machine, world.cases["sliedrecht_care"],
                                       "Een lange reden hier")
