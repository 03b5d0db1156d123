"""Working-day deadlines in the running chain: weekends and Dutch public holidays skipped."""

from __future__ import annotations

from datetime import date, datetime

from engine.workdays import is_working_day
from tests.processes.chain import Chain


def test_first_contact_deadline_skips_koningsdag_and_the_weekend(chain: Chain) -> None:
    # Thursday 23 April 2026; Friday counts, Sat/Sun and Koningsdag (Mon 27 April) do not.
    assert chain.clock.now().date() == date(2026, 4, 23)
    assert not is_working_day(date(2026, 4, 27))
    chain.signal(received_on="2026-04-23")

    due = datetime.fromisoformat("2026-05-01T17:00:00+02:00")  # summer time: 15:00 UTC
    task = chain.task("record_first_contact_attempt")  # as the Dordrecht team sees it
    assert task.due_at == due
    assert task.due_at.date() == date(2026, 5, 1)  # not 30 April (weekend + holiday skipped)
    assert chain.instance().next_timer_due == due

    # the escalation timer runs on the same deadline
    assert chain.at("2026-05-01 14:59") == 0
    assert chain.open_ids() == ["record_first_contact_attempt"]
    assert chain.at("2026-05-01 15:00") == 0  # fires once the clock has passed it
    assert chain.open_ids() == ["record_first_contact_attempt"]
    assert chain.at("2026-05-01 15:00:01") == 1
    assert chain.open_ids() == ["escalate_first_contact_overdue", "record_first_contact_attempt"]


def test_shorter_deadlines_for_warm_handover_and_crisis(chain: Chain) -> None:
    chain.signal(warm_handover=True)  # 3 working days: Fri 24, Tue 28, Wed 29
    assert chain.due("record_first_contact_attempt") == \
        datetime.fromisoformat("2026-04-29T17:00:00+02:00")
    crisis = Chain(chain.ctx, chain.clock, "DR-2026-0002")
    crisis.signal(crisis=True)  # 1 working day: Friday 24
    assert crisis.due("record_first_contact_attempt") == \
        datetime.fromisoformat("2026-04-24T17:00:00+02:00")
