"""The corporation's legal track and the other messages that end or speed up a case."""

from __future__ import annotations

from tests.processes import scenarios
from tests.processes.chain import Chain


def test_court_summons_during_outreach_moves_the_deadline_to_three_working_days(
        chain: Chain) -> None:
    scenarios.court_summons_during_outreach(chain)


def test_eviction_executed(chain: Chain) -> None:
    scenarios.eviction_executed(chain)


def test_tenant_moved(chain: Chain) -> None:
    scenarios.tenant_moved(chain)
