"""Reached households: every route from the kitchen-table conversation to closure."""

from __future__ import annotations

from tests.processes import scenarios
from tests.processes.chain import Chain


def test_paid_before_contact(chain: Chain) -> None:
    scenarios.paid_before_contact(chain)


def test_arrangement_kept_only_after_every_agreed_month_is_confirmed(chain: Chain) -> None:
    scenarios.arrangement_kept(chain)


def test_broken_arrangement_goes_back_to_the_social_team(chain: Chain) -> None:
    scenarios.arrangement_broken(chain)


def test_refused_arrangement_is_renegotiated_and_broken_one_referred(chain: Chain) -> None:
    scenarios.arrangement_refused_and_renegotiated(chain)


def test_refused_arrangement_referred_to_the_sdd(chain: Chain) -> None:
    scenarios.arrangement_refused_and_referred(chain)


def test_budget_advice(chain: Chain) -> None:
    scenarios.budget_advice(chain)


def test_hand_over_to_debt_mediation(chain: Chain) -> None:
    scenarios.debt_mediation(chain)


def test_multi_problem_household_to_the_meldpunt_and_back(chain: Chain) -> None:
    scenarios.meldpunt(chain)


def test_help_declined(chain: Chain) -> None:
    scenarios.help_declined(chain)
