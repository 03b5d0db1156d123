"""The scenarios of processes/SCENARIOS.md, driven through the real engine.

Each function drives one case from its signal to its closure and asserts what the process owner
expects along the way (deadlines, who sees which task, which tasks stay open) and at the end
(closure reason, national outcome code, what the corporation is told). The test modules call
them one by one; ``test_coverage`` walks them all and checks that together they take every
flow node and every sequence flow of processes/*.bpmn.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.processes.chain import Chain

Scenario = Callable[[Chain], None]


def due(text: str) -> datetime:
    """A deadline as the diagrams write it: ``2026-05-01T17:00`` local time in Amsterdam."""
    return datetime.fromisoformat(text + ":00").replace(tzinfo=ZoneInfo("Europe/Amsterdam"))


FIRST_CONTACT_DUE = due("2026-05-01T17:00")  # 5 working days: weekend and Koningsdag skipped


def reach_and_talk(chain: Chain, **signal: object) -> None:
    """Signal, first contact at once, the conversation five days later with help wanted."""
    chain.signal(**signal)
    chain.reach()
    assert chain.open_ids() == ["hold_kitchen_table_conversation"]
    chain.at("2026-04-28 09:00")
    chain.talk(True, False)


# --- 1-14 --------------------------------------------------------------------------------

def paid_before_contact(chain: Chain) -> None:
    chain.signal()
    assert chain.open_ids() == ["record_first_contact_attempt"]
    assert chain.due("record_first_contact_attempt") == FIRST_CONTACT_DUE
    chain.at("2026-04-24 10:00")
    assert chain.send("arrears_resolved", paid_on="2026-04-24").status == "delivered"
    assert chain.open_ids() == ["confirm_case_closure"]
    chain.close()
    data = chain.assert_closed("arrears_paid",
                               "Inwoner heeft zelf al betaald/betalingsregeling getroffen",
                               "Afgesloten: achterstand ingelopen")
    assert data["resolved_on"] == "2026-04-24"


def no_contact_after_five_attempts(chain: Chain) -> None:
    chain.signal()
    chain.attempt(False, "Brief", "morning", on="2026-04-23")
    assert chain.open_ids() == ["record_contact_attempt"]
    # each next attempt has its own term: 5 working days after the previous one (Koningsdag)
    assert chain.due("record_contact_attempt") == due("2026-05-01T17:00")
    assert chain.facts("record_contact_attempt")["no_contact_missing"] == \
        "Een huisbezoek of een kaartje door de deur"
    for moment, kind, part, next_due in (
            ("2026-04-28 09:00", "Telefoon", "morning", "2026-05-06T17:00"),  # 5 May skipped
            ("2026-04-30 09:00", "Telefoon", "evening", "2026-05-08T17:00"),
            ("2026-05-02 09:00", "Huisbezoek", "afternoon", "2026-05-11T17:00"),
            ("2026-05-04 09:00", "Kaartje", "afternoon", None)):
        assert chain.at(moment) == 0  # every attempt was in time: no escalation
        chain.attempt(False, kind, part, first=False)
        if next_due:
            assert chain.due("record_contact_attempt") == due(next_due)
        if kind == "Huisbezoek":
            assert "no_contact_missing" not in chain.facts("record_contact_attempt")
    assert chain.open_ids() == ["confirm_case_closure"]
    chain.close()
    data = chain.assert_closed("no_contact", "Definitief geen contact kunnen krijgen",
                               "Afgesloten: geen contact")
    attempts = data["contact_attempts"]
    assert [a["type"] for a in attempts] == ["Brief", "Telefoon", "Telefoon", "Huisbezoek",
                                            "Kaartje"]
    assert [a["number"] for a in attempts] == [1, 2, 3, 4, 5]
    assert data["outreach_result"] == "no_contact"


def visit_needed_before_no_contact(chain: Chain) -> None:
    """Five attempts by letter, phone, mail and text do not close the case: a home visit or a
    card through the door is still missing; a late next attempt is escalated to the lead."""
    chain.signal()
    chain.attempt(False, "Brief", "morning", on="2026-04-23")
    for moment, kind in (("2026-04-28 09:00", "Telefoon"), ("2026-04-30 09:00", "Telefoon"),
                         ("2026-05-04 09:00", "Mail"), ("2026-05-06 09:00", "SMS/Whatsapp")):
        assert chain.at(moment) == 0
        chain.attempt(False, kind, "morning", first=False)
    # the maximum is reached, yet "geen contact" is not possible: the form says what is missing
    assert chain.open_ids() == ["record_contact_attempt"]
    assert chain.facts("record_contact_attempt") == {
        "no_contact_missing": "Een huisbezoek of een kaartje door de deur",
        "attempt_count": "5"}
    assert chain.due("record_contact_attempt") == due("2026-05-13T17:00")
    assert chain.at("2026-05-13 14:59") == 0  # 17:00 CEST is 15:00 UTC
    assert chain.at("2026-05-13 15:01") == 1
    assert chain.open_ids() == ["escalate_next_attempt_overdue", "record_contact_attempt"]
    assert chain.task("escalate_next_attempt_overdue").role == "social_team_lead"
    assert "escalate_next_attempt_overdue" not in chain.queue("social_team")
    chain.complete("escalate_next_attempt_overdue", {"escalation_action": "caseworker_contacted"})
    chain.at("2026-05-15 18:00")
    chain.attempt(False, "Kaartje", "evening", first=False)
    assert chain.open_ids() == ["confirm_case_closure"]
    chain.close()
    data = chain.assert_closed("no_contact", "Definitief geen contact kunnen krijgen",
                               "Afgesloten: geen contact")
    assert [a["type"] for a in data["contact_attempts"]] == [
        "Brief", "Telefoon", "Telefoon", "Mail", "SMS/Whatsapp", "Kaartje"]
    assert chain.task_states("escalate_next_attempt_overdue") == ["completed"]


#: The corporation's silence that gives it a task to say whether a month was paid.
CONFIRMATION_WAIT = timedelta(days=35)


def _propose(chain: Chain, instalment: int, months: int) -> None:
    request = chain.task("request_payment_arrangement")
    assert request.role == "social_team"
    chain.complete("request_payment_arrangement", {
        "proposed_instalment": instalment, "proposed_term_months": months,
        "income_checked": True, "request_note": "Vast inkomen, geen andere schulden"})
    review = chain.task("review_payment_arrangement")
    assert (review.role, review.corporation) == ("corporation", "woonbron")
    assert review.due_at is not None  # 5 working days to answer
    assert "review_payment_arrangement" not in chain.queue("social_team")


def _accept(chain: Chain, instalment: int, months: int, direct_debit: bool) -> None:
    """The corporation accepts: the arrangement runs ``months`` confirmed months."""
    chain.complete("review_payment_arrangement", {
        "arrangement_accepted": True, "agreed_instalment": instalment,
        "arrangement_term_months": months, "arrangement_start_date": "2026-05-01",
        "direct_debit": direct_debit})
    assert chain.open_ids() == []
    view = chain.instance()
    assert view.status == "waiting"
    assert {"arrangement_broken", "arrangement_payment_received"} <= set(
        chain.waiting_messages())
    # silence is not compliance: 35 days without a message give the corporation a task
    assert view.next_timer_due == chain.clock.now() + CONFIRMATION_WAIT


def _arrangement(chain: Chain, finances: int, instalment: int, months: int,
                 direct_debit: bool) -> None:
    reach_and_talk(chain)
    chain.zrm(finances=finances)
    assert chain.open_ids() == ["agree_action_plan"]
    chain.plan()
    _propose(chain, instalment, months)
    _accept(chain, instalment, months, direct_debit)


def _paid(chain: Chain, moment: str) -> None:
    """The corporation confirms a month's instalment (``arrangement_payment_received``)."""
    assert chain.at(moment) == 0
    result = chain.send("arrangement_payment_received", received_on=moment[:10])
    assert result.status == "delivered", result


def arrangement_kept(chain: Chain) -> None:
    """Six agreed months, each confirmed: by message, by the corporation's task after a
    silent month, and by a message that arrives while that task is open."""
    _arrangement(chain, finances=3, instalment=100, months=6, direct_debit=True)
    _paid(chain, "2026-05-29 10:00")  # month 1
    _paid(chain, "2026-06-29 10:00")  # month 2
    # month 3: no message for 35 days → the corporation says whether it was paid
    assert chain.at("2026-08-03 09:59") == 0
    assert chain.at("2026-08-03 10:01") == 1
    confirm = chain.task("confirm_arrangement_month")
    assert (confirm.role, confirm.corporation) == ("corporation", "woonbron")
    chain.complete("confirm_arrangement_month", {"month_paid": True})
    assert chain.open_ids() == []
    _paid(chain, "2026-08-31 10:00")  # month 4
    # month 5: the task opens, then the corporation's message comes after all
    assert chain.at("2026-10-05 10:01") == 1
    assert chain.open_ids() == ["confirm_arrangement_month"]
    assert chain.send("arrangement_payment_received").status == "delivered"
    assert chain.task_states("confirm_arrangement_month") == ["completed", "cancelled"]
    assert chain.open_ids() == []  # five of six: not kept yet
    _paid(chain, "2026-10-30 10:00")  # month 6
    assert chain.open_ids() == ["confirm_case_closure"]
    chain.close()
    data = chain.assert_closed("arrangement_kept", "(Budget)advies en/of quick fix",
                               "Afgesloten: hulp geaccepteerd")
    assert data["advised_route"] == "arrangement" and data["route"] == "arrangement"
    assert data["months_confirmed"] == 6 and data["arrangement_result"] == "kept"
    assert data["arrangement_term_months"] == 6
    assert len(data["arrangement_confirmations"]) == 6


def arrangement_broken(chain: Chain) -> None:
    _arrangement(chain, finances=4, instalment=80, months=10, direct_debit=False)
    _paid(chain, "2026-05-29 12:00")  # month 1
    assert chain.at("2026-06-15 12:00") == 0
    assert chain.send("arrangement_broken", broken_on="2026-06-15").status == "delivered"
    follow_up = chain.task("follow_up_broken_arrangement")
    assert follow_up.role == "social_team"
    assert follow_up.due_at == due("2026-06-18T17:00")  # 3 working days
    chain.complete("follow_up_broken_arrangement", {"broken_contact_made": True,
                                                    "next_step": "budget_advice"})
    assert chain.open_ids() == ["prepare_sdd_referral"]
    chain.sdd("budget_advice", "advice_completed", True)
    chain.close()
    data = chain.assert_closed("budget_advice_completed", "(Budget)advies en/of quick fix",
                               "Afgesloten: hulp geaccepteerd")
    assert data["arrangement_result"] == "broken" and data["months_confirmed"] == 1
    assert data["route"] == "budget_advice" and data["arrangement_broken_on"] == "2026-06-15"


def arrangement_refused_and_renegotiated(chain: Chain) -> None:
    """Refused, renegotiated, accepted; a month unpaid, renegotiated again; broken while the
    corporation's confirmation task is open, and then referred to debt mediation."""
    reach_and_talk(chain)
    chain.zrm(finances=3)
    chain.plan()
    _propose(chain, 40, 24)
    chain.complete("review_payment_arrangement", {
        "arrangement_accepted": False, "refusal_reason": "Te laag: de huur loopt verder op"})
    handle = chain.task("handle_refused_arrangement")
    assert handle.role == "social_team"
    assert handle.due_at == due("2026-05-01T17:00")  # 3 working days
    chain.complete("handle_refused_arrangement", {"next_step": "renegotiate"})
    _propose(chain, 90, 12)  # a new proposal, the same task again
    assert chain.task_states("request_payment_arrangement") == ["completed", "completed"]
    _accept(chain, 90, 12, False)
    # month 1 silent; the corporation says it was not paid: broken
    assert chain.at("2026-06-02 09:01") == 1
    chain.complete("confirm_arrangement_month", {"month_paid": False,
                                                 "month_note": "Niets ontvangen"})
    follow_up = chain.task("follow_up_broken_arrangement")
    assert follow_up.due_at == due("2026-06-05T17:00")
    chain.complete("follow_up_broken_arrangement", {"broken_contact_made": True,
                                                    "next_step": "renegotiate"})
    _propose(chain, 60, 18)
    assert chain.due("review_payment_arrangement") == due("2026-06-09T17:00")  # Tue + 5 wd
    _accept(chain, 60, 18, True)
    # a silent month again, and while the corporation's task is open it reports the break
    assert chain.at("2026-07-07 09:02") == 1
    assert chain.open_ids() == ["confirm_arrangement_month"]
    assert chain.send("arrangement_broken", broken_on="2026-07-07").status == "delivered"
    assert chain.task_states("confirm_arrangement_month")[-1] == "cancelled"
    chain.complete("follow_up_broken_arrangement", {"broken_contact_made": False,
                                                    "next_step": "debt_mediation"})
    assert chain.open_ids() == ["prepare_sdd_referral"]
    chain.sdd("debt_mediation", "debt_mediation_started", True)
    chain.close()
    data = chain.assert_closed("handed_to_debt_assistance",
                               "Vervolghulp en/of verwijzing financieel",
                               "Afgesloten: hulp geaccepteerd")
    assert data["arrangement_result"] == "broken" and data["route"] == "debt_mediation"
    assert data["arrangement_broken_on"] == "2026-07-07" and data["months_confirmed"] == 0
    assert data["arrangement_term_months"] == 18


def arrangement_refused_and_referred(chain: Chain) -> None:
    """The corporation refuses; the social team refers to the SDD instead."""
    reach_and_talk(chain)
    chain.zrm(finances=3)
    chain.plan()
    _propose(chain, 25, 36)
    chain.complete("review_payment_arrangement", {
        "arrangement_accepted": False, "refusal_reason": "Looptijd te lang"})
    chain.complete("handle_refused_arrangement", {"next_step": "debt_mediation"})
    assert chain.open_ids() == ["prepare_sdd_referral"]
    chain.sdd("debt_mediation", "debt_mediation_started", False)
    chain.close()
    data = chain.assert_closed("handed_to_debt_assistance",
                               "Vervolghulp en/of verwijzing financieel",
                               "Afgesloten: hulp geaccepteerd")
    assert data["arrangement_result"] == "refused" and data["route"] == "debt_mediation"


def budget_advice(chain: Chain) -> None:
    chain.signal(warm_handover=True)
    assert chain.due("record_first_contact_attempt") == due("2026-04-29T17:00")
    chain.reach()
    chain.at("2026-04-28 09:00")
    chain.talk(True, False)
    chain.zrm(finances=2)
    chain.plan()
    chain.complete("prepare_sdd_referral", {"sdd_service": "budget_advice",
                                            "referral_summary": "Budgetadvies gewenst",
                                            "consent_given": False,
                                            "legal_ground": "wgs_public_task"})
    intake = chain.task("hold_sdd_intake")
    assert intake.role == "budget_advice" and intake.due_at == due("2026-05-26T17:00")
    assert chain.actor("budget_advice").organisation == "sdd"
    chain.complete("hold_sdd_intake", {"sdd_intake_date": chain.today(),
                                       "sdd_trajectory": "budget_advice"})
    chain.complete("report_sdd_outcome", {"sdd_outcome": "advice_completed",
                                          "sdd_outcome_date": chain.today()})
    chain.close()
    data = chain.assert_closed("budget_advice_completed", "(Budget)advies en/of quick fix",
                               "Afgesloten: hulp geaccepteerd")
    assert data["advised_route"] == "budget_advice" and data["priority"] == "warm_handover"


def debt_mediation(chain: Chain) -> None:
    reach_and_talk(chain)
    chain.zrm(finances=2)
    chain.plan("debt_mediation")
    chain.sdd("debt_mediation", "debt_mediation_started", True)
    chain.close()
    data = chain.assert_closed("handed_to_debt_assistance",
                               "Vervolghulp en/of verwijzing financieel",
                               "Afgesloten: hulp geaccepteerd")
    assert data["advised_route"] == "budget_advice"  # the advice, overridden
    assert data["route"] == "debt_mediation"


def meldpunt(chain: Chain) -> None:
    chain.signal(crisis=True)
    assert chain.due("record_first_contact_attempt") == due("2026-04-24T17:00")
    chain.reach()
    chain.at("2026-04-28 09:00")
    chain.talk(True, False)
    chain.zrm(finances=2, mental_health=2, social_network=2)
    chain.plan()
    chain.complete("prepare_care_referral", {
        "care_referral_summary": "Meervoudige problematiek", "care_consent_given": False,
        "care_legal_ground": "care_avoider", "care_urgency": "urgent"})
    report = chain.task("report_care_referral_outcome")
    # 5 working days; 5 May is a holiday every year (Algemene termijnenwet art. 3)
    assert report.role == "care_referral" and report.due_at == due("2026-05-06T17:00")
    assert chain.actor("care_referral").organisation == "veilig-thuis"
    chain.complete("report_care_referral_outcome", {"care_outcome": "guided_into_care",
                                                    "care_outcome_date": chain.today()})
    chain.close()
    # referred without the tenant's consent (bemoeizorg): the national "zonder contact"
    data = chain.assert_closed("referred_without_contact", "Verwijzing zonder contact",
                               "Afgesloten")
    assert data["advised_route"] == "meldpunt" and data["multi_problem"] is True
    assert data["domains_at_or_below_2"] == 3 and data["priority"] == "crisis"


def court_summons_during_outreach(chain: Chain) -> None:
    chain.signal()
    chain.at("2026-04-24 10:00")
    assert chain.send("court_summons", hearing_date="2026-05-12").status == "delivered"
    # one message, two catch events: the legal track and the outreach deadline
    assert chain.open_ids() == ["act_on_court_summons", "record_first_contact_attempt"]
    threat = due("2026-04-30T17:00")  # 3 working days, Koningsdag skipped (was 05-01)
    assert chain.due("act_on_court_summons") == threat
    assert chain.due("record_first_contact_attempt") == threat
    assert chain.instance().next_timer_due == threat
    assert chain.at("2026-04-30 14:59") == 0  # 17:00 CEST is 15:00 UTC
    assert "escalate_first_contact_overdue" not in chain.open_ids()
    assert chain.at("2026-04-30 15:01") == 1
    escalation = chain.task("escalate_first_contact_overdue", role="social_team_lead")
    assert escalation.role == "social_team_lead"
    # the summons' own three working days escalate too, beside the task (not instead of it)
    assert chain.task("escalate_court_summons").role == "social_team_lead"
    assert chain.open_ids() == ["act_on_court_summons", "escalate_court_summons",
                                "escalate_first_contact_overdue", "record_first_contact_attempt"]
    chain.complete("escalate_first_contact_overdue", {"escalation_action": "caseworker_contacted"})
    chain.complete("escalate_court_summons", {"eviction_escalation_action": "home_visit_planned"})
    chain.complete("act_on_court_summons", {"crisis_contact_date": "2026-04-30",
                                            "crisis_contact_made": False,
                                            "crisis_measures": "none"})
    # a reminder before the hearing (Tue 12 May: three working days before is Thu 7 May)
    assert chain.instance().next_timer_due == due("2026-05-07T17:00")
    chain.reach()
    assert chain.open_ids() == ["hold_kitchen_table_conversation"]
    assert chain.send("arrears_resolved", paid_on="2026-05-04").status == "delivered"
    chain.close()
    chain.assert_closed("arrears_paid",
                        "Inwoner heeft zelf al betaald/betalingsregeling getroffen",
                        "Afgesloten: achterstand ingelopen")


def eviction_executed(chain: Chain) -> None:
    chain.signal()
    assert chain.send("court_summons", hearing_date="2026-05-12").status == "delivered"
    assert chain.due("act_on_court_summons") == due("2026-04-29T17:00")
    assert chain.at("2026-05-12 12:00") == 1  # the shortened first-contact deadline passed
    assert "escalate_first_contact_overdue" in chain.open_ids()
    assert chain.send("judgment", judgment_date="2026-05-12",
                      outcome="rescission_and_eviction").status == "delivered"
    last_chance = chain.task("consider_last_chance_agreement")
    assert (last_chance.role, last_chance.corporation) == ("corporation_lead", "woonbron")
    chain.complete("consider_last_chance_agreement", {"last_chance_offered": False,
                                                      "eviction_postponed": False})
    assert chain.send("eviction_date_set", eviction_date="2026-06-03").status == "delivered"
    contact = chain.task("act_on_eviction_date")
    assert contact.role == "social_team"
    # Hemelvaartsdag 05-14 and the Friday after it (equated by royal decree) are skipped
    assert contact.due_at == due("2026-05-19T17:00")
    assert chain.at("2026-05-19 14:59") == 0
    assert "escalate_eviction_date" not in chain.open_ids()
    assert chain.at("2026-05-19 15:01") == 1
    assert chain.task("escalate_eviction_date").role == "social_team_lead"
    chain.complete("escalate_eviction_date", {"eviction_escalation_action": "home_visit_planned"})
    chain.complete("act_on_eviction_date", {"crisis_contact_date": "2026-05-19",
                                            "crisis_contact_made": True,
                                            "crisis_measures": "last_chance"})
    chain.at("2026-06-03 09:00")
    assert chain.send("eviction_executed", executed_on="2026-06-03").status == "delivered"
    # the help track is gone with its tasks; the legal-track tasks outlive it until closure,
    # and the lead's summons escalation never held the case
    assert chain.open_ids() == ["act_on_court_summons", "confirm_case_closure",
                                "escalate_court_summons"]
    assert chain.task_states("escalate_first_contact_overdue") == ["cancelled"]
    chain.close()
    # an eviction closes with a national result too: the household lost the address
    data = chain.assert_closed("evicted", "Persoon is geen inwoner (meer) in de gemeente",
                               "Afgesloten: verhuisd")
    assert data["evicted_on"] == "2026-06-03"
    assert chain.task_states("act_on_court_summons") == ["cancelled"]


def help_declined(chain: Chain) -> None:
    chain.signal()
    chain.reach()
    chain.at("2026-04-28 09:00")
    chain.talk(False, False)
    assert chain.open_ids() == ["confirm_case_closure"]
    chain.close()
    data = chain.assert_closed("help_declined", "Inwoner hoeft geen hulp vanuit vroegsignalering",
                               "Afgesloten: geen hulp gewenst")
    assert data["route"] == "declined"


def tenant_moved(chain: Chain) -> None:
    chain.signal()
    chain.reach()
    assert chain.open_ids() == ["hold_kitchen_table_conversation"]
    assert chain.send("tenant_moved", moved_on="2026-04-30").status == "delivered"
    assert chain.task_states("hold_kitchen_table_conversation") == ["cancelled"]
    chain.close()
    data = chain.assert_closed("moved", "Persoon is geen inwoner (meer) in de gemeente",
                               "Afgesloten: verhuisd")
    assert data["moved_on"] == "2026-04-30"


def duplicate_signal(chain: Chain) -> None:
    chain.signal(duplicate=True)
    assert chain.open_ids() == ["confirm_case_closure"]
    assert chain.instance().next_timer_due is None
    chain.close()
    data = chain.assert_closed("not_picked_up_duplicate", "Niet opgepakt: herhaalde melding",
                               "Niet opgepakt: herhaalde melding")
    assert data["picked_up"] is False


def below_threshold(chain: Chain) -> None:
    chain.signal(arrears_amount=60.0)
    assert chain.open_ids() == ["confirm_case_closure"]
    chain.close()
    data = chain.assert_closed("not_picked_up_below_threshold",
                               "Niet opgepakt: onterecht signaal", "Niet opgepakt")
    assert data["picked_up"] is False


def deadlines_missed_and_escalated(chain: Chain) -> None:
    chain.signal()
    assert chain.at("2026-05-01 14:59") == 0  # 17:00 CEST is 15:00 UTC
    assert chain.open_ids() == ["record_first_contact_attempt"]
    assert chain.at("2026-05-01 15:01") == 1
    chain.task("escalate_first_contact_overdue", role="social_team_lead")
    assert chain.open_ids() == ["escalate_first_contact_overdue", "record_first_contact_attempt"]
    # the caseworker's queue does not show the lead's escalation
    assert chain.queue("social_team") == ["record_first_contact_attempt"]
    chain.complete("escalate_first_contact_overdue", {"escalation_action": "reassigned"})
    chain.at("2026-05-04 09:00")
    chain.reach(on="2026-05-04")
    assert chain.due("hold_kitchen_table_conversation") == due("2026-06-01T17:00")
    assert chain.at("2026-06-01 14:59") == 0  # 17:00 CEST is 15:00 UTC
    assert chain.at("2026-06-01 15:01") == 1
    assert chain.open_ids() == ["escalate_conversation_overdue",
                                "hold_kitchen_table_conversation"]
    chain.talk(True, True)
    chain.zrm(finances=1)
    chain.complete("escalate_conversation_overdue", {"escalation_action": "delay_accepted",
                                                     "escalation_note": "Ziekte"})
    chain.plan()
    chain.complete("prepare_sdd_referral", {"sdd_service": "debt_mediation",
                                            "referral_summary": "Schuldbemiddeling",
                                            "consent_given": True})
    assert chain.due("hold_sdd_intake") == due("2026-06-29T17:00")
    assert chain.at("2026-06-29 14:59") == 0  # 17:00 CEST is 15:00 UTC
    assert chain.at("2026-06-29 15:01") == 1
    assert chain.open_ids() == ["escalate_sdd_intake_overdue", "hold_sdd_intake"]
    # the SDD's late task reaches the SDD's lead, not the social team's
    assert chain.task("escalate_sdd_intake_overdue").role == "budget_advice_lead"
    assert chain.queue("social_team_lead") == []
    assert chain.queue("budget_advice_lead") == ["escalate_sdd_intake_overdue",
                                                 "hold_sdd_intake"]
    # dated the day they happen: a date after today is refused (issue 9)
    chain.complete("hold_sdd_intake", {"sdd_intake_date": "2026-06-29",
                                       "sdd_trajectory": "stabilisation"})
    chain.complete("report_sdd_outcome", {"sdd_outcome": "debt_mediation_started",
                                          "sdd_outcome_date": "2026-06-29"})
    # the escalation does not hold the case: the referral's end cancels it
    assert chain.open_ids() == ["confirm_case_closure"]
    assert chain.task_states("escalate_sdd_intake_overdue") == ["cancelled"]
    chain.close()
    data = chain.assert_closed("handed_to_debt_assistance",
                               "Vervolghulp en/of verwijzing financieel",
                               "Afgesloten: hulp geaccepteerd")
    assert data["route"] == "debt_mediation" and data["advised_route"] == "debt_mediation"
    assert len(chain.events("timer_fired")) == 3


def no_contact_within_six_weeks(chain: Chain) -> None:
    """Six weeks pass without a home visit or card: the case stays open; the next attempt is a
    home visit, and the passed limit ends the outreach at once. The lead's escalation, still
    open, lapses with the outreach (a terminate end): it never holds the case."""
    chain.signal()
    chain.attempt(False, "Telefoon", "morning", on="2026-04-23")
    assert chain.at("2026-05-01 15:01") == 1  # the next attempt is late
    assert chain.open_ids() == ["escalate_next_attempt_overdue", "record_contact_attempt"]
    assert chain.at("2026-06-04 14:59") == 0  # 17:00 CEST is 15:00 UTC
    assert chain.at("2026-06-04 15:01") == 1  # six weeks: no home visit or card yet
    assert chain.open_ids() == ["escalate_next_attempt_overdue", "record_contact_attempt"]
    chain.at("2026-06-05 18:00")
    chain.attempt(False, "Huisbezoek", "evening", first=False)
    # the six-week limit has passed: with the visit recorded, the outreach ends at once
    assert chain.open_ids() == ["confirm_case_closure"]
    assert chain.task_states("record_contact_attempt") == ["completed"]
    assert chain.task_states("escalate_next_attempt_overdue") == ["cancelled"]
    chain.close()
    data = chain.assert_closed("no_contact", "Definitief geen contact kunnen krijgen",
                               "Afgesloten: geen contact")
    assert data["outreach_result"] == "no_contact"
    assert [a["type"] for a in data["contact_attempts"]] == ["Telefoon", "Huisbezoek"]


def contact_lost_before_the_conversation(chain: Chain) -> None:
    """Reached once, then silent: the four-week escalation fires and stays open; recording
    "contact verbroken" ends the assessment (and with it the escalation) and the case."""
    chain.signal()
    chain.reach()
    assert chain.due("hold_kitchen_table_conversation") == due("2026-05-21T17:00")  # 4 weeks
    assert chain.at("2026-05-21 14:59") == 0
    assert chain.at("2026-05-21 15:01") == 1
    assert chain.open_ids() == ["escalate_conversation_overdue",
                                "hold_kitchen_table_conversation"]
    chain.at("2026-05-22 09:00")
    chain.complete("hold_kitchen_table_conversation", {"conversation_date": chain.today(),
                                                       "contact_lost": True})
    assert chain.open_ids() == ["confirm_case_closure"]
    assert chain.task_states("escalate_conversation_overdue") == ["cancelled"]
    chain.close()
    data = chain.assert_closed("contact_lost", "Geen reactie na eerder contact",
                               "Afgesloten: geen contact")
    assert data["route"] == "contact_lost" and data["contact_lost_on"] == "2026-05-22"


def contact_lost_at_the_plan(chain: Chain) -> None:
    reach_and_talk(chain)
    chain.zrm(finances=2)
    chain.complete("agree_action_plan", {"plan_summary": "Afspraak niet nagekomen",
                                         "route_choice": "contact_lost",
                                         "route_choice_reason": "Reageert niet meer"})
    assert chain.open_ids() == ["confirm_case_closure"]
    chain.close()
    data = chain.assert_closed("contact_lost", "Geen reactie na eerder contact",
                               "Afgesloten: geen contact")
    assert data["route"] == "contact_lost" and data["advised_route"] == "budget_advice"


#: Every scenario, in the order of processes/SCENARIOS.md (12b: below the threshold).
ALL: dict[str, Scenario] = {
    "01_paid_before_contact": paid_before_contact,
    "02_no_contact_after_five_attempts": no_contact_after_five_attempts,
    "02b_visit_needed_before_no_contact": visit_needed_before_no_contact,
    "03_arrangement_kept": arrangement_kept,
    "04_arrangement_broken": arrangement_broken,
    "04b_arrangement_refused_and_renegotiated": arrangement_refused_and_renegotiated,
    "05_budget_advice": budget_advice,
    "06_debt_mediation": debt_mediation,
    "07_meldpunt": meldpunt,
    "08_court_summons_during_outreach": court_summons_during_outreach,
    "09_eviction_executed": eviction_executed,
    "10_help_declined": help_declined,
    "11_tenant_moved": tenant_moved,
    "12_duplicate_signal": duplicate_signal,
    "12b_below_threshold": below_threshold,
    "13_deadlines_missed_and_escalated": deadlines_missed_and_escalated,
    "14_no_contact_within_six_weeks": no_contact_within_six_weeks,
    "15_contact_lost_before_the_conversation": contact_lost_before_the_conversation,
    "16_contact_lost_at_the_plan": contact_lost_at_the_plan,
}

# the scenarios of issue 10 (results, desk deadlines, interruptions), 15 onwards
from tests.processes import scenarios_outcomes  # noqa: E402  (it uses the helpers above)

ALL.update(scenarios_outcomes.ALL)
