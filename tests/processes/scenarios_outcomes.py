"""Scenarios 17-27 of processes/SCENARIOS.md (issue 10): national results, the desks' statutory
terms with escalations to their own leads, and a reported payment or move that asks the SDD or
the Meldpunt instead of cancelling their work.

Each drives one case through the real engine (see ``scenarios``); ``test_coverage`` runs them
with the others.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.processes.chain import Chain

# (``scenarios`` imports this module to add these to its ``ALL``, so nothing is imported back)
Scenario = Callable[[Chain], None]


def due(text: str) -> datetime:
    """A deadline as the diagrams write it: ``2026-05-01T17:00`` local time in Amsterdam."""
    return datetime.fromisoformat(text + ":00").replace(tzinfo=ZoneInfo("Europe/Amsterdam"))


def reach_and_talk(chain: Chain) -> None:
    """Signal, first contact at once, the conversation five days later with help wanted."""
    chain.signal()
    chain.reach()
    chain.at("2026-04-28 09:00")
    chain.talk(True, False)


def _to_sdd(chain: Chain, service: str = "budget_advice") -> None:
    """Reached on 23 April, conversation on 28 April, referred to the SDD that day."""
    reach_and_talk(chain)
    chain.zrm(finances=2)
    chain.plan("follow_advice" if service == "budget_advice" else service)
    chain.complete("prepare_sdd_referral", {"sdd_service": service,
                                            "referral_summary": "Verwijzing",
                                            "consent_given": True})
    # Wgs art. 4a lid 1: four weeks, 28 April + 28 days
    assert chain.due("hold_sdd_intake") == due("2026-05-26T17:00")


def _to_meldpunt(chain: Chain, consent: bool = True) -> None:
    reach_and_talk(chain)
    chain.zrm(finances=2, mental_health=2, social_network=2)
    chain.plan()
    data: dict[str, object] = {"care_referral_summary": "Meervoudige problematiek",
                               "care_consent_given": consent, "care_urgency": "regular"}
    if not consent:
        data["care_legal_ground"] = "care_avoider"
    chain.complete("prepare_care_referral", data)
    # 5 working days from 28 April; 5 May is a holiday every year (Atw art. 3)
    assert chain.due("report_care_referral_outcome") == due("2026-05-06T17:00")


def eviction_date_during_sdd_intake(chain: Chain) -> None:
    """15: an eviction date during an SDD intake shortens it to three working days; a later
    summons does not lengthen it; the intake and the decision escalate to the SDD's lead."""
    _to_sdd(chain)
    chain.at("2026-05-04 09:00")  # Monday 4 May
    assert chain.send("eviction_date_set", eviction_date="2026-06-03").status == "delivered"
    # Wgs art. 4a lid 3: 3 working days from Monday 4 May, 5 May skipped: Friday 8 May
    assert chain.due("hold_sdd_intake") == due("2026-05-08T17:00")
    assert chain.task_states("hold_sdd_intake") == ["cancelled", "open"]
    assert "act_on_eviction_date" in chain.open_ids()  # the legal track still acts
    chain.at("2026-05-06 09:00")
    assert chain.send("court_summons", hearing_date="2026-05-20").status == "delivered"
    assert chain.due("hold_sdd_intake") == due("2026-05-08T17:00")  # 11 May would be later
    assert chain.at("2026-05-08 14:59") == 0  # 17:00 CEST is 15:00 UTC
    assert chain.at("2026-05-08 15:01") == 1
    assert chain.task("escalate_sdd_intake_overdue").role == "budget_advice_lead"
    assert "escalate_sdd_intake_overdue" not in chain.queue("social_team_lead")
    chain.complete("escalate_sdd_intake_overdue", {"escalation_action": "caseworker_contacted"})
    chain.complete("hold_sdd_intake", {"sdd_intake_date": chain.today(),
                                       "sdd_trajectory": "budget_advice"})
    # Wgs art. 4a lid 2: the decision within eight weeks of the intake (8 May + 56 days)
    assert chain.due("report_sdd_outcome") == due("2026-07-03T17:00")
    assert chain.at("2026-07-03 15:01") == 1
    assert chain.task("escalate_sdd_decision_overdue").role == "budget_advice_lead"
    chain.complete("escalate_sdd_decision_overdue", {"escalation_action": "delay_accepted",
                                                     "escalation_note": "Wacht op stukken"})
    chain.complete("report_sdd_outcome", {"sdd_outcome": "advice_completed",
                                          "sdd_outcome_date": chain.today(),
                                          "sdd_action_plan_set": True})
    # the legal-track tasks end at closure
    opened = chain.open_ids()
    assert opened == ["act_on_court_summons", "act_on_eviction_date", "confirm_case_closure",
                      "escalate_court_summons", "escalate_eviction_date"], opened
    chain.close()
    chain.assert_closed("budget_advice_completed", "(Budget)advies en/of quick fix",
                        "Afgesloten: hulp geaccepteerd")


def paid_during_sdd_intake_sdd_continues(chain: Chain) -> None:
    """16: arrears paid during the SDD intake, then a move out of town during the decision:
    each reaches the SDD as a question, and each time it goes on with its own term."""
    _to_sdd(chain)
    chain.at("2026-04-30 09:00")
    assert chain.send("arrears_resolved", paid_on="2026-04-30").status == "delivered"
    assert chain.open_ids() == ["decide_sdd_after_household_change"]
    ask = chain.task("decide_sdd_after_household_change")
    assert ask.role == "budget_advice"
    assert "decide_sdd_after_household_change" not in chain.queue("social_team")
    chain.complete("decide_sdd_after_household_change", {
        "sdd_continue": True, "sdd_continue_reason": "Huurder wil het budgetadvies afmaken"})
    assert chain.open_ids() == ["hold_sdd_intake"]
    assert chain.due("hold_sdd_intake") == due("2026-05-26T17:00")  # the term stays
    chain.complete("hold_sdd_intake", {"sdd_intake_date": chain.today(),
                                       "sdd_trajectory": "budget_advice"})
    assert chain.send("tenant_moved", moved_on="2026-04-30",
                      new_municipality="Zwijndrecht").status == "delivered"
    chain.complete("decide_sdd_after_household_change", {
        "sdd_continue": True, "sdd_continue_reason": "De SDD werkt voor de hele regio"})
    assert chain.open_ids() == ["report_sdd_outcome"]
    assert chain.due("report_sdd_outcome") == due("2026-06-25T17:00")
    chain.complete("report_sdd_outcome", {"sdd_outcome": "advice_completed",
                                          "sdd_outcome_date": chain.today()})
    chain.close()
    chain.assert_closed("budget_advice_completed", "(Budget)advies en/of quick fix",
                        "Afgesloten: hulp geaccepteerd")


def paid_after_sdd_help_sdd_stops(chain: Chain) -> None:
    """17: paid while the SDD's advice runs, the SDD stops: help was given, so the result is
    not "zelf al betaald"."""
    _to_sdd(chain)
    chain.complete("hold_sdd_intake", {"sdd_intake_date": chain.today(),
                                       "sdd_trajectory": "budget_advice"})
    chain.at("2026-05-12 09:00")
    assert chain.send("arrears_resolved", paid_on="2026-05-11").status == "delivered"
    chain.complete("decide_sdd_after_household_change", {
        "sdd_continue": False, "sdd_continue_reason": "Achterstand weg, advies gegeven"})
    assert chain.open_ids() == ["confirm_case_closure"]
    assert chain.task_states("report_sdd_outcome") == ["cancelled"]
    chain.close()
    data = chain.assert_closed("arrears_paid_after_advice", "(Budget)advies en/of quick fix",
                               "Afgesloten: hulp geaccepteerd")
    assert data["resolved_on"] == "2026-05-11"


def moved_within_dordrecht(chain: Chain) -> None:
    """18: a move within Dordrecht keeps the case; a later move out of it closes it."""
    chain.signal()
    chain.reach()
    assert chain.send("tenant_moved", moved_on="2026-04-24",
                      new_municipality="Dordrecht").status == "delivered"
    assert chain.open_ids() == ["hold_kitchen_table_conversation"]
    assert "cancelled" not in chain.task_states("hold_kitchen_table_conversation")
    chain.at("2026-04-28 09:00")
    assert chain.send("tenant_moved", moved_on="2026-04-28",
                      new_municipality="Papendrecht").status == "delivered"
    assert chain.open_ids() == ["confirm_case_closure"]
    chain.close()
    data = chain.assert_closed("moved", "Persoon is geen inwoner (meer) in de gemeente",
                               "Afgesloten: verhuisd")
    assert data["moved_on"] == "2026-04-28"


def meldpunt_late_with_consent(chain: Chain) -> None:
    """19: a consented Meldpunt referral answered late: the Meldpunt's lead is told, the case
    does not wait for the lead."""
    _to_meldpunt(chain)
    assert chain.at("2026-05-06 14:59") == 0
    assert chain.at("2026-05-06 15:01") == 1
    assert chain.task("escalate_care_response_overdue").role == "care_referral_lead"
    assert chain.queue("care_referral_lead") == ["escalate_care_response_overdue",
                                                 "report_care_referral_outcome"]
    assert "escalate_care_response_overdue" not in chain.queue("social_team_lead")
    chain.complete("report_care_referral_outcome", {"care_outcome": "guided_into_care",
                                                    "care_outcome_date": chain.today()})
    assert chain.task_states("escalate_care_response_overdue") == ["cancelled"]
    chain.close()
    chain.assert_closed("referred_to_care", "Vervolghulp en/of verwijzing niet financieel",
                        "Afgesloten: hulp geaccepteerd")


def meldpunt_not_accepted(chain: Chain) -> None:
    """20: the Meldpunt did not accept: the social team decides what follows; never
    "non-financial follow-up", never "hulp geaccepteerd"."""
    _to_meldpunt(chain)
    assert chain.at("2026-05-06 15:01") == 1
    chain.complete("escalate_care_response_overdue", {"escalation_action": "caseworker_contacted"})
    chain.complete("report_care_referral_outcome", {"care_outcome": "not_accepted",
                                                    "care_outcome_date": chain.today()})
    follow_up = chain.task("follow_up_care_not_accepted")
    assert follow_up.role == "social_team"
    chain.complete("follow_up_care_not_accepted", {
        "care_follow_up": "other_trajectory", "care_follow_up_note": "Begeleid door GGZ"})
    chain.close()
    chain.assert_closed("other_trajectory", "Inwoner heeft al een ander lopend traject",
                        "Afgesloten")


def meldpunt_asked_twice(chain: Chain) -> None:
    """21: paid while the Meldpunt works (it goes on), then moved to Zwijndrecht (it stops)."""
    _to_meldpunt(chain)
    assert chain.send("arrears_resolved", paid_on="2026-04-28").status == "delivered"
    assert chain.open_ids() == ["decide_care_after_household_change"]
    assert chain.task("decide_care_after_household_change").role == "care_referral"
    chain.complete("decide_care_after_household_change", {
        "care_continue": True, "care_continue_reason": "Zorg blijft nodig"})
    assert chain.open_ids() == ["report_care_referral_outcome"]
    chain.at("2026-04-29 09:00")
    assert chain.send("tenant_moved", moved_on="2026-04-29",
                      new_municipality="Zwijndrecht").status == "delivered"
    chain.complete("decide_care_after_household_change", {
        "care_continue": False, "care_continue_reason": "Buiten ons werkgebied"})
    assert chain.open_ids() == ["confirm_case_closure"]
    chain.close()
    data = chain.assert_closed("moved", "Persoon is geen inwoner (meer) in de gemeente",
                               "Afgesloten: verhuisd")
    assert data["moved_on"] == "2026-04-29"


def deceased_at_closure(chain: Chain) -> None:
    """22: the social team records a death the chain could not know."""
    chain.signal()
    chain.reach()
    chain.at("2026-04-28 09:00")
    chain.talk(False, False)
    chain.close(correction="deceased")
    data = chain.assert_closed("deceased", "Inwoner is overleden", "Afgesloten")
    assert data["proposed_closure_reason"] == "help_declined"


def not_picked_up_other_reason(chain: Chain) -> None:
    """23: a signal the team does not pick up for a reason of its own."""
    chain.signal(arrears_amount=60.0)
    chain.close(correction="not_picked_up_other")
    chain.assert_closed("not_picked_up_other", "Niet opgepakt: andere reden", "Niet opgepakt")


def sdd_client_withdrew(chain: Chain) -> None:
    """24: the household stopped responding to the SDD after earlier contact."""
    _to_sdd(chain)
    chain.complete("hold_sdd_intake", {"sdd_intake_date": chain.today(),
                                       "sdd_trajectory": "budget_advice"})
    chain.complete("report_sdd_outcome", {"sdd_outcome": "client_withdrew",
                                          "sdd_outcome_date": chain.today()})
    chain.close()
    chain.assert_closed("contact_lost", "Geen reactie na eerder contact",
                        "Afgesloten: geen contact")


def sdd_already_known(chain: Chain) -> None:
    """25: the SDD already knew the household."""
    _to_sdd(chain, "debt_mediation")
    chain.complete("hold_sdd_intake", {"sdd_intake_date": chain.today(),
                                       "sdd_trajectory": "none"})
    chain.complete("report_sdd_outcome", {"sdd_outcome": "already_known",
                                          "sdd_outcome_date": chain.today()})
    chain.close()
    chain.assert_closed("already_known_debt_assistance",
                        "Inwoner al bekend bij schuldhulpverlening",
                        "Afgesloten: hulp geaccepteerd")


ALL: dict[str, Scenario] = {
    "17_eviction_date_during_sdd_intake": eviction_date_during_sdd_intake,
    "18_paid_during_sdd_intake_sdd_continues": paid_during_sdd_intake_sdd_continues,
    "19_paid_after_sdd_help_sdd_stops": paid_after_sdd_help_sdd_stops,
    "20_moved_within_dordrecht": moved_within_dordrecht,
    "21_meldpunt_late_with_consent": meldpunt_late_with_consent,
    "22_meldpunt_not_accepted": meldpunt_not_accepted,
    "23_meldpunt_asked_twice": meldpunt_asked_twice,
    "24_deceased_at_closure": deceased_at_closure,
    "25_not_picked_up_other_reason": not_picked_up_other_reason,
    "26_sdd_client_withdrew": sdd_client_withdrew,
    "27_sdd_already_known": sdd_already_known,
}
