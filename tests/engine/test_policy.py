"""The need-to-know policy is data: adding a role or changing a cell is one edit of
``engine.chain.policy``, and the engine's filters follow it (no role names in their code)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from engine import access
from engine.access import Actor
from engine.chain import policy


@pytest.fixture
def edited() -> Iterator[dict[str, access.RoleRule]]:
    """A copy of the chain's rules to edit, installed; the chain's own afterwards."""
    rules = dict(policy.RULES)
    access.install_policy(access.Policy(roles=rules))
    try:
        yield rules
    finally:
        policy.install()


def test_every_role_has_a_cell_in_every_category() -> None:
    # a missing cell would silently mean "nothing": the table is complete instead
    people = {name for name, rule in policy.RULES.items() if rule.persons}
    for category, cells in policy.MATRIX.items():
        assert set(cells) == people, category
        assert set(cells.values()) <= set(policy.LEVELS), category


def test_a_new_role_is_one_entry(edited: dict[str, access.RoleRule]) -> None:
    wijkcoach = Actor("wijkcoach", "neighbourhood_coach", "dordrecht", "municipality", 1)
    assert access.case_view_kind(wijkcoach) is None
    assert not access.task_visible(wijkcoach, "social_team", "dordrecht", "woonbron")
    # one rule: the coach works the social team's lane of its own municipality
    edited["neighbourhood_coach"] = access.RoleRule(
        lanes=("social_team",), rows=access.OWN_MUNICIPALITY, case_view="full")
    access.install_policy(access.Policy(roles=edited))
    assert access.case_view_kind(wijkcoach) == "full"
    assert access.task_visible(wijkcoach, "social_team", "dordrecht", "woonbron")
    assert not access.task_visible(wijkcoach, "social_team", "sliedrecht", "woonbron")
    assert not access.task_visible(wijkcoach, "budget_advice", "dordrecht", "woonbron")
    assert "neighbourhood_coach" in access.roles()
    assert "neighbourhood_coach" in access.caseworker_lanes()
    assert not access.may_assign(wijkcoach)


def test_a_changed_cell_changes_what_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    assert policy.record_fields("referral_care", "social_team") == ()  # W (send)
    monkeypatch.setitem(policy.MATRIX, policy.CARE_REFERRAL,
                        {**policy.MATRIX[policy.CARE_REFERRAL], policy.ST: policy.R})
    assert policy.record_fields("referral_care", "social_team") is None  # all of it


def test_a_capability_is_one_edit(edited: dict[str, access.RoleRule]) -> None:
    lead = Actor("lead", "social_team_lead", "dordrecht", "municipality", 2)
    assert access.may_assign(lead) and not access.may_deploy(lead)
    edited["social_team_lead"] = dataclasses.replace(
        edited["social_team_lead"], may=frozenset({access.DEPLOY}))
    access.install_policy(access.Policy(roles=edited))
    assert access.may_deploy(lead) and not access.may_assign(lead)


def test_without_a_policy_nobody_sees_anything() -> None:
    access.install_policy(access.Policy())
    try:
        assert access.case_view_kind(access.SYSTEM) is None
        assert not access.may_deploy(access.SYSTEM)
        assert access.roles() == ()
    finally:
        policy.install()
    assert access.may_deploy(access.SYSTEM)
