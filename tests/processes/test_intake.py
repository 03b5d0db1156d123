"""Signals that are not picked up go straight to closure, with the right feedback."""

from __future__ import annotations

from tests.processes import scenarios
from tests.processes.chain import Chain


def test_duplicate_signal_is_not_picked_up(chain: Chain) -> None:
    scenarios.duplicate_signal(chain)


def test_signal_below_the_threshold_is_not_picked_up(chain: Chain) -> None:
    scenarios.below_threshold(chain)
