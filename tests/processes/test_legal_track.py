"""The corporation's legal track and the other messages that end or speed up a case (scenarios 8, 9
and 11 are data: processes/scenarios/, test_scenario_files)."""

from __future__ import annotations

from tests.processes import legal_scenarios
from tests.processes.chain import Chain


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
