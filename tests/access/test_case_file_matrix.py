"""The access matrix covers the case file: each role × organisation reads exactly its cells of
domain.md §6 on the case page and through ``GET /api/v1/cases/{n}``, and nothing else.

The expectations are written out below from domain.md §6, not read from the code's policy
(``engine.chain.policy``): a change of the policy that is not a change of §6 fails here.

Four cases of one corporation (Woonbron) in one municipality (Dordrecht): referred to the SDD
and to the Meldpunt, each once with the desk's part still running and once closed (the desk's
access to the household has then ended: its own package and what it recorded itself remain).
Every text a record holds carries a marker, so the page shows whether that record reached the
reader, and the API shows exactly which fields did.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine.models import Case, CaseRecord
from tests.factories import PASSWORD, make_user
from tests.processes.chain import ZRM_DOMAINS, Chain, deploy_chain
from tests.webclient import bearer, login

# --- domain.md §6, written out ------------------------------------------------------------
#
# How the chain's records map onto §6's data categories:
#   contact attempts                          -> "Contact attempts detail"
#   conversation, ZRM scores, plan            -> "ZRM scores & assessment notes"
#   SDD referral, SDD intake, SDD outcome     -> "Financial details (income, debts)"
#   Meldpunt referral                         -> "Referral to Meldpunt: content"
#   Meldpunt outcome                          -> "Meldpunt outcome"
#   closure                                   -> "Closure reason (national code)"
#
# Cells: R / R/W / W (own records) read the whole record; "W (send)" sends and does not read
# back; S is the status only; the corporation's "generic only (§1.4)" is the generic outcome;
# "summary with consent" / "summary in referral" travel only in the referral package; A
# (aggregate), log and – show nothing of one case.

ALL = "all"
#: Status of the Meldpunt's outcome (S): what it came to and when.
CARE_STATUS = frozenset({"care_outcome", "care_outcome_date"})
#: Status of the closure (S): that and when the case closed.
CLOSURE_STATUS = frozenset({"closure_date"})
#: The corporation's generic outcome (§1.4): when, and the generic feedback text.
CLOSURE_GENERIC = frozenset({"closure_date", "corporation_feedback"})

#: Role -> record category -> ALL or the fields it reads (a category not listed: nothing).
FILE: dict[str, dict[str, Any]] = {
    # ST: contact R/W, assessment R/W, financial R, Meldpunt referral "W (send)",
    # Meldpunt outcome S, closure R/W
    "social_team": {"contact": ALL, "conversation": ALL, "assessment": ALL, "plan": ALL,
                    "referral_sdd": ALL, "sdd_intake": ALL, "sdd_outcome": ALL,
                    "care_outcome": CARE_STATUS, "closure": ALL},
    # ST-C: as ST, and the Meldpunt referral R
    "social_team_lead": {"contact": ALL, "conversation": ALL, "assessment": ALL, "plan": ALL,
                         "referral_sdd": ALL, "sdd_intake": ALL, "sdd_outcome": ALL,
                         "referral_care": ALL, "care_outcome": CARE_STATUS, "closure": ALL},
    # SDD: contact –, assessment "summary with consent", financial R/W, Meldpunt –, closure S
    "budget_advice": {"referral_sdd": ALL, "sdd_intake": ALL, "sdd_outcome": ALL,
                      "closure": CLOSURE_STATUS},
    # MZO: contact –, assessment "summary in referral", financial –, Meldpunt referral R/W,
    # Meldpunt outcome W (its own record), closure S
    "care_referral": {"referral_care": ALL, "care_outcome": ALL, "closure": CLOSURE_STATUS},
    # The desks' leads (SDD-L, MZO-L; issue 10): domain.md §6 has no column for them. They
    # lead their desk, so they are expected to read exactly what their desk reads.
    "budget_advice_lead": {"referral_sdd": ALL, "sdd_intake": ALL, "sdd_outcome": ALL,
                           "closure": CLOSURE_STATUS},
    "care_referral_lead": {"referral_care": ALL, "care_outcome": ALL,
                           "closure": CLOSURE_STATUS},
    # CORP, CORP-L: everything of the assessment and the referrals –, closure generic
    "corporation": {"closure": CLOSURE_GENERIC},
    "corporation_lead": {"closure": CLOSURE_GENERIC},
    # The application administrator reads everything (this deployment's break-glass account;
    # domain.md's ADM "technical; no content" is not what the admin role is here).
    "admin": {c: ALL for c in ("contact", "conversation", "assessment", "plan", "referral_sdd",
                               "sdd_intake", "sdd_outcome", "referral_care", "care_outcome",
                               "closure")},
}
#: After a desk's part and the case are closed: its own package and its own records only.
ENDED: dict[str, dict[str, Any]] = {
    "budget_advice": {"referral_sdd": ALL, "sdd_intake": ALL, "sdd_outcome": ALL},
    "care_referral": {"referral_care": ALL, "care_outcome": ALL},
    # the desks' leads: as their desk (no column in §6)
    "budget_advice_lead": {"referral_sdd": ALL, "sdd_intake": ALL, "sdd_outcome": ALL},
    "care_referral_lead": {"referral_care": ALL, "care_outcome": ALL},
}

# The case's own data, by §6 category (the fields of the case detail).
IDENTITY = frozenset({"tenant_name", "street", "house_number", "postcode", "city", "phone",
                      "email", "date_of_birth"})
ARREARS = frozenset({"arrears_amount", "arrears_months", "arrears_since", "monthly_rent"})
LEGAL = frozenset({"hearing_date", "eviction_date"})
#: Outreach status as the corporation reported it and sees it back ("S own"): its own report,
#: whether it repeats a case of the household closed in the last twelve months, and what
#: opened the case (a reopening, a legal event, grown arrears: all the corporation's own news).
REPORTED = frozenset({"external_id", "crisis", "warm_handover", "repeat", "opened_by"})
#: Outreach status in full (R/W): the social team's own handling of the case, including that
#: the household's earlier case already went to the SDD (a referral: not the corporation's).
OUTREACH = frozenset({"duplicate", "known_sdd_trajectory", "referred_to_sdd",
                      "referred_to_care", "holder_id", "holder_name"})
#: Closure reason (national code), R/W: the national result (DDAS ``EnumEindresultaat``) and
#: the generic outcome it gives.
CLOSURE = frozenset({"outcome", "national_result"})
#: Closure "generic only (see §1.4)" / "generic": the generic outcome, never the national code.
GENERIC_OUTCOME = frozenset({"outcome"})
#: Role -> the case fields it reads (identity R, arrears R, legal R or S, outreach, closure).
HEADER: dict[str, frozenset[str]] = {
    "social_team": IDENTITY | ARREARS | LEGAL | REPORTED | OUTREACH | CLOSURE,
    "social_team_lead": IDENTITY | ARREARS | LEGAL | REPORTED | OUTREACH | CLOSURE,
    "admin": IDENTITY | ARREARS | LEGAL | REPORTED | OUTREACH | CLOSURE,
    # R/W own, R own on identity, arrears, legal; outreach "S own"; closure generic
    "corporation": IDENTITY | ARREARS | LEGAL | REPORTED | GENERIC_OUTCOME,
    "corporation_lead": IDENTITY | ARREARS | LEGAL | REPORTED | GENERIC_OUTCOME,
    # identity R (referred), arrears R, legal R; outreach S and closure S name no field of the
    # case (that and when it closed is the closure record's status, ``CLOSURE_STATUS``)
    "budget_advice": IDENTITY | ARREARS | LEGAL,
    # identity R (referred), arrears –, legal S; outreach S and closure S as for the SDD
    "care_referral": IDENTITY | LEGAL,
    # the desks' leads: as their desk (no column in §6)
    "budget_advice_lead": IDENTITY | ARREARS | LEGAL,
    "care_referral_lead": IDENTITY | LEGAL,
}
#: Shown to everyone who sees the case at all (what the case is, its milestone).
ALWAYS = frozenset({"case_number", "view", "municipality", "corporation", "milestone",
                    "closed", "created_at", "synthetic", "timeline", "open_tasks", "file",
                    # the household's earlier cases (none in this world: an empty list) and
                    # the payment arrangement (none here: null); their cells are tested in
                    # tests/api/test_legal_events.py and tests/api/test_arrangement_review.py
                    "history", "arrangement"})

#: The cases, and who may see each at all (row scope by organisation and municipality;
#: SDD and Meldpunt only what was referred to them).
CASES = ("sdd_open", "sdd_closed", "care_open", "care_closed")
REFERRED_TO = {"sdd_open": "budget_advice", "sdd_closed": "budget_advice",
               "care_open": "care_referral", "care_closed": "care_referral"}
#: The desk each desk role works at (a lead at its own desk).
DESK = {"budget_advice": "budget_advice", "budget_advice_lead": "budget_advice",
        "care_referral": "care_referral", "care_referral_lead": "care_referral"}

#: Who reads: username -> (role, organisation, "person" or "token").
READERS: dict[str, tuple[str, str, str]] = {
    "corporation-woonbron": ("corporation", "woonbron", "person"),
    "corporation_lead-woonbron": ("corporation_lead", "woonbron", "person"),
    "corporation-trivire": ("corporation", "trivire", "person"),
    "social_team-dordrecht": ("social_team", "dordrecht", "person"),
    "social_team_lead-dordrecht": ("social_team_lead", "dordrecht", "person"),
    "social_team-sliedrecht": ("social_team", "sliedrecht", "person"),
    "social_team_lead-zwijndrecht": ("social_team_lead", "zwijndrecht", "person"),
    "budget_advice-sdd": ("budget_advice", "sdd", "person"),
    "care_referral-veilig-thuis": ("care_referral", "veilig-thuis", "person"),
    "budget_advice_lead-sdd": ("budget_advice_lead", "sdd", "person"),
    "care_referral_lead-veilig-thuis": ("care_referral_lead", "veilig-thuis", "person"),
    "process_owner-regio": ("process_owner", "regio", "person"),
    "manager-regio": ("manager", "regio", "person"),
    "privacy_officer-regio": ("privacy_officer", "regio", "person"),
    "admin-regio": ("admin", "regio", "person"),
    "token:woonbron": ("corporation", "woonbron", "token"),
    "token:trivire": ("corporation", "trivire", "token"),
    "token:dordrecht": ("machine", "dordrecht", "token"),
    "token:sdd": ("machine", "sdd", "token"),
}


def expected(username: str, label: str) -> tuple[frozenset[str], dict[str, Any]] | None:
    """What ``username`` reads of case ``label``: (case fields, file), or None for 404."""
    role, org, _kind = READERS[username]
    if role in ("corporation", "corporation_lead") and org == "woonbron":
        return HEADER[role], FILE[role]
    if role in ("social_team", "social_team_lead") and org == "dordrecht":
        return HEADER[role], FILE[role]
    if role == "admin":
        return HEADER[role], FILE[role]
    if role in DESK and REFERRED_TO[label] == DESK[role]:
        if label.endswith("_closed"):
            return frozenset(), ENDED[role]
        return HEADER[role], FILE[role]
    return None


# --- the cases --------------------------------------------------------------------------

#: A marker in every text a record holds: record category -> marker.
MARKS = {"contact": "MERK-CONTACTPOGING", "conversation": "MERK-GESPREK",
         "assessment": "MERK-ZRM", "plan": "MERK-PLAN", "referral_sdd": "MERK-SDD-VERWIJZING",
         "sdd_outcome": "MERK-SDD-UITKOMST", "referral_care": "MERK-MELDPUNT-VERWIJZING",
         "care_outcome": "MERK-MELDPUNT-UITKOMST", "closure": "MERK-AFSLUITING"}
#: The field each marker is written in.
MARKED_FIELD = {"contact": "attempt_note", "conversation": "conversation_note",
                "assessment": "zrm_finances_note", "plan": "plan_summary",
                "referral_sdd": "referral_summary", "sdd_outcome": "sdd_contact_team",
                "referral_care": "care_referral_summary", "care_outcome": "care_contact_team",
                "closure": "closure_note"}


def _assess(chain: Chain, **low: int) -> None:
    chain.complete("record_first_contact_attempt", {
        "attempt_date": chain.today(), "attempt_type": "Huisbezoek", "day_part": "afternoon",
        "contact_made": True, "attempt_note": MARKS["contact"]})
    chain.at("2026-04-28 09:00")
    chain.complete("hold_kitchen_table_conversation", {
        "conversation_date": chain.today(), "help_wanted": True, "consent_data_sharing": True,
        "other_debts": False, "conversation_note": MARKS["conversation"]})
    scores: dict[str, Any] = {"zrm_date": chain.today()}
    for domain in ZRM_DOMAINS:
        scores[f"zrm_{domain}"] = low.get(domain, 4)
        scores[f"zrm_{domain}_note"] = MARKS["assessment"]
    chain.complete("score_zrm", scores)
    chain.complete("agree_action_plan", {"plan_summary": MARKS["plan"],
                                         "route_choice": "follow_advice"})


def _sdd_case(chain: Chain, closed: bool) -> None:
    chain.signal(received_on=chain.today())
    _assess(chain, finances=2)
    chain.complete("prepare_sdd_referral", {
        "sdd_service": "budget_advice", "referral_summary": MARKS["referral_sdd"],
        "consent_given": False, "legal_ground": "wgs_public_task"})
    chain.complete("hold_sdd_intake", {"sdd_intake_date": chain.today(),
                                       "sdd_trajectory": "budget_advice"})
    if closed:
        chain.complete("report_sdd_outcome", {
            "sdd_outcome": "advice_completed", "sdd_outcome_date": chain.today(),
            "sdd_contact_team": MARKS["sdd_outcome"]})
        chain.complete("confirm_case_closure", {"closure_date": chain.today(),
                                                "closure_note": MARKS["closure"]})


def _care_case(chain: Chain, closed: bool) -> None:
    chain.signal(crisis=True, received_on=chain.today())
    _assess(chain, finances=2, mental_health=2, social_network=2)
    chain.complete("prepare_care_referral", {
        "care_referral_summary": MARKS["referral_care"], "care_consent_given": False,
        "care_legal_ground": "care_avoider", "care_urgency": "urgent"})
    if closed:
        chain.complete("report_care_referral_outcome", {
            "care_outcome": "guided_into_care", "care_outcome_date": chain.today(),
            "care_contact_team": MARKS["care_outcome"]})
        chain.complete("confirm_case_closure", {"closure_date": chain.today(),
                                                "closure_note": MARKS["closure"]})


@pytest.fixture
def world(ctx, clock, app):
    deploy_chain(ctx)
    actors: dict[Any, Any] = {}
    numbers = {}
    for index, label in enumerate(CASES, start=1):
        chain = Chain(ctx, clock, f"DR-2026-00000{index}", actors)
        (_sdd_case if label.startswith("sdd") else _care_case)(chain, label.endswith("closed"))
        numbers[label] = chain.case_number
    known = {f"{role}-{org}" for role, org in actors}
    for username, (role, org, kind) in READERS.items():
        if kind == "person" and username not in known:
            make_user(ctx, username, role, org)
    return numbers


def _recorded(ctx, number: str) -> dict[str, set[str]]:
    """What was recorded on the case (the database's rows, not any reader's view): record
    category (by task) -> the names of the values kept."""
    category = {"record_first_contact_attempt": "contact",
                "hold_kitchen_table_conversation": "conversation", "score_zrm": "assessment",
                "agree_action_plan": "plan", "prepare_sdd_referral": "referral_sdd",
                "hold_sdd_intake": "sdd_intake", "report_sdd_outcome": "sdd_outcome",
                "prepare_care_referral": "referral_care",
                "report_care_referral_outcome": "care_outcome",
                "confirm_case_closure": "closure"}
    with ctx.sessionmaker() as session:
        rows = session.scalars(select(CaseRecord).where(CaseRecord.case_number == number))
        found: dict[str, set[str]] = {}
        for row in rows:
            values = {**row.data, **(row.context or {})}
            found.setdefault(category[row.bpmn_id], set()).update(
                name for name, value in values.items()
                if value not in (None, "") and not (name == "crisis" and value is False))
        return found


def _case_fields(ctx, number: str) -> set[str]:
    """The case fields that hold a value (the API leaves the empty ones out)."""
    names = IDENTITY | ARREARS | LEGAL | REPORTED | OUTREACH | CLOSURE
    with ctx.sessionmaker() as session:
        case = session.scalars(select(Case).where(Case.case_number == number)).one()
        found = {name for name in names if getattr(case, name, None) is not None}
        if case.closed:
            found.add("outcome")
        return found


def _file_of(answer: dict[str, Any]) -> dict[str, set[str]]:
    shown: dict[str, set[str]] = {}
    for record in answer["file"]:
        shown.setdefault(record["category"], set()).update(f["name"] for f in record["fields"])
    return shown


def _want_file(cells: dict[str, Any], recorded: dict[str, set[str]]) -> dict[str, set[str]]:
    want = {}
    for category, values in recorded.items():
        cell = cells.get(category)
        fields = values if cell == ALL else values & set(cell or ())
        if fields:
            want[category] = fields
    return want


@pytest.mark.parametrize("username", list(READERS))
def test_each_reader_sees_exactly_its_cells_on_the_page_and_in_the_api(ctx, app, world,
                                                                       username):
    role, org, kind = READERS[username]
    token = bearer(ctx, org=org) if kind == "token" else bearer(ctx, username=username)
    page = login(app, username, PASSWORD) if kind == "person" else None
    api = app.test_client()
    for label, number in world.items():
        want = expected(username, label)
        answer = api.get(f"/api/v1/cases/{number}", headers=token)
        html = page.get(f"/cases/{number}") if page is not None else None
        if want is None:
            assert answer.status_code == 404, (username, label)
            if html is not None:
                assert html.status_code == 404, (username, label)
                assert number not in html.get_data(as_text=True)
            continue
        header, cells = want
        assert answer.status_code == 200, (username, label)
        body = answer.json
        recorded = _recorded(ctx, number)
        want_file = _want_file(cells, recorded)
        # the API: exactly these case fields and exactly these fields of each record
        assert set(body) - ALWAYS == header & _case_fields(ctx, number), (username, label)
        assert _file_of(body) == want_file, (username, label)
        tenant = body.get("tenant_name")
        assert (tenant is not None) == ("tenant_name" in header), (username, label)
        if html is None:
            continue  # a machine token has no pages
        # the page: a record's marker shows exactly when its marked field may be read
        assert html.status_code == 200, (username, label)
        text = html.get_data(as_text=True)
        for category, mark in MARKS.items():
            if category not in recorded:
                continue
            readable = MARKED_FIELD[category] in want_file.get(category, set())
            assert (mark in text) == readable, (username, label, category)
        if tenant is not None:
            assert tenant in text


def test_the_expectations_cover_every_role_of_domain_md() -> None:
    """Every role of §6 that works with cases is read above, in and out of its scope."""
    roles = {role for role, _org, _kind in READERS.values()}
    assert {"corporation", "corporation_lead", "social_team", "social_team_lead",
            "budget_advice", "care_referral", "budget_advice_lead", "care_referral_lead",
            "process_owner", "manager", "privacy_officer", "admin", "machine"} <= roles


def test_the_world_fills_the_header_fields_the_tables_tell_apart(ctx, world) -> None:
    """The closed cases hold a national result and every case says whether it repeats, so the
    tables above are tried on them (the social team reads the code, the corporation never)."""
    for label, number in world.items():
        filled = _case_fields(ctx, number)
        assert "repeat" in filled, label
        assert ("national_result" in filled) == label.endswith("_closed"), label
