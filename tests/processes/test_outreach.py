"""Outreach: attempts, the six-week limit and missed deadlines escalated to the team lead."""

from __future__ import annotations

from tests.processes import scenarios
from tests.processes.chain import Chain


def test_no_contact_after_five_attempts(chain: Chain) -> None:
    scenarios.no_contact_after_five_attempts(chain)


def test_no_contact_within_six_weeks(chain: Chain) -> None:
    scenarios.no_contact_within_six_weeks(chain)


def test_missed_deadlines_are_escalated_and_the_original_task_stays_open(chain: Chain) -> None:
    scenarios.deadlines_missed_and_escalated(chain)
