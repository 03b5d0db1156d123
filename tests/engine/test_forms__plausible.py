"""Working a task (issue 9, items 4 and 5), in the engine: only the claim's holder completes;
dates are plausible (not after today for what happened, not before the signal), with the bound
named; every text field has a maximum; messages say what is expected and name the field by its
title; a form starts only from what it names (the advice), never from an earlier loop's answer;
the plan form shows the decision table's advice and its reason."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from engine import forms, tasks
from engine.errors import InvalidInput, InvalidTransition
from engine.lifecycle import CLAIMED_BY_OTHER, NOT_CLAIMED
from tests.factories import make_user
from tests.processes.chain import Chain, deploy_chain

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
ATTEMPT = {"attempt_type": "Telefoon", "day_part": "morning", "contact_made": False}


@pytest.fixture
def chain(ctx, clock) -> Chain:
    deploy_chain(ctx)
    chain = Chain(ctx, clock, "DR-2026-0009")
    chain.signal()
    return chain


def _form(name: str) -> dict:
    found = next(PROCESSES.glob(f"*/forms/{name}.json"))
    return json.loads(found.read_text(encoding="utf-8"))


def _refusal(chain: Chain, bpmn_id: str, data: dict) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        chain.complete(bpmn_id, data)
    return refused.value


# --- the claim -------------------------------------------------------------------------------

def test_an_unclaimed_task_cannot_be_completed(ctx, chain):
    task = chain.task("record_first_contact_attempt")
    anna = chain.actor("social_team")
    with ctx.sessionmaker.begin() as session, pytest.raises(InvalidTransition) as refused:
        tasks.complete_task(ctx, session, anna, task.id,
                            {**ATTEMPT, "attempt_date": chain.today()})
    assert refused.value.message == NOT_CLAIMED
    assert chain.open_ids() == ["record_first_contact_attempt"]


def test_a_task_the_lead_put_back_cannot_be_completed_by_its_former_holder(ctx, chain):
    task = chain.task("record_first_contact_attempt")
    anna = chain.actor("social_team")
    lead = chain.actor("social_team_lead")
    with ctx.sessionmaker.begin() as session:
        tasks.claim_task(ctx, session, anna, task.id)
    with ctx.sessionmaker.begin() as session:
        tasks.release_task(ctx, session, lead, task.id)
    with ctx.sessionmaker.begin() as session, pytest.raises(InvalidTransition) as refused:
        tasks.complete_task(ctx, session, anna, task.id,
                            {**ATTEMPT, "attempt_date": chain.today()})
    assert "teamleider" in refused.value.message


def test_someone_elses_claim_cannot_be_completed(ctx, chain):
    task = chain.task("record_first_contact_attempt")
    anna = chain.actor("social_team")
    bram = make_user(ctx, "bram", "social_team", "dordrecht")
    with ctx.sessionmaker.begin() as session:
        tasks.claim_task(ctx, session, anna, task.id)
    with ctx.sessionmaker.begin() as session, pytest.raises(InvalidTransition) as refused:
        tasks.complete_task(ctx, session, bram, task.id,
                            {**ATTEMPT, "attempt_date": chain.today()})
    assert refused.value.message == CLAIMED_BY_OTHER
    with ctx.sessionmaker.begin() as session, pytest.raises(InvalidTransition) as taken:
        tasks.claim_task(ctx, session, bram, task.id)
    assert "collega" in taken.value.message


def test_opening_a_task_claims_it_once(ctx, chain):
    task = chain.task("record_first_contact_attempt")
    anna = chain.actor("social_team")
    bram = make_user(ctx, "bram", "social_team", "dordrecht")
    with ctx.sessionmaker.begin() as session:
        assert tasks.claim_on_opening(ctx, session, anna, task.id) is True
    with ctx.sessionmaker.begin() as session:
        assert tasks.claim_on_opening(ctx, session, bram, task.id) is False
        assert tasks.get_task(ctx, session, bram, task.id).task.assignee_id == anna.user_id


# --- plausible dates ---------------------------------------------------------------------------

def test_a_contact_attempt_in_the_future_is_refused_naming_today(chain):
    chain.at("2026-04-24 10:00")
    refused = _refusal(chain, "record_first_contact_attempt",
                       {**ATTEMPT, "attempt_date": "2031-04-24"})
    assert refused.errors["attempt_date"].startswith("mag niet na vandaag liggen (24-04-2026)")
    assert refused.message.startswith("Datum contactpoging: mag niet na vandaag")


def test_a_date_before_the_signal_is_refused_naming_the_signal(chain):
    chain.at("2026-04-24 10:00")
    refused = _refusal(chain, "record_first_contact_attempt",
                       {**ATTEMPT, "attempt_date": "2020-04-24"})
    assert refused.errors["attempt_date"] == \
        "mag niet vóór de datum van het signaal liggen (23-04-2026)"


def test_an_sdd_intake_dated_2020_is_refused(chain):
    chain.reach()
    chain.talk(True, False)
    chain.zrm(finances=2)
    chain.plan()
    chain.complete("prepare_sdd_referral", {"sdd_service": "budget_advice",
                                            "referral_summary": "Budgetadvies",
                                            "consent_given": True})
    refused = _refusal(chain, "hold_sdd_intake", {"sdd_intake_date": "2020-05-01",
                                                  "sdd_trajectory": "budget_advice"})
    assert "vóór de datum van het signaal" in refused.errors["sdd_intake_date"]
    assert chain.complete("hold_sdd_intake", {"sdd_intake_date": chain.today(),
                                              "sdd_trajectory": "budget_advice"})


def test_the_bounds_are_checked_against_the_anchors_given():
    schema = {"properties": {"on": {"type": "string", "format": "date",
                                    "x-not-after": "today", "x-not-before": "signal"},
                             "from": {"type": "string", "format": "date",
                                      "x-not-before": "2026-01-01"}}}
    anchors = {"today": date(2026, 5, 1), "signal": date(2026, 4, 1)}
    assert forms.date_bounds(schema, {"on": "2026-05-01", "from": "2026-01-01"}, anchors) == {}
    assert set(forms.date_bounds(schema, {"on": "2026-05-02", "from": "2025-12-31"},
                                 anchors)) == {"on", "from"}
    # no signal known: that bound is not checked; text that is no date is the format's
    assert forms.date_bounds(schema, {"on": "2020-01-01"}, {"today": date(2026, 5, 1)}) == {}
    assert forms.date_bounds(schema, {"on": "gisteren"}, anchors) == {}


# --- every text field has a maximum; messages --------------------------------------------------

def test_every_shipped_text_field_states_a_maximum_and_every_date_a_bound():
    checked = 0
    for path in sorted(PROCESSES.glob("*/forms/*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        assert forms.free_text_without_maximum(schema) == [], path.name
        for name, spec in schema["properties"].items():
            assert spec.get("title"), f"{path.name}: {name} has no Dutch title"
            if spec.get("format") == "date":
                assert spec.get("x-not-before") == "signal", f"{path.name}: {name}"
                checked += 1
    assert checked >= 10


def test_ten_thousand_characters_are_refused_with_the_limit(chain):
    refused = _refusal(chain, "record_first_contact_attempt",
                       {**ATTEMPT, "attempt_date": chain.today(), "attempt_note": "x" * 10_000})
    assert refused.errors["attempt_note"] == "mag hoogstens 2000 tekens bevatten (nu 10000)"
    assert refused.message.startswith("Notitie: mag hoogstens 2000 tekens")


def test_messages_say_what_is_expected():
    schema = _form("review_payment_arrangement")
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    with pytest.raises(InvalidInput) as refused:
        forms.validate(validator, {"arrangement_accepted": True, "agreed_instalment": "veel",
                                   "arrangement_term_months": 90,
                                   "arrangement_start_date": "31-02-2026"})
    errors = refused.value.errors
    assert errors["agreed_instalment"] == "moet een getal of bedrag zijn, zoals 812,50"
    assert errors["arrangement_term_months"] == "mag hoogstens 36 zijn"
    assert errors["arrangement_start_date"] == "moet een bestaande datum zijn (dd-mm-jjjj)"
    assert errors["direct_debit"] == "is verplicht: maak een keuze"
    assert "Afgesproken maandbedrag (euro): moet een getal" in refused.value.message
    plan = Draft202012Validator(_form("agree_action_plan"))
    with pytest.raises(InvalidInput) as empty:
        forms.validate(plan, {"plan_summary": "", "route_choice": "follow_advice"})
    assert empty.value.errors == {"plan_summary": "is verplicht: vul dit veld in"}


# --- what a form starts from and shows -----------------------------------------------------------

def test_the_next_contact_attempt_starts_empty(ctx, chain):
    chain.attempt(False, "Telefoon", "evening")
    task = chain.task("record_contact_attempt")
    with ctx.sessionmaker() as session:
        detail = tasks.get_task(ctx, session, chain.actor("social_team"), task.id)
    assert detail.data == {}


def test_the_plan_shows_the_advice_and_the_referral_starts_from_it(ctx, chain):
    chain.reach()
    chain.talk(True, True)
    chain.zrm(finances=2)
    anna = chain.actor("social_team")
    with ctx.sessionmaker() as session:
        plan = tasks.get_task(ctx, session, anna, chain.task("agree_action_plan").id)
    shown = {fact["name"]: fact for fact in plan.facts}
    assert shown["advised_route"]["label"] == "Schuldbemiddeling SDD"
    assert shown["advice_reason"]["label"] == \
        "Financiën scoort 2 of lager en er zijn andere schulden"
    assert plan.data == {}
    chain.plan()
    with ctx.sessionmaker() as session:
        referral = tasks.get_task(ctx, session, anna, chain.task("prepare_sdd_referral").id)
    assert referral.data == {"sdd_service": "debt_mediation"}


def test_a_deviating_plan_prefills_the_chosen_service():
    schema = _form("prepare_sdd_referral")
    assert forms.prefill(schema, {"route": "budget_advice",
                                  "advised_route": "debt_mediation"}) == \
        {"sdd_service": "budget_advice"}
    # after a broken arrangement the route is "arrangement": the next step chosen counts
    assert forms.prefill(schema, {"route": "arrangement", "next_step": "debt_mediation"}) == \
        {"sdd_service": "debt_mediation"}
    assert forms.prefill(schema, {"route": "meldpunt", "sdd_service": "budget_advice"}) == {}
