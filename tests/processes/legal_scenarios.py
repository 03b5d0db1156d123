"""The legal track's scenarios (processes/SCENARIOS.md, 15-19): a threat is never dropped.

A court summons, judgment or eviction date for a closed case reopens the household's file as a
new linked case; a tenant never reported can start a case with a legal event; the three working
days after a summons or an eviction date are timers whose escalation never holds the case; the
hearing has a reminder; the eviction can be postponed or cancelled, and the tenant can leave.
"""

from __future__ import annotations

from sqlalchemy import select

from engine.models import Case
from engine.views import MessageResult
from tests.processes import scenarios
from tests.processes.chain import Chain
from tests.processes.scenarios import Scenario, due


def follow_up(chain: Chain, result: MessageResult) -> Chain:
    """The case a legal event opened for ``chain``'s household, driven as its own chain."""
    assert result.status == "started", result
    assert result.case_number and result.case_number != chain.case_number
    follow = Chain(chain.ctx, chain.clock, result.case_number, chain._actors)
    follow.instance_id = result.instance_id
    follow.municipality, follow.corporation = chain.municipality, chain.corporation
    return follow


def case_row(chain: Chain) -> Case:
    with chain.ctx.sessionmaker() as session:
        case = session.scalars(select(Case).where(Case.case_number == chain.case_number)).one()
        session.expunge(case)
        return case


def summons_for_a_case_closed_as_no_contact(chain: Chain) -> None:
    """15: the summons reopens the file; three working days for the social team, escalated
    to the lead when they pass, and the escalation does not hold the case."""
    scenarios.no_contact_after_five_attempts(chain)
    closed = case_row(chain)
    assert closed.closed and closed.closed_at is not None
    chain.at("2026-05-11 08:00")  # Monday
    result = chain.send("court_summons", hearing_date="2026-06-09")
    follow = follow_up(chain, result)
    case = case_row(follow)
    assert (case.previous_case_id, case.opened_by) == (closed.id, "reopened:court_summons")
    assert case.repeat and case.hearing_date is not None
    assert case.external_id.endswith("/" + follow.case_number)
    # three working days: Ascension Day (Thu 14 May) and the Friday after it do not count
    term = due("2026-05-18T17:00")
    assert follow.open_ids() == ["act_on_court_summons", "record_first_contact_attempt"]
    assert follow.task("act_on_court_summons").role == "social_team"
    assert follow.due("act_on_court_summons") == term
    assert follow.due("record_first_contact_attempt") == term
    assert follow.at("2026-05-18 14:59") == 0
    assert follow.at("2026-05-18 15:01") == 1
    assert follow.open_ids() == ["act_on_court_summons", "escalate_court_summons",
                                 "escalate_first_contact_overdue",
                                 "record_first_contact_attempt"]
    assert follow.task("escalate_court_summons").role == "social_team_lead"
    # a message about the closed case now reaches the reopened one
    assert chain.send("arrears_resolved", paid_on="2026-05-19").status == "delivered"
    # the lead's summons escalation is still open: it does not hold the case
    assert follow.open_ids() == ["act_on_court_summons", "confirm_case_closure",
                                 "escalate_court_summons"]
    follow.close()
    data = follow.assert_closed("arrears_paid",
                                "Inwoner heeft zelf al betaald/betalingsregeling getroffen",
                                "Afgesloten: achterstand ingelopen")
    assert follow.task_states("escalate_court_summons") == ["cancelled"]
    # the help track started threatening: the SDD intake reads it (debt_assistance_referral)
    assert data["threatening"] is True and data["priority"] == "threat"
    assert data["previous_case_number"] == chain.case_number and data["reopened"] is True


def eviction_date_for_a_tenant_never_reported(chain: Chain) -> None:
    """16: a case that starts with an eviction date; postponed, then cancelled; the tenant
    hands in the keys."""
    chain.signal(arrears_months=4, legal_event={"kind": "eviction_date_set",
                                                "eviction_date": "2026-06-10"})
    term = due("2026-04-29T17:00")  # Fri 24, Tue 28 (Koningsdag skipped), Wed 29
    assert chain.open_ids() == ["act_on_eviction_date", "record_first_contact_attempt"]
    assert chain.due("act_on_eviction_date") == term
    assert chain.due("record_first_contact_attempt") == term
    assert chain.send("eviction_postponed",
                      eviction_date="2026-07-01").status == "delivered"
    assert chain.at("2026-04-29 14:59") == 0
    assert chain.at("2026-04-29 15:01") == 1
    assert chain.open_ids() == ["act_on_eviction_date", "escalate_eviction_date",
                                "escalate_first_contact_overdue",
                                "record_first_contact_attempt"]
    chain.complete("escalate_eviction_date", {"eviction_escalation_action": "home_visit_planned"})
    chain.complete("act_on_eviction_date", {"crisis_contact_date": "2026-04-29",
                                            "crisis_contact_made": True,
                                            "crisis_measures": "payment_arrangement"})
    assert chain.send("eviction_cancelled").status == "delivered"
    assert chain.send("tenant_left", how="keys_handed_in",
                      left_on="2026-04-30").status == "delivered"
    assert chain.open_ids() == ["confirm_case_closure"]
    chain.close()
    data = chain.assert_closed("moved", "Persoon is geen inwoner (meer) in de gemeente",
                               "Afgesloten: verhuisd")
    assert data["left_how"] == "keys_handed_in" and data["moved_on"] == "2026-04-30"


def hearing_reminder(chain: Chain) -> None:
    """17: a summons with a hearing date: crisis contact, then a reminder three working days
    before the hearing; the tenant leaves without notice."""
    chain.signal()
    chain.reach()
    assert chain.send("court_summons", hearing_date="2026-05-12").status == "delivered"
    assert chain.due("act_on_court_summons") == due("2026-04-29T17:00")
    chain.complete("act_on_court_summons", {"crisis_contact_date": chain.today(),
                                            "crisis_contact_made": True,
                                            "crisis_measures": "special_assistance"})
    # Tue 12 May: three working days before is Thu 7 May
    assert chain.instance().next_timer_due == due("2026-05-07T17:00")
    assert chain.at("2026-05-07 14:59") == 0
    assert "prepare_court_hearing" not in chain.open_ids()
    assert chain.at("2026-05-07 15:01") == 1
    assert chain.due("prepare_court_hearing") == due("2026-05-11T17:00")
    chain.complete("prepare_court_hearing", {"hearing_preparation": "tenant_attends"})
    assert chain.send("tenant_left", how="left_without_notice").status == "delivered"
    chain.close()
    data = chain.assert_closed("moved", "Persoon is geen inwoner (meer) in de gemeente",
                               "Afgesloten: verhuisd")
    assert data["left_how"] == "left_without_notice"


def judgment_for_a_closed_case(chain: Chain) -> None:
    """18: a judgment for a closed case: the reopened case asks the corporation's lead about
    a last-chance agreement and the social team for contact within three working days."""
    chain.signal(duplicate=True)
    chain.close()
    chain.at("2026-04-24 09:00")
    result = chain.send("judgment", judgment_date="2026-04-24",
                        outcome="rescission_and_eviction")
    follow = follow_up(chain, result)
    assert follow.open_ids() == ["consider_last_chance_agreement",
                                 "record_first_contact_attempt"]
    assert follow.due("record_first_contact_attempt") == due("2026-04-30T17:00")
    follow.complete("consider_last_chance_agreement", {"last_chance_offered": True,
                                                       "eviction_postponed": True})
    # a summons whose hearing date is not known yet: crisis contact, no reminder
    assert follow.send("court_summons").status == "delivered"
    follow.complete("act_on_court_summons", {"crisis_contact_date": follow.today(),
                                             "crisis_contact_made": False,
                                             "crisis_measures": "none"})
    assert "prepare_court_hearing" not in follow.open_ids()
    assert follow.instance().next_timer_due == due("2026-04-30T17:00")  # first contact only
    assert follow.send("arrears_resolved", paid_on="2026-04-24").status == "delivered"
    follow.close()
    follow.assert_closed("arrears_paid",
                         "Inwoner heeft zelf al betaald/betalingsregeling getroffen",
                         "Afgesloten: achterstand ingelopen")


def duplicate_with_higher_arrears(chain: Chain) -> None:
    """19: a repeated signal whose arrears grew is picked up, not closed as a repeat."""
    chain.signal(duplicate=True, arrears_increased=True)
    assert chain.open_ids() == ["record_first_contact_attempt"]
    assert chain.send("arrears_resolved", paid_on="2026-04-23").status == "delivered"
    chain.close()
    data = chain.assert_closed("arrears_paid",
                               "Inwoner heeft zelf al betaald/betalingsregeling getroffen",
                               "Afgesloten: achterstand ingelopen")
    assert data["picked_up"] is True and data["threatening"] is False


LEGAL: dict[str, Scenario] = {
    "28_summons_for_a_case_closed_as_no_contact": summons_for_a_case_closed_as_no_contact,
    "29_eviction_date_for_a_tenant_never_reported": eviction_date_for_a_tenant_never_reported,
    "30_hearing_reminder": hearing_reminder,
    "31_judgment_for_a_closed_case": judgment_for_a_closed_case,
    "32_duplicate_with_higher_arrears": duplicate_with_higher_arrears,
}
