"""The need-to-know policy is data: adding a role or changing a cell is one edit of
``engine.chain.policy``, and the engine's filters follow it (no role names in their code)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from engine import access, inbox
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


def test_the_engine_asks_the_policy_not_role_names(edited: dict[str, access.RoleRule]) -> None:
    """Which desks get the municipality filter and urgent-first queues, whose tasks a limited
    case view shows, who a lead's team is, who holds and hands cases: all follow the rules."""
    # the desks that receive referrals (rows REFERRED), the corporation's portal lanes
    assert [r for r in policy.RULES if access.receives_referrals(r)] == [
        policy.SDD, policy.MZO, policy.SDD_L, policy.MZO_L]
    assert access.referral_lanes() == (policy.SDD, policy.MZO)
    assert access.case_lanes(policy.CORP) == (policy.CORP, policy.CORP_L)
    assert access.case_lanes(policy.SDD_L) == (policy.SDD, policy.SDD_L)
    assert access.case_lanes(policy.SDD) == (policy.SDD,)  # the lead's escalations are its own
    assert access.team_roles(policy.SDD_L) == (policy.SDD, policy.SDD_L)
    assert access.team_roles(policy.ST_C) == (policy.ST, policy.ST_C)
    assert access.team_roles(policy.ADM) == ()
    assert access.roles_that(policy.HOLD_CASES) == (policy.ST, policy.ST_C)
    assert access.roles_that(policy.HAND_CASES) == access.roles_that(
        policy.CORRECT_RESULTS) == (policy.ST_C,)
    # a new desk is one entry: it is filtered by municipality and puts urgent referrals first
    coach = Actor("coach", "debt_coach", "sdd", "sdd", 3)
    edited["debt_coach"] = access.RoleRule(lanes=(policy.SDD,), rows=access.REFERRED,
                                           case_view="referral")
    access.install_policy(access.Policy(roles=edited))
    assert inbox.municipality_filter(coach) and inbox.urgent_first(coach)
    assert access.team_roles("debt_coach") == (policy.SDD, policy.SDD_L, "debt_coach")
    # and a coordinator who may hand cases over is one capability
    edited["debt_coach"] = dataclasses.replace(edited["debt_coach"],
                                               may=frozenset({policy.HAND_CASES}))
    access.install_policy(access.Policy(roles=edited))
    assert access.may(coach, policy.HAND_CASES)
    assert "debt_coach" in access.roles_that(policy.HAND_CASES)
