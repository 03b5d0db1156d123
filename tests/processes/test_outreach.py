"""Outreach: national kinds of attempt, a deadline per attempt, a home visit or card before
"no contact", the six-week limit, and escalations that never hold the case. The outreach
scenarios themselves (2, 2b, 13-16) are data: processes/scenarios/, test_scenario_files."""

from __future__ import annotations

import pytest

from engine.errors import InvalidInput
from tests.processes import scenarios
from tests.processes.chain import Chain


def test_an_open_escalation_lapses_when_contact_is_made_and_never_holds_the_case(
        chain: Chain) -> None:
    chain.signal()
    assert chain.at("2026-05-01 15:01") == 1
    assert chain.open_ids() == ["escalate_first_contact_overdue", "record_first_contact_attempt"]
    chain.at("2026-05-04 09:00")
    chain.reach()  # the lead never got to the escalation: it lapses with the outreach
    assert chain.open_ids() == ["hold_kitchen_table_conversation"]
    assert chain.task_states("escalate_first_contact_overdue") == ["cancelled"]
    assert chain.instance().status == "running"


def test_the_visit_rule_can_be_switched_off_per_signal(chain: Chain) -> None:
    chain.signal(no_contact_requires_visit=False)
    chain.attempt(False, "Brief", "morning")
    for moment in ("2026-04-24 09:00", "2026-04-28 09:00", "2026-04-29 09:00",
                   "2026-04-30 09:00"):
        chain.at(moment)
        chain.attempt(False, "Telefoon", "morning", first=False)
    assert chain.open_ids() == ["confirm_case_closure"]
    chain.close()
    chain.assert_closed("no_contact", "Definitief geen contact kunnen krijgen",
                        "Afgesloten: geen contact")


def test_the_term_between_attempts_is_configurable(chain: Chain) -> None:
    chain.signal(next_attempt_working_days=2)
    chain.attempt(False, "Telefoon", "morning")  # Thu 23 April: Fri 24, (Koningsdag) Tue 28
    assert chain.due("record_contact_attempt") == scenarios.due("2026-04-28T17:00")


def test_old_attempt_kinds_are_refused_with_the_field_named(chain: Chain) -> None:
    chain.signal()
    with pytest.raises(InvalidInput) as refused:
        chain.attempt(False, "home_visit", "morning")
    assert refused.value.errors == {
        "attempt_type": "is geen toegestane keuze: kies een van de mogelijkheden"}
    assert chain.open_ids() == ["record_first_contact_attempt"]


def test_the_conversation_questions_are_required_unless_contact_was_lost(chain: Chain) -> None:
    chain.signal()
    chain.reach()
    with pytest.raises(InvalidInput) as refused:
        chain.complete("hold_kitchen_table_conversation",
                       {"conversation_date": chain.today(), "contact_lost": False})
    assert set(refused.value.errors) == {"help_wanted", "consent_data_sharing", "other_debts"}
    assert "Huurder wil hulp: is verplicht" in refused.value.message
    assert chain.open_ids() == ["hold_kitchen_table_conversation"]
