"""The chain's need-to-know policy, as data: the one place that says who sees what.

Two tables, both from ``domain.md`` §6:

- ``RULES``: per role, its row scope (own corporation, own municipality, only what was referred
  to its desk), its task lanes, how much of a case it sees and what it may do. The engine's SQL
  filters and checks (``engine.access``) read it once the chain installs it (``install``).
- ``MATRIX``: data category × role, each cell as §6 writes it (``R``, ``R/W own``, ``S``, ``A``,
  ``–`` …). The case page's header fields (``header_fields``), the case file's records
  (``record_fields``), the API answers that serialise them and the menus (``menu``) read it.

Adding a role is one entry in ``RULES`` (and its column in ``MATRIX``); changing who sees a
category is one cell. The tests' expectations are written from domain.md, not from here.
"""

from __future__ import annotations

from engine import access
from engine.access import (
    ALL_ROWS,
    ASSIGN,
    BREAK_GLASS,
    DEPLOY,
    EDIT_PROCESSES,
    INSTANCE_DATA,
    MANAGE_INSTANCES,
    OWN_CORPORATION,
    OWN_MUNICIPALITY,
    READ_FIGURES,
    REFERRED,
    REPORT_SIGNALS,
    RETRY_INSTANCES,
    SEND_MESSAGES,
    START_INSTANCES,
    Policy,
    RoleRule,
)

# --- roles (domain.md §6, "Roles") ------------------------------------------------------------

CORP, CORP_L = "corporation", "corporation_lead"
ST, ST_C = "social_team", "social_team_lead"
SDD, MZO = "budget_advice", "care_referral"
#: The desks' leads: their team's tasks and the escalations of their team's late tasks.
SDD_L, MZO_L = "budget_advice_lead", "care_referral_lead"
PO, MGR, FG, ADM = "process_owner", "manager", "privacy_officer", "admin"
#: An organisation's machine token that is not a corporation's (a municipality's system).
MACHINE = "machine"

_CORPORATIONS = frozenset({"corporation"})

# --- what the chain's roles may do beyond reading (``RoleRule.may``, beside the engine's) -----

#: Hold a case: the social team's caseworker who took the outreach gets the case's later tasks
#: of ``HOLDER_LANE``, and may give the case back to the team.
HOLD_CASES = "hold_cases"
#: Hand a case to a colleague of the team, and give back a case someone else holds.
HAND_CASES = "hand_cases"
#: Correct a closed case's national result (DDAS ``EnumEindresultaat``), with a reason.
CORRECT_RESULTS = "correct_national_results"
#: Correct a referral package the team sent (the next version of it).
CORRECT_REFERRALS = "correct_referrals"
#: Report what happened on a tenant's case (court summons, paid, eviction executed, …).
REPORT_CASE_EVENTS = "report_case_events"
#: Download the national DDAS delivery (``ketenflow export ddas``).
EXPORT_DDAS = "export_ddas"
#: Read the process models: diagrams, versions, decision tables, forms.
READ_PROCESSES = "read_processes"
#: Search the access log, see people's patterns and the break-glass grants, export a search
#: (the privacy officer: case numbers and who read them, never a household's data).
READ_ACCESS_LOG = "read_access_log"

#: Read everything Ketenflow holds about one tenant and every read of it (AVG art. 15).
SUBJECT_ACCESS = "subject_access"
#: Correct a tenant's personal data with a reason (AVG art. 16), kept as an event.
CORRECT_PERSONAL_DATA = "correct_personal_data"

_CASEWORK = frozenset({HOLD_CASES, CORRECT_REFERRALS, BREAK_GLASS})

#: Role -> its rule. ``admin`` is the application's administrator, who stands in for every
#: desk (domain.md's ADM is "technical; no content": this deployment's administrator is also
#: the break-glass account, and the system acts in its name).
RULES: dict[str, RoleRule] = {
    # the corporation's staff see their team lead's tasks on a case too (the last-chance
    # agreement), though only the lead works them
    CORP: RoleRule(lanes=(CORP,), rows=OWN_CORPORATION, case_view="milestones",
                   may=frozenset({SEND_MESSAGES, REPORT_SIGNALS, REPORT_CASE_EVENTS}),
                   kinds=_CORPORATIONS, case_lanes=(CORP, CORP_L)),
    CORP_L: RoleRule(lanes=(CORP, CORP_L), rows=OWN_CORPORATION, case_view="milestones",
                     may=frozenset({SEND_MESSAGES, REPORT_SIGNALS, REPORT_CASE_EVENTS,
                                    ASSIGN}),
                     kinds=_CORPORATIONS),
    ST: RoleRule(lanes=(ST,), rows=OWN_MUNICIPALITY, case_view="full", instances="rows",
                 may=_CASEWORK),
    ST_C: RoleRule(lanes=(ST, ST_C), rows=OWN_MUNICIPALITY, case_view="full",
                   instances="rows",
                   may=_CASEWORK | {ASSIGN, HAND_CASES, CORRECT_RESULTS}),
    SDD: RoleRule(lanes=(SDD,), rows=REFERRED, case_view="referral"),
    MZO: RoleRule(lanes=(MZO,), rows=REFERRED, case_view="referral"),
    SDD_L: RoleRule(lanes=(SDD, SDD_L), rows=REFERRED, case_view="referral",
                    may=frozenset({ASSIGN})),
    MZO_L: RoleRule(lanes=(MZO, MZO_L), rows=REFERRED, case_view="referral",
                    may=frozenset({ASSIGN})),
    PO: RoleRule(instances="all", may=frozenset({DEPLOY, START_INSTANCES, READ_FIGURES,
                                                 READ_PROCESSES, EDIT_PROCESSES})),
    MGR: RoleRule(may=frozenset({READ_FIGURES, EXPORT_DDAS, READ_PROCESSES})),
    FG: RoleRule(may=frozenset({READ_ACCESS_LOG, SUBJECT_ACCESS})),
    # the administrator reports no tenants: a signal comes from the corporation itself
    ADM: RoleRule(rows=ALL_ROWS, case_view="full", instances="all",
                  may=frozenset({DEPLOY, START_INSTANCES, INSTANCE_DATA, SEND_MESSAGES,
                                 ASSIGN, REPORT_CASE_EVENTS, RETRY_INSTANCES,
                                 MANAGE_INSTANCES, READ_FIGURES, EXPORT_DDAS,
                                 READ_PROCESSES, SUBJECT_ACCESS, CORRECT_PERSONAL_DATA})),
    MACHINE: RoleRule(rows=OWN_MUNICIPALITY, may=frozenset({SEND_MESSAGES}),
                      kinds=frozenset({"municipality"}), persons=False),
}

#: The lane whose tasks of a case go to the case's holder (``HOLD_CASES``).
HOLDER_LANE = ST
#: The desks a case is referred to, each with the case's flag that says so (``cases``).
REFERRAL_FLAGS: dict[str, str] = {"referred_to_sdd": SDD, "referred_to_care": MZO}
#: Every capability some role holds (a page that asks for an unknown one is a typo).
CAPABILITIES: frozenset[str] = frozenset().union(*(r.may for r in RULES.values()))

#: The roles a person can be given, in this order (``users.create_user`` checks against it).
ROLES: tuple[str, ...] = tuple(name for name, rule in RULES.items() if rule.persons)

#: Dutch and English names of the roles (menus, task pages, the holder list).
LABELS: dict[str, tuple[str, str]] = {
    CORP: ("Medewerker huurincasso", "Rent collection officer"),
    CORP_L: ("Teamleider incasso", "Collection team lead"),
    ST: ("Medewerker sociaal team", "Social team member"),
    ST_C: ("Coördinator sociaal team", "Social team coordinator"),
    SDD: ("Budgetadviseur SDD", "SDD budget advisor"),
    MZO: ("Medewerker Meldpunt Zorg en Overlast", "Care reporting point officer"),
    SDD_L: ("Teamleider SDD", "SDD team lead"),
    MZO_L: ("Teamleider Meldpunt", "Care reporting point team lead"),
    PO: ("Proceseigenaar", "Process owner"),
    MGR: ("Manager", "Manager"),
    FG: ("Privacyfunctionaris", "Privacy officer"),
    ADM: ("Applicatiebeheer", "Administrator"),
}

# --- data categories × roles (domain.md §6, "Data categories × roles") -----------------------

IDENTITY = "identity"            # Tenant identity & contact (as reported)
BRP = "brp"                      # BRP-derived data (BSN, household)
ARREARS = "arrears"              # Arrears amount & payment history (rent)
CREDITORS = "creditors"          # Other creditors' signals (Wgs)
LEGAL = "legal"                  # Legal track (summons, judgment, eviction date)
OUTREACH = "outreach"            # Outreach status (picked up, contact made, …, closed)
CONTACT = "contact"              # Contact attempts detail
ASSESSMENT = "assessment"        # ZRM scores & assessment notes
FINANCES = "finances"            # Financial details (income, debts)
CARE_REFERRAL = "care_referral"  # Referral to Meldpunt: content
CARE_NOTES = "care_notes"        # Meldpunt / Veilig Thuis case notes
CARE_OUTCOME = "care_outcome"    # Meldpunt outcome (accepted / guided into care / closed)
CLOSURE = "closure"              # Closure reason (national code)
MODELS = "models"                # BPMN models, forms, SLAs
AUDIT = "audit"                  # Audit log

#: Cells as §6 writes them ("own" and "referred" are the role's row scope, ``RULES``).
R, RW, W, SEND = "R", "R/W", "W", "W (send)"
R_OWN, RW_OWN, S_OWN = "R own", "R/W own", "S own"
R_REFERRED, R_REFERRED_MINIMAL = "R (referred)", "R (referred, minimal)"
RW_OWN_SYSTEM = "R/W (own system preferred)"
S, A, A_ANONYMISED, NONE, LOG = "S", "A", "A (anonymised)", "–", "log"
SUMMARY_CONSENT, SUMMARY_REFERRAL = "summary with consent", "summary in referral"
GENERIC_ONLY, GENERIC = "generic only (see §1.4)", "generic"

MATRIX: dict[str, dict[str, str]] = {
    IDENTITY: {CORP: RW_OWN, CORP_L: R_OWN, ST: R, ST_C: R, SDD: R_REFERRED, MZO: R_REFERRED,
               PO: NONE, MGR: NONE, FG: LOG, ADM: RW},
    BRP: {CORP: NONE, CORP_L: NONE, ST: R, ST_C: R, SDD: R_REFERRED, MZO: R_REFERRED_MINIMAL,
          PO: NONE, MGR: NONE, FG: LOG, ADM: RW},
    ARREARS: {CORP: RW_OWN, CORP_L: R_OWN, ST: R, ST_C: R, SDD: R, MZO: NONE, PO: NONE,
              MGR: A, FG: LOG, ADM: RW},
    CREDITORS: {CORP: NONE, CORP_L: NONE, ST: R, ST_C: R, SDD: R, MZO: NONE, PO: NONE,
                MGR: A, FG: LOG, ADM: RW},
    LEGAL: {CORP: RW_OWN, CORP_L: R_OWN, ST: R, ST_C: R, SDD: R, MZO: S, PO: NONE, MGR: A,
            FG: LOG, ADM: RW},
    OUTREACH: {CORP: S_OWN, CORP_L: S_OWN, ST: RW, ST_C: RW, SDD: S, MZO: S, PO: NONE,
               MGR: A, FG: LOG, ADM: RW},
    CONTACT: {CORP: NONE, CORP_L: NONE, ST: RW, ST_C: R, SDD: NONE, MZO: NONE, PO: NONE,
              MGR: A, FG: LOG, ADM: RW},
    ASSESSMENT: {CORP: NONE, CORP_L: NONE, ST: RW, ST_C: R, SDD: SUMMARY_CONSENT,
                 MZO: SUMMARY_REFERRAL, PO: NONE, MGR: A_ANONYMISED, FG: LOG, ADM: RW},
    FINANCES: {CORP: NONE, CORP_L: NONE, ST: R, ST_C: R, SDD: RW, MZO: NONE, PO: NONE,
               MGR: A, FG: LOG, ADM: RW},
    CARE_REFERRAL: {CORP: NONE, CORP_L: NONE, ST: SEND, ST_C: R, SDD: NONE, MZO: RW,
                    PO: NONE, MGR: NONE, FG: LOG, ADM: RW},
    CARE_NOTES: {CORP: NONE, CORP_L: NONE, ST: NONE, ST_C: NONE, SDD: NONE, MZO: RW_OWN_SYSTEM,
                 PO: NONE, MGR: NONE, FG: LOG, ADM: RW},
    CARE_OUTCOME: {CORP: NONE, CORP_L: NONE, ST: S, ST_C: S, SDD: NONE, MZO: W, PO: NONE,
                   MGR: A, FG: LOG, ADM: RW},
    CLOSURE: {CORP: GENERIC_ONLY, CORP_L: GENERIC, ST: RW, ST_C: RW, SDD: S, MZO: S,
              PO: NONE, MGR: A, FG: LOG, ADM: RW},
    MODELS: {CORP: NONE, CORP_L: NONE, ST: NONE, ST_C: NONE, SDD: NONE, MZO: NONE, PO: RW,
             MGR: R, FG: R, ADM: RW},
    AUDIT: {CORP: NONE, CORP_L: NONE, ST: NONE, ST_C: NONE, SDD: NONE, MZO: NONE, PO: NONE,
            MGR: NONE, FG: R, ADM: NONE},
}

# domain.md §6 has no column for the desks' leads: a lead reads what its desk reads.
for _cells in MATRIX.values():
    _cells[SDD_L], _cells[MZO_L] = _cells[SDD], _cells[MZO]

#: How much of a category a cell shows one case's reader. ``W`` reads back what the role
#: recorded itself; ``W (send)`` sends and does not read back; a summary travels only inside
#: a referral package; aggregates and the audit log are not case reads.
READ, STATUS, STATUS_OWN, GENERIC_OUTCOME, NOTHING = (
    "read", "status", "status_own", "generic", "nothing")
LEVELS: dict[str, str] = {
    R: READ, RW: READ, W: READ, R_OWN: READ, RW_OWN: READ, R_REFERRED: READ,
    R_REFERRED_MINIMAL: READ, RW_OWN_SYSTEM: READ,
    S: STATUS, S_OWN: STATUS_OWN, GENERIC_ONLY: GENERIC_OUTCOME, GENERIC: GENERIC_OUTCOME,
    SEND: NOTHING, SUMMARY_CONSENT: NOTHING, SUMMARY_REFERRAL: NOTHING, A: NOTHING,
    A_ANONYMISED: NOTHING, NONE: NOTHING, LOG: NOTHING,
}


def level(category: str, role: str) -> str:
    """How much of ``category`` one case's reader in ``role`` sees (``READ`` … ``NOTHING``)."""
    return LEVELS[MATRIX.get(category, {}).get(role, NONE)]


# --- the case page's header: which of a case's own fields belong to which category ----------

_IDENTITY_FIELDS = ("tenant_name", "street", "house_number", "postcode", "city", "phone",
                    "email", "date_of_birth")
_ARREARS_FIELDS = ("arrears_amount", "arrears_months", "arrears_since", "monthly_rent")
_LEGAL_FIELDS = ("hearing_date", "eviction_date")
#: What the corporation reported itself and sees back as the status of its own case.
_REPORTED = ("external_id", "crisis", "warm_handover")

#: Category -> level -> the case's fields shown at that level (a level not listed: none).
HEADER: dict[str, dict[str, tuple[str, ...]]] = {
    IDENTITY: {READ: _IDENTITY_FIELDS},
    ARREARS: {READ: _ARREARS_FIELDS},
    LEGAL: {READ: _LEGAL_FIELDS, STATUS: _LEGAL_FIELDS},
    OUTREACH: {READ: (*_REPORTED, "duplicate", "repeat", "opened_by", "known_sdd_trajectory",
                      "referred_to_sdd", "referred_to_care", "holder_id", "holder_name"),
               STATUS_OWN: (*_REPORTED, "repeat", "opened_by")},
    CLOSURE: {READ: ("outcome", "national_result"), GENERIC_OUTCOME: ("outcome",)},
}


def header_fields(role: str) -> tuple[str, ...]:
    """The case's own fields (``cases.CaseView``) a reader in ``role`` sees."""
    shown: list[str] = []
    for category, by_level in HEADER.items():
        shown += [f for f in by_level.get(level(category, role), ()) if f not in shown]
    return tuple(shown)


# --- the case file: which category each task's record belongs to ----------------------------

#: Record category (``case_file.RECORDS``) -> §6 data category.
RECORD_DATA: dict[str, str] = {
    "contact": CONTACT,
    "escalation": OUTREACH,
    "conversation": ASSESSMENT,
    "assessment": ASSESSMENT,
    "plan": ASSESSMENT,
    "arrangement": ARREARS,
    "referral_sdd": FINANCES,     # the debt-help referral: financial details, for the SDD
    "sdd_intake": FINANCES,
    "sdd_outcome": FINANCES,
    "referral_care": CARE_REFERRAL,
    "care_outcome": CARE_OUTCOME,
    # a desk's late task escalated to its own lead: part of the desk's own record
    "sdd_escalation": FINANCES,
    "care_escalation": CARE_REFERRAL,
    "legal_track": LEGAL,
    "closure": CLOSURE,
    "other": OUTREACH,
}
#: The fields a limited level of a record category shows (a level not listed: nothing).
RECORD_CUTS: dict[str, dict[str, tuple[str, ...]]] = {
    "care_outcome": {STATUS: ("care_outcome", "care_outcome_date")},
    "legal_track": {STATUS: ("eviction_postponed",)},
    "closure": {STATUS: ("closure_date",),
                GENERIC_OUTCOME: ("closure_date", "corporation_feedback")},
}


def record_fields(record_category: str, role: str) -> tuple[str, ...] | None:
    """The fields of a ``record_category`` record a reader in ``role`` sees: None for all,
    () for none."""
    found = level(RECORD_DATA.get(record_category, OUTREACH), role)
    if found == READ:
        return None
    return RECORD_CUTS.get(record_category, {}).get(found, ())


# --- pages ------------------------------------------------------------------------------------

def menu(role: str) -> tuple[str, ...]:
    """The main menu's entries for ``role``, in order: ``portal`` and ``report`` (who reports
    tenants), ``inbox`` (who works tasks), ``cases`` (who sees households), ``cockpit`` (who
    reads the chain's figures), ``processes`` (who reads the process models), ``editor``
    (who edits them: the drafts), ``privacy`` (who reads the access log)."""
    rule = RULES.get(role, access.NOTHING)
    entries: list[str] = []
    if REPORT_SIGNALS in rule.may and rule.kinds == _CORPORATIONS:
        entries += ["portal", "report"]
    if rule.lanes or rule.rows == ALL_ROWS:
        entries.append("inbox")
    if rule.case_view is not None:
        entries.append("cases")
    if READ_FIGURES in rule.may:
        entries.append("cockpit")
    if READ_PROCESSES in rule.may:
        entries.append("processes")
    if EDIT_PROCESSES in rule.may:
        entries.append("editor")
    if READ_ACCESS_LOG in rule.may:
        entries.append("privacy")
    if SUBJECT_ACCESS in rule.may:
        entries.append("subject_access")
    return tuple(entries)


def home(role: str) -> str:
    """Where a person lands after signing in: the first page of their work."""
    entries = menu(role)
    if "portal" in entries:
        return "/portal"
    rule = RULES.get(role, access.NOTHING)
    if rule.lanes:
        return "/inbox"
    if "cases" in entries:
        return "/cases"
    if EDIT_PROCESSES in rule.may:
        return "/processes"
    if "cockpit" in entries:
        return "/cockpit"
    if "privacy" in entries:
        return "/privacy"
    return "/welcome"


POLICY = Policy(roles=RULES,
                referral_flags={lane: flag for flag, lane in REFERRAL_FLAGS.items()})


def install() -> None:
    """Make this policy the engine's (``engine.chain.install`` calls it)."""
    access.install_policy(POLICY)
