"""The corporation's legal track and the other messages that end or speed up a case."""

from __future__ import annotations

from tests.processes import legal_scenarios, scenarios
from tests.processes.chain import Chain


def test_court_summons_during_outreach_moves_the_deadline_to_three_working_days(
        chain: Chain) -> None:
    scenarios.court_summons_during_outreach(chain)


def test_eviction_executed(chain: Chain) -> None:
    scenarios.eviction_executed(chain)


def test_tenant_moved(chain: Chain) -> None:
    scenarios.tenant_moved(chain)


def test_summons_for_a_case_closed_as_no_contact_reopens_it_with_three_working_days(
        chain: Chain) -> None:
    legal_scenarios.summons_for_a_case_closed_as_no_contact(chain)


def test_eviction_date_for_a_tenant_never_reported_postponed_cancelled_keys_handed_in(
        chain: Chain) -> None:
    legal_scenarios.eviction_date_for_a_tenant_never_reported(chain)


def test_hearing_reminder_and_tenant_left_without_notice(chain: Chain) -> None:
    legal_scenarios.hearing_reminder(chain)


def test_judgment_for_a_closed_case(chain: Chain) -> None:
    legal_scenarios.judgment_for_a_closed_case(chain)


def test_duplicate_with_higher_arrears_is_picked_up(chain: Chain) -> None:
    legal_scenarios.duplicate_with_higher_arrears(chain)
