"""Urgent referrals are marked ("Spoed") and sort first in the SDD's and the Meldpunt's
queues (issue 9); paging stays exact across the urgent and the regular part of the queue."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from engine import inbox
from engine.access import Actor
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.models import HumanTask
from tests.casework import complete_claimed, corporation, deploy_chain, report
from tests.factories import make_user
from tests.processes.chain import Chain
from tests.processes.chain import deploy_chain as deploy_real_chain
from tests.webclient import bearer, login


def _refer_to_sdd(ctx: EngineContext, worker: Actor, case_number: str) -> str:
    """Drive a case of the test chain to the SDD's intake; returns that task's id."""
    for form in ({"attempt_type": "home_visit", "attempt_date": "2026-04-23",
                  "contact_made": True},
                 {"help_wanted": True, "zrm_finances": 2, "assessment_note": "Gesprek gevoerd",
                  "referral": "sdd"}):
        with ctx.sessionmaker.begin() as session:
            task_id = session.scalars(select(HumanTask.id).where(
                HumanTask.case_number == case_number, HumanTask.state == "open")).one()
            complete_claimed(ctx, session, worker, task_id, form)
    with ctx.sessionmaker() as session:
        return session.scalars(select(HumanTask.id).where(
            HumanTask.case_number == case_number, HumanTask.role == "budget_advice")).one()


@pytest.fixture
def sdd_queue(ctx: EngineContext) -> dict[str, bool]:
    """Seven referrals to the SDD, reported in turn; the 2nd, 5th and 7th on a crisis
    signal. Task id -> urgent."""
    deploy_chain(ctx)
    corp = corporation(ctx)
    worker = make_user(ctx, "anna")
    make_user(ctx, "sdd", "budget_advice", "sdd")
    tasks = {}
    for i in range(7):
        crisis = i in (1, 4, 6)
        number = report(ctx, corp, external_id=f"U{i}", crisis=crisis,
                        tenant={"house_number": str(i + 1)}).case_number
        tasks[_refer_to_sdd(ctx, worker, number)] = crisis
    return tasks


def _expected(ctx: EngineContext, tasks: dict[str, bool], sort: str) -> list[str]:
    """Urgent first; within each part the queue's own order (created, or due then id)."""
    with ctx.sessionmaker() as session:
        rows = session.execute(select(HumanTask.id, HumanTask.created_at, HumanTask.due_at)
                               .where(HumanTask.id.in_(list(tasks)))).all()
    if sort == "created":
        key = {r.id: (r.created_at, r.id) for r in rows}
    else:
        key = {r.id: (r.due_at is None, r.due_at or r.created_at, r.id) for r in rows}
    return sorted(tasks, key=lambda t: (not tasks[t], key[t]))


@pytest.mark.parametrize("sort", ["due", "created"])
def test_urgent_referrals_come_first_and_paging_is_exact(ctx, app, sdd_queue, sort):
    client, token = app.test_client(), bearer(ctx, username="sdd")
    seen: list[str] = []
    flags: list[bool] = []
    cursor = None
    for _page in range(10):
        query = {"queue": "team", "sort": sort, "limit": 2}
        if cursor:
            query["cursor"] = cursor
        body = client.get("/api/v1/tasks", query_string=query, headers=token).json
        seen += [i["id"] for i in body["items"]]
        flags += [i["urgent"] for i in body["items"]]
        cursor = body["next"]
        if not cursor:
            break
    assert seen == _expected(ctx, sdd_queue, sort)
    assert flags == [True, True, True, False, False, False, False]
    assert len(set(seen)) == 7


def test_every_page_size_walks_the_same_order(ctx, sdd_queue):
    """Page boundaries anywhere (inside and across the urgent part) give the same order."""
    sdd = make_user(ctx, "sdd", "budget_advice", "sdd")
    for size in (1, 3, 4, 7):
        seen: list[str] = []
        cursor = None
        while True:
            with ctx.sessionmaker() as session:
                page = inbox.inbox(ctx, session, sdd, queue="team", cursor=cursor, limit=size,
                                   summary=False)
            seen += [i.task.id for i in page.items]
            cursor = page.next
            if not cursor:
                break
        assert seen == _expected(ctx, sdd_queue, "due"), size


def test_the_sdd_inbox_marks_urgent_referrals(ctx, app, sdd_queue):
    html = login(app, "sdd").get("/inbox?queue=team").get_data(as_text=True)
    rows = re.findall(r"<tr class=\"row-[^\"]*\">.*?</tr>", html, re.S)
    assert len(rows) == 7
    marked = ['class="badge urgent">Spoed<' in row for row in rows]
    assert marked == [True, True, True, False, False, False, False]


def test_a_social_team_queue_keeps_its_own_order(ctx, app, sdd_queue):
    """Only the referral desks' queues are split on urgency; the social team's tasks are
    never flagged."""
    with ctx.sessionmaker() as session:
        assert session.scalars(select(HumanTask.id).where(
            HumanTask.urgent.is_(True), HumanTask.role != "budget_advice")).all() == []


def test_a_cursor_of_another_part_is_refused_with_the_field_named(ctx, app, sdd_queue):
    client, token = app.test_client(), bearer(ctx, username="sdd")
    response = client.get("/api/v1/tasks", query_string={
        "queue": "team", "cursor": "x|2026-04-23T09:00:00+00:00|abc"}, headers=token)
    assert response.status_code == 422 and "cursor" in response.get_data(as_text=True)


# --- the real chain: the Meldpunt's referral marked urgent ---------------------------------

def _to_meldpunt(chain: Chain, urgency: str) -> None:
    chain.signal()
    chain.reach()
    chain.talk(True, False)
    chain.zrm(finances=2, mental_health=2, social_network=2)
    chain.plan()
    chain.complete("prepare_care_referral", {
        "care_referral_summary": f"Verwijzing {urgency}", "care_consent_given": True,
        "care_urgency": urgency})


def test_the_meldpunt_sees_the_referral_marked_urgent_first(
        ctx: EngineContext, clock: ManualClock, app: Flask) -> None:
    deploy_real_chain(ctx)
    actors: dict[tuple[str, str], Actor] = {}
    regular = Chain(ctx, clock, "DR-2026-0001", actors)
    _to_meldpunt(regular, "regular")
    clock.advance(timedelta(hours=1))
    urgent = Chain(ctx, clock, "DR-2026-0002", actors)
    _to_meldpunt(urgent, "urgent")
    meldpunt = urgent.actor("care_referral")
    html = login(app, meldpunt.username).get("/inbox?queue=team").get_data(as_text=True)
    rows = re.findall(r"<tr class=\"row-[^\"]*\">.*?</tr>", html, re.S)
    assert len(rows) == 2
    assert "DR-2026-0002" in rows[0] and 'class="badge urgent">Spoed<' in rows[0]
    assert "DR-2026-0001" in rows[1] and "Spoed" not in rows[1]
