"""Open cases for ``make bench-scale``, generated directly into the tables (PostgreSQL).

A hundred thousand cases through intake would take the better part of an hour on this
machine, so a few signals go through the real chain (``engine.chain.intake``) and the rest is
written beside them in bulk: the ``case`` rows by ``COPY`` (names, addresses, municipalities,
corporations, milestones and referrals drawn with the region's shares), one running
``arrears_case`` instance per case copied from a real one (its stored workflow included, so
the table has its real width), and per case one open task in the lane the case is at plus two
completed ones before it. The events, correlations and case files of the copies are not
generated: no list reads them. Timers are set in the future, so a worker that runs beside the
bench finds nothing due in the copies.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from bench.dashboard_path import CORPORATIONS, MUNICIPALITIES, _pick
from bench.intake_path import signal
from engine import users
from engine.chain import intake
from engine.context import EngineContext

#: Case-number prefixes (engine.chain.municipalities).
PREFIX = {"dordrecht": "DR", "zwijndrecht": "ZW", "papendrecht": "PD",
          "hendrik-ido-ambacht": "HIA", "sliedrecht": "SL", "alblasserdam": "AD"}
FIRST_NAMES = ("Anna", "Bram", "Chantal", "Daan", "Esra", "Fatima", "Gerrit", "Hanna", "Ilse",
               "Jeroen", "Khadija", "Lars", "Mila", "Noah", "Olga", "Pieter", "Quinty", "Rik",
               "Sanne", "Tijmen", "Umut", "Vera", "Willem", "Yara", "Zoë", "Ahmed", "Bas",
               "Carla", "Dirk", "Elif", "Fenna", "Gijs", "Hatice", "Ivo", "Joyce", "Kees",
               "Lotte", "Mohamed", "Nienke", "Orlando")
SURNAMES = ("de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen",
            "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos",
            "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra",
            "Smits", "de Graaf", "van der Meer", "van der Linden", "Kok", "Jacobs", "de Haan",
            "Vermeulen", "van den Heuvel", "van der Veen", "van den Broek", "de Bruijn",
            "de Bruin", "van der Heijden", "Schouten", "van Beek", "Willems", "van Vliet",
            "van de Ven", "Hoekstra", "Maas", "Verhoeven", "Koster", "van Dam", "Prins",
            "Blom", "Huisman", "Peeters", "Yilmaz", "El Amrani", "Kaya", "Bouzid", "Öztürk",
            "Pinas", "Martina", "Doğan", "Wolters", "Kuipers")
STREETS = ("Voorstraat", "Kerkstraat", "Molenweg", "Dorpsstraat", "Spuiweg", "Noordendijk",
           "Wilgenlaan", "Merwedestraat", "Oranjelaan", "Stationsweg", "Lindelaan",
           "Beukenstraat", "Rijksstraatweg", "Sterrenburglaan", "Admiraalsplein",
           "Haringvlietstraat", "Burgemeester de Raadtsingel", "Vrieseweg", "Krispijnseweg",
           "Patersweg", "Singel", "Wijnstraat", "Blekersdijk", "Reeweg", "Dubbelmondestraat",
           "Parallelweg", "Kilweg", "Laan van Europa", "Merelstraat", "Zeehavenlaan")
#: (milestone, share) of open cases
MILESTONES = (("received", 0.30), ("picked_up", 0.30), ("contact_made", 0.25),
              ("help_accepted", 0.12), ("help_declined", 0.03))
SDD_SHARE, CARE_SHARE, URGENT_SHARE, CLAIMED_SHARE = 0.12, 0.05, 0.10, 0.15
#: the open task per lane (bpmn id, name); social team tasks cycle through the outreach steps
TASKS = {
    "social_team": (("record_first_contact_attempt", "Eerste contactpoging registreren"),
                    ("record_contact_attempt", "Contactpoging registreren"),
                    ("record_conversation", "Gesprek vastleggen"),
                    ("make_assessment_plan", "Plan van aanpak opstellen")),
    "budget_advice": (("sdd_intake", "Aanmelding budgetadvies beoordelen"),),
    "care_referral": (("care_intake", "Aanmelding Meldpunt beoordelen"),),
}
CORPORATION = "woonbron"
TEMPLATES = 6  # one real signal per municipality
#: A search that finds one household in every size (the first generated case's name).
YEAR = 2026


@dataclass
class Generated:
    cases: int
    seconds: float
    number_prefix: str      # a case-number prefix with 10 hits in Dordrecht at every size
    name: str               # a tenant's full name (few hits)
    address: str            # a street and house number (few hits)
    name_hits: int = 0      # households with that name (all municipalities)
    address_hits: int = 0   # households at that address (all municipalities)


def name_of(number: int) -> tuple[str, str, str]:
    """Tenant name, street and house number of generated case ``number`` (deterministic).

    Half the names carry a partner's surname before their own ("Huisman-de Vries"), as
    Dutch registers write them: with first name × surname alone (2,400 pairs) a full name
    would match forty households at 100,000 cases, where a real region has a handful.
    """
    rng = random.Random(number * 7919)  # noqa: S311 - synthetic data
    surname = rng.choice(SURNAMES)
    if rng.random() < 0.5:
        surname = f"{rng.choice(SURNAMES)}-{surname}"
    return (f"{rng.choice(FIRST_NAMES)} {surname}", rng.choice(STREETS),
            str(rng.randrange(1, 240)))


def templates(ctx: EngineContext) -> None:
    """A real case per municipality through intake (the engine path), to copy from."""
    with ctx.sessionmaker.begin() as session:
        token = users.create_token(ctx, session, org_slug=CORPORATION, label="scale").token
    with ctx.sessionmaker.begin() as session:
        actor = users.actor_for_token(session, token)
    assert actor is not None
    for number in range(TEMPLATES):
        with ctx.sessionmaker.begin() as session:
            intake.report_signal(ctx, session, actor, signal(f"TEMPLATE-{number}", number),
                                 synthetic=True)


def _case_rows(count: int, now: datetime, counters: dict[str, int]
               ) -> list[tuple[Any, ...]]:
    rng = random.Random(14)  # noqa: S311 - synthetic data
    rows = []
    for number in range(count):
        municipality = _pick(rng, MUNICIPALITIES)
        counters[municipality] += 1
        name, street, house = name_of(number)
        sdd = rng.random() < SDD_SHARE
        care = not sdd and rng.random() < CARE_SHARE / (1 - SDD_SHARE)
        # newest last, spread over the past year, as they would have arrived
        created = now - timedelta(minutes=(count - number) * 525_600 // count + 60)
        rows.append((
            f"{PREFIX[municipality]}-{YEAR}-{counters[municipality]:06d}",
            _pick(rng, CORPORATIONS), municipality, f"SCALE-{number}", name, street, house,
            f"{3300 + number % 90} {chr(65 + number % 26)}{chr(65 + number // 26 % 26)}",
            "Dordrecht", True, 600 + number % 1400, 1 + number % 5, 650, rng.random() < 0.02,
            False, False, _pick(rng, MILESTONES), False, sdd, care, False, False,
            created.replace(tzinfo=None), created.replace(tzinfo=None)))
    return rows


CASE_COLUMNS = ("case_number", "corporation", "municipality", "external_id", "tenant_name",
                "street", "house_number", "postcode", "city", "synthetic", "arrears_amount",
                "arrears_months", "monthly_rent", "crisis", "warm_handover", "duplicate",
                "milestone", "closed", "referred_to_sdd", "referred_to_care", "repeat",
                "known_sdd_trajectory", "created_at", "updated_at")


def generate(ctx: EngineContext, count: int, team_user_id: int,
             log: Callable[[str], None]) -> Generated:
    """Grow the database to ``count`` open cases (templates included)."""
    if ctx.db.dialect.name != "postgresql":
        raise RuntimeError("bench-scale generates its cases with PostgreSQL's COPY")
    started = datetime.now(UTC)
    templates(ctx)
    now = ctx.clock.now()
    counters = dict.fromkeys(PREFIX, 1)  # the templates hold number 1 of each municipality
    rows = _case_rows(max(0, count - TEMPLATES), now, counters)
    raw = ctx.db.raw_connection()
    try:
        cursor = raw.cursor()
        names = ", ".join(f'"{c}"' for c in CASE_COLUMNS)
        with cursor.copy(f'COPY "case" ({names}) FROM STDIN') as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()
    log(f"  {len(rows):,} case rows copied in; now the instances and tasks")
    with ctx.db.begin() as connection:
        run = connection.execute
        columns = [r[0] for r in run(text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = "
            "'process_instance' AND column_name <> 'id' ORDER BY ordinal_position"))]
        own = {"business_key": "c.case_number", "municipality": "c.municipality",
               "corporation": "c.corporation", "created_at": "c.created_at",
               "updated_at": "c.updated_at",
               "open_task_ids": "jsonb_build_array(md5(c.case_number)::uuid::text)",
               "correlations": "jsonb_build_object('case_key', jsonb_build_object("
                               "'case_number', c.case_number))",
               "next_timer_due": "now()::timestamp + (c.id % 60 + 1) * interval '1 day'"}
        chosen = ", ".join(own.get(c, f"t.{c}") for c in columns)
        run(text(f"INSERT INTO process_instance ({', '.join(columns)}) "  # noqa: S608
                 f"SELECT {chosen} FROM \"case\" c JOIN process_instance t ON t.id = "
                 "(SELECT min(id) FROM process_instance p WHERE p.municipality = "
                 "c.municipality) WHERE c.external_id LIKE 'SCALE-%'"))
        log("  instances copied; tasks next")
        lanes = ("CASE WHEN c.referred_to_care THEN 'care_referral' WHEN c.referred_to_sdd "
                 "THEN 'budget_advice' ELSE 'social_team' END")
        social = TASKS["social_team"]
        bpmn = (f"CASE WHEN c.referred_to_care THEN '{TASKS['care_referral'][0][0]}' "
                f"WHEN c.referred_to_sdd THEN '{TASKS['budget_advice'][0][0]}' ELSE (ARRAY["
                + ", ".join(f"'{b}'" for b, _n in social) + f"])[c.id % {len(social)} + 1] END")
        label = (f"CASE WHEN c.referred_to_care THEN '{TASKS['care_referral'][0][1]}' "
                 f"WHEN c.referred_to_sdd THEN '{TASKS['budget_advice'][0][1]}' ELSE (ARRAY["
                 + ", ".join(f"'{n}'" for _b, n in social) + f"])[c.id % {len(social)} + 1] END")
        claimed = (f"c.municipality = 'dordrecht' AND NOT c.referred_to_sdd AND NOT "
                   f"c.referred_to_care AND c.id % 100 < {int(CLAIMED_SHARE * 100)}")
        run(text(
            "INSERT INTO human_task (id, instance_id, process_id, case_number, bpmn_id, name, "  # noqa: S608
            "role, municipality, corporation, state, assignee_id, due_at, created_at, "
            "version, urgent) "
            f"SELECT md5(c.case_number)::uuid::text, i.id, 'arrears_case', c.case_number, "
            f"{bpmn}, {label}, {lanes}, c.municipality, c.corporation, "
            f"CASE WHEN {claimed} THEN 'claimed' ELSE 'open' END, "
            f"CASE WHEN {claimed} THEN {int(team_user_id)} END, "
            "c.created_at + (c.id % 40) * interval '1 day', c.created_at + interval '2 days', "
            f"1, (c.referred_to_sdd OR c.referred_to_care) AND c.id % 100 < "
            f"{int(URGENT_SHARE * 100)} "
            "FROM \"case\" c JOIN process_instance i ON i.business_key = c.case_number "
            "WHERE c.external_id LIKE 'SCALE-%'"))
        run(text(
            "INSERT INTO human_task (id, instance_id, process_id, case_number, bpmn_id, name, "  # noqa: S608
            "role, municipality, corporation, state, due_at, created_at, completed_at, "
            "completed_by, version, urgent) "
            "SELECT md5(c.case_number || ':' || n)::uuid::text, i.id, 'arrears_case', "
            f"c.case_number, '{social[0][0]}', '{social[0][1]}', 'social_team', "
            "c.municipality, c.corporation, 'completed', c.created_at + interval '5 days', "
            "c.created_at + n * interval '1 hour', c.created_at + n * interval '1 day', "
            "'bench', 2, false "
            "FROM \"case\" c JOIN process_instance i ON i.business_key = c.case_number "
            "CROSS JOIN generate_series(1, 2) AS n WHERE c.external_id LIKE 'SCALE-%'"))
        for municipality, last in counters.items():
            run(text("UPDATE case_number_counter SET last_number = :n WHERE prefix = :p "
                     "AND year = :y"), {"n": last, "p": PREFIX[municipality], "y": YEAR})
    with ctx.db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    # a household the Dordrecht team sees (its own municipality, not referred on)
    found = next(row for row in rows if row[2] == "dordrecht" and not row[18] and not row[19])
    return Generated(count, (datetime.now(UTC) - started).total_seconds(),
                     number_prefix=f"DR-{YEAR}-00001", name=found[4],
                     address=f"{found[5]} {found[6]}",
                     name_hits=sum(row[4] == found[4] for row in rows),
                     address_hits=sum(row[5:7] == found[5:7] for row in rows))
