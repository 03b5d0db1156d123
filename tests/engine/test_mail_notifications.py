"""Mail notifications against a real SMTP server (aiosmtpd, started here): a task handed to
someone, a deadline near and passed (to the holder and the team lead), once per cause even
when the worker dies between sending and marking, backed off while the server is down,
switched-off kinds not sent, and never a household's name or address in a mail."""

from __future__ import annotations

import dataclasses
import email
import socket
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from engine import inbox, mailer, metrics_export, notifications, tasks, users
from engine.access import Actor
from engine.chain import cases, demo
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.errors import InvalidInput
from engine.models import HumanTask, OutboxMail, User
from engine.worker import mail_round
from tests.factories import PASSWORD
from tests.processes.chain import Chain, deploy_chain, utc

NUMBER = "DR-2026-0001"
BASE_URL = "https://ketenflow.example.org"
#: What the chain's test case holds about the household (tests.processes.chain).
PERSONAL = ("T. Est", "Voorstraat", "3311 AB", "3311AB", "synthetisch")


class Inbox:
    """The SMTP server's side: every message it accepted, parsed."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def port() -> int:
    return _free_port()


@pytest.fixture
def smtp(port: int) -> Iterator[Inbox]:
    received = Inbox()
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    yield received
    controller.stop()


@pytest.fixture
def mail_ctx(ctx: EngineContext, port: int) -> EngineContext:
    ctx.settings = dataclasses.replace(ctx.settings, smtp_host="127.0.0.1", smtp_port=port,
                                       smtp_from="ketenflow@gemeente.example.org",
                                       base_url=BASE_URL)
    return ctx


def _person(ctx: EngineContext, username: str, role: str, org: str = "dordrecht") -> Actor:
    with ctx.sessionmaker.begin() as session:
        user = users.add_user(ctx, session, username, role, org, PASSWORD,
                              email=f"{username}@example.org")
        return users.actor_for(user)


@pytest.fixture
def team(mail_ctx: EngineContext) -> dict[str, Actor]:
    return {"anna": _person(mail_ctx, "anna", "social_team"),
            "bob": _person(mail_ctx, "bob", "social_team"),
            "lisa": _person(mail_ctx, "lisa", "social_team_lead"),
            # another municipality's lead is nobody's lead here
            "sven": _person(mail_ctx, "sven", "social_team_lead", "sliedrecht")}


@pytest.fixture
def chain(mail_ctx: EngineContext, clock: ManualClock) -> Chain:
    deploy_chain(mail_ctx)
    clock.set(utc("2026-04-23 08:00"))  # a Thursday; the first contact is due Fri 1 May 17:00
    found = Chain(mail_ctx, clock, NUMBER)
    found.signal()
    return found


def _task(chain: Chain, bpmn_id: str) -> HumanTask:
    found = [t for t in chain.open_tasks() if t.bpmn_id == bpmn_id]
    assert len(found) == 1, chain.open_ids()
    return found[0]


def _outbox(ctx: EngineContext) -> list[OutboxMail]:
    with ctx.sessionmaker() as session:
        return list(session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


def _claim(ctx: EngineContext, who: Actor, task_id: str) -> None:
    with ctx.sessionmaker.begin() as session:
        tasks.claim_task(ctx, session, who, task_id)


def _reach(chain: Chain, who: Actor) -> None:
    task = _task(chain, "record_first_contact_attempt")
    with chain.ctx.sessionmaker.begin() as session:
        if task.assignee_id != who.user_id:
            tasks.claim_task(chain.ctx, session, who, task.id)
        tasks.complete_task(chain.ctx, session, who, task.id, {
            "attempt_date": chain.today(), "attempt_type": "Huisbezoek",
            "day_part": "afternoon", "contact_made": True})


def _assert_no_personal_data(smtp: Inbox) -> None:
    assert smtp.messages
    for message in smtp.messages:
        text = message.as_string()
        for value in PERSONAL:
            assert value not in text, (value, message["Subject"])


def test_a_task_handed_to_someone_is_mailed_to_them_once(mail_ctx, smtp, chain, team):
    ctx, bob, lisa, anna = mail_ctx, team["bob"], team["lisa"], team["anna"]
    first = _task(chain, "record_first_contact_attempt")
    with ctx.sessionmaker.begin() as session:  # the lead hands the outreach to bob
        inbox.assign_task(ctx, session, lisa, first.id, bob.user_id)
    # the row was written with the assignment, before any worker ran
    assert [(m.kind, m.user_id, m.state, m.cause) for m in _outbox(ctx)] == [
        ("task_assigned", bob.user_id, "pending", f"task_assigned:{first.id}:2")]
    assert mail_round(ctx) == 1
    [message] = smtp.to("bob@example.org")
    assert NUMBER in message["Subject"]
    body = message.get_content()
    assert f"Casus: {NUMBER}" in body and f"{BASE_URL}/tasks/{first.id}" in body
    assert "Eerste contactpoging registreren" in body
    assert message["Message-ID"] == _outbox(ctx)[0].message_id
    assert message["From"] == "ketenflow@gemeente.example.org"

    # bob reaches the household: he holds the case, its next task is handed to him (a hook of
    # the step, same transaction); a task one claims oneself is no news
    _reach(chain, bob)
    kitchen = _task(chain, "hold_kitchen_table_conversation")
    assert kitchen.assignee_id == bob.user_id
    # the lead hands the case to anna: its open task goes along
    with ctx.sessionmaker.begin() as session:
        cases.hand_case(ctx, session, lisa, NUMBER, anna.user_id)
    assert mail_round(ctx) == 2
    assert mail_round(ctx) == 0  # nothing twice
    assert len(smtp.to("bob@example.org")) == 2
    [to_anna] = smtp.to("anna@example.org")
    assert f"{BASE_URL}/tasks/{kitchen.id}" in to_anna.get_content()
    assert smtp.to("lisa@example.org") == []  # the lead did the handing
    assert len({m["Message-ID"] for m in smtp.messages}) == 3
    assert [m.state for m in _outbox(ctx)] == ["sent"] * 3
    _assert_no_personal_data(smtp)


def test_a_deadline_near_goes_to_the_holder_and_a_passed_one_to_the_holder_and_lead(
        mail_ctx, smtp, chain, team, clock):
    ctx, anna = mail_ctx, team["anna"]
    task = _task(chain, "record_first_contact_attempt")
    _claim(ctx, anna, task.id)
    assert mail_round(ctx) == 0  # a week to go: nothing
    clock.set(utc("2026-04-29 08:00"))  # Wednesday: due Friday, not near yet
    assert mail_round(ctx) == 0
    clock.set(utc("2026-04-30 06:00"))  # Thursday: due the next working day
    assert mail_round(ctx) == 1
    [near] = smtp.to("anna@example.org")
    assert "bijna" in near["Subject"] and NUMBER in near["Subject"]
    assert "01-05-2026 17:00" in near.get_content()
    assert mail_round(ctx) == 0  # the scan found it once

    clock.set(utc("2026-05-01 15:01"))  # 17:01 in Dordrecht: passed
    assert mail_round(ctx) == 2
    passed = [m for m in smtp.messages if "verstreken" in m["Subject"]]
    assert sorted(m["To"] for m in passed) == ["anna@example.org", "lisa@example.org"]
    assert smtp.to("bob@example.org") == [] and smtp.to("sven@example.org") == []
    clock.set(utc("2026-05-04 09:00"))
    assert mail_round(ctx) == 0
    assert len(smtp.messages) == 3
    _assert_no_personal_data(smtp)


def test_a_near_deadline_nobody_holds_goes_to_the_team_lead(mail_ctx, smtp, chain, team,
                                                            clock):
    clock.set(utc("2026-04-30 06:00"))
    assert mail_round(mail_ctx) == 1
    [near] = smtp.messages
    assert near["To"] == "lisa@example.org" and "bijna" in near["Subject"]


def test_a_cause_queues_one_row_however_often_it_is_met(mail_ctx, chain, team):
    ctx, bob = mail_ctx, team["bob"]
    task = _task(chain, "record_first_contact_attempt")
    for _ in range(3):
        with ctx.sessionmaker.begin() as session:
            notifications.tasks_assigned(ctx, session, [(task.id, bob.user_id, 7)])
            notifications.scan_deadlines(ctx, session)
    with ctx.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMail)) == 1


def _assign(ctx: EngineContext, chain: Chain, lead: Actor, to: Actor) -> None:
    task = _task(chain, "record_first_contact_attempt")
    with ctx.sessionmaker.begin() as session:
        inbox.assign_task(ctx, session, lead, task.id, to.user_id)


def test_a_worker_killed_before_the_hand_over_leaves_nothing_delivered_and_it_is_resent(
        mail_ctx, smtp, chain, team, clock):
    ctx = mail_ctx
    _assign(ctx, chain, team["lisa"], team["bob"])
    # the first worker claims, writes the whole message but its last line, and dies
    claimed = mailer.claim_next(ctx)
    assert claimed is not None
    server = mailer.connect(ctx)
    server.ehlo_or_helo_if_needed()
    server.mail(ctx.settings.smtp_from)
    server.rcpt(claimed.to or "")
    server.putcmd("data")
    assert server.getreply()[0] == 354
    server.send(mailer.wire_form(mailer.build_message(ctx, claimed)))
    server.close()  # killed: nothing of it survives but the database and what the server got
    del claimed
    [row] = _outbox(ctx)
    assert (row.state, row.attempts) == ("sending", 1)
    assert smtp.messages == []  # a message without its final line is never delivered
    # another worker does not take a mail whose claim still holds
    assert mail_round(ctx) == 0
    clock.advance(mailer.LEASE + timedelta(seconds=1))
    assert mail_round(ctx) == 1
    assert mail_round(ctx) == 0
    [message] = smtp.messages
    assert message["Message-ID"] == row.message_id and message["X-Ketenflow-Attempt"] == "2"
    [row] = _outbox(ctx)
    assert (row.state, row.attempts) == ("sent", 2)
    # the first worker, had it lived, could not mark over the second's claim
    assert not mailer.mark_sent(ctx, mailer.Claimed(row.id, 1, row.message_id, None, "", ""))


def test_a_worker_killed_between_sending_and_marking_never_delivers_twice(
        mail_ctx, smtp, chain, team, clock):
    ctx = mail_ctx
    _assign(ctx, chain, team["lisa"], team["bob"])
    # the first worker claims and sends, and dies before it marks the mail sent
    claimed = mailer.claim_next(ctx)
    assert claimed is not None
    server = mailer.connect(ctx)
    mailer.send_claimed(ctx, server, claimed)
    server.quit()
    del claimed  # killed: nothing of it survives but the database and what the server got
    assert len(smtp.messages) == 1
    [row] = _outbox(ctx)
    assert (row.state, row.attempts) == ("handed_over", 1)
    assert mail_round(ctx) == 0
    clock.advance(mailer.LEASE + timedelta(seconds=1))
    # the worker died after the hand-over: perhaps delivered, so never sent again on its own
    for _ in range(3):
        assert mail_round(ctx) == 0
        clock.advance(mailer.LEASE)
    assert len(smtp.messages) == 1
    [row] = _outbox(ctx)
    assert (row.state, row.attempts, row.last_error) == \
        ("in_doubt", 1, "worker died at hand-over")
    assert "ketenflow_mails_in_doubt 1.0" in metrics_export.render(ctx)[0].decode()


def test_a_claim_lost_while_writing_is_not_handed_over(mail_ctx, smtp, chain, team, clock):
    ctx = mail_ctx
    _assign(ctx, chain, team["lisa"], team["bob"])
    slow = mailer.claim_next(ctx)  # a worker so slow that its lease ran out
    assert slow is not None
    clock.advance(mailer.LEASE + timedelta(seconds=1))
    assert mail_round(ctx) == 1  # another worker sent it meanwhile
    server = mailer.connect(ctx)
    with pytest.raises(mailer.LostClaim):
        mailer.send_claimed(ctx, server, slow)
    assert len(smtp.messages) == 1
    assert _outbox(ctx)[0].state == "sent"


def test_an_unreachable_server_backs_off_and_the_mail_goes_later(mail_ctx, chain, team,
                                                                 clock, port):
    ctx, bob, lisa = mail_ctx, team["bob"], team["lisa"]
    task = _task(chain, "record_first_contact_attempt")
    with ctx.sessionmaker.begin() as session:
        inbox.assign_task(ctx, session, lisa, task.id, bob.user_id)
    start = clock.now()
    assert mail_round(ctx) == 0  # nobody listens on the port
    [row] = _outbox(ctx)
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == start + timedelta(minutes=1)
    assert row.last_error is not None and "Error" in row.last_error
    assert mail_round(ctx) == 0  # not before its time
    assert _outbox(ctx)[0].attempts == 1
    clock.advance(timedelta(minutes=1))
    assert mail_round(ctx) == 0
    [row] = _outbox(ctx)
    assert (row.attempts, row.next_attempt_at) == (2, clock.now() + timedelta(minutes=2))
    assert mailer.backoff(20) == mailer.MAX_BACKOFF

    received = Inbox()  # the server is back
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        clock.advance(timedelta(minutes=2))
        assert mail_round(ctx) == 1
    finally:
        controller.stop()
    [message] = received.messages
    assert message["To"] == "bob@example.org" and message["X-Ketenflow-Attempt"] == "3"
    assert _outbox(ctx)[0].state == "sent"


def test_a_kind_switched_off_is_not_sent(mail_ctx, smtp, chain, team, clock):
    ctx, anna, bob, lisa = mail_ctx, team["anna"], team["bob"], team["lisa"]
    with ctx.sessionmaker.begin() as session:
        notifications.set_preferences(session, bob, {"task_assigned": False})
        notifications.set_preferences(session, lisa, {"deadline_passed": False})
        assert notifications.preferences(session, bob.user_id) == {
            "task_assigned": False, "deadline_near": True, "deadline_passed": True,
            "daily_summary": False}
    task = _task(chain, "record_first_contact_attempt")
    with ctx.sessionmaker.begin() as session:
        inbox.assign_task(ctx, session, lisa, task.id, bob.user_id)
    clock.set(utc("2026-05-01 15:01"))
    assert mail_round(ctx) == 1
    [message] = smtp.messages  # bob's passed deadline; not his assignment, not lisa's copy
    assert message["To"] == "bob@example.org" and "verstreken" in message["Subject"]
    states = {(m.kind, m.user_id): m.state for m in _outbox(ctx)}
    assert states == {("task_assigned", bob.user_id): "skipped",
                      ("deadline_passed", bob.user_id): "sent",
                      ("deadline_passed", lisa.user_id): "skipped"}
    assert anna.user_id not in {m.user_id for m in _outbox(ctx)}


def test_the_daily_summary_only_for_who_asked_once_a_working_day(mail_ctx, smtp, chain,
                                                                 team, clock):
    ctx, anna = mail_ctx, team["anna"]
    _claim(ctx, anna, _task(chain, "record_first_contact_attempt").id)
    with ctx.sessionmaker.begin() as session:
        notifications.set_preferences(session, anna, {"daily_summary": True})
    clock.set(utc("2026-04-24 04:30"))  # Friday 06:30 in Dordrecht: too early
    assert mail_round(ctx) == 0
    clock.set(utc("2026-04-24 05:00"))  # 07:00
    assert mail_round(ctx) == 1
    assert mail_round(ctx) == 0
    [summary] = smtp.messages
    assert summary["To"] == "anna@example.org"
    assert f"casus {NUMBER}" in summary.get_content() and "1 taken" in summary.get_content()
    clock.set(utc("2026-04-25 06:00"))  # Saturday: none
    assert mail_round(ctx) == 0
    clock.set(utc("2026-04-28 06:00"))  # Tuesday (Monday was Koningsdag)
    assert mail_round(ctx) == 1
    assert [m["To"] for m in smtp.messages] == ["anna@example.org"] * 2
    _assert_no_personal_data(smtp)


def test_without_an_smtp_host_mails_wait(ctx, chain, team):
    ctx.settings = dataclasses.replace(ctx.settings, smtp_host="")
    task = _task(chain, "record_first_contact_attempt")
    with ctx.sessionmaker.begin() as session:
        inbox.assign_task(ctx, session, team["lisa"], task.id, team["bob"].user_id)
    assert mail_round(ctx) == 0
    assert [(m.state, m.attempts) for m in _outbox(ctx)] == [("pending", 0)]


def test_the_demo_users_have_example_org_addresses(ctx):
    with ctx.sessionmaker.begin() as session:
        seeded = demo.seed_users(ctx, session)
        stored = {u.username: u.email for u in session.scalars(select(User))}
    assert seeded and all(stored[p.username] == f"{p.username}@example.org" for p in seeded)


@pytest.mark.parametrize("address", ["anna", "anna@localhost", "a b@example.org",
                                     "anna@example.org\r\nBcc: x@example.org",
                                     "anna@example.org, bob@example.org"])
def test_an_address_that_is_none_is_refused(ctx, address):
    with ctx.sessionmaker.begin() as session, pytest.raises(InvalidInput) as refused:
        users.add_user(ctx, session, "anna", "social_team", "dordrecht", PASSWORD,
                       email=address)
    assert refused.value.errors == {"email": "is geen geldig e-mailadres"}
