"""A realistic year of synthetic cases, made by driving the real engine with a moving clock.

``seed_year`` reports arrears signals through the intake (``engine.chain.intake.report_signal``),
then lets every household live its life day by day: the social team records contact attempts
and conversations, the corporation registers arrangements and reports court summonses, SDD and
the Meldpunt report back, team leads handle escalations, and the timer loop fires deadlines —
all through the same service functions the web app calls. Nothing is written around the
engine. Cases whose next step lies after the last day simply stay open, so the inboxes show a
realistic amount of open work.

Volumes and shares follow the synthetic-data recipe of the domain brief (§7): about 1,800
corporation rent signals a year split by stock weight, 20 % not picked up, half of the
picked-up households reached, outcome shares of the reached, 65 % of arrangements kept for three
months, about 1 % of the picked-up referred to the Meldpunt without consent ("Verwijzing zonder
contact"), contact lost at the conversation or the action plan (15 % of the not reached), court
summonses only at three months' arrears or more (~180), ~120 judgments of which about a quarter
end in eviction (~30), ~30 % repeat households. Households nobody reaches get a home visit or a
card before the six-week limit closes their outreach. Every parameter lives in ``DemoConfig``;
the corporation → municipality mapping is a placeholder (only Tablis → Sliedrecht is sourced).
The report (``SeedReport.lines``) prints each figure beside its §7 target.

The seeder batches its own bookkeeping, never the engine's work: one transaction a day, in
which the due timers fire in the worker's order, each in a savepoint.

Identities are synthetic and marked so (``case.synthetic``): generated Dutch names, real street
names of the Drechtsteden towns with house numbers 9001-9999 (no such numbers exist there),
postcodes inside the municipality's range, no phone numbers, ``.invalid`` e-mail addresses.
Deterministic for a given seed and period (``random.Random(seed)``).
"""

from __future__ import annotations

import heapq
import itertools
import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Row, bindparam, event, func, select
from sqlalchemy.orm import Session

from engine import tasks, timers, users
from engine.access import Actor
from engine.chain import cases, households, intake
from engine.chain.demo import seed_users
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.db import make_engine, make_sessionmaker
from engine.models import Case, Event, HumanTask, Message, ProcessInstance, User
from engine.workdays import is_working_day
from engine.workflow_cache import WorkflowCache

# --- configuration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoConfig:
    """The recipe (domain brief §7). Shares are fractions; the seeder draws with these."""

    #: Share of the regional corporation stock (§7.1, placeholder weights).
    corporation_weights: dict[str, float] = field(default_factory=lambda: {
        "woonbron": 0.30, "trivire": 0.30, "woonkracht10": 0.25, "tablis": 0.09,
        "rhiant": 0.06})
    #: Where each corporation's homes are (placeholder except Tablis → Sliedrecht).
    corporation_municipalities: dict[str, dict[str, float]] = field(default_factory=lambda: {
        "woonbron": {"dordrecht": 1.0},
        "trivire": {"dordrecht": 0.5, "papendrecht": 0.3, "hendrik-ido-ambacht": 0.1,
                    "alblasserdam": 0.1},
        "woonkracht10": {"zwijndrecht": 0.45, "papendrecht": 0.2,
                         "hendrik-ido-ambacht": 0.2, "dordrecht": 0.15},
        "tablis": {"sliedrecht": 1.0},
        "rhiant": {"alblasserdam": 1.0},
    })
    not_picked_up: float = 0.20  # §7.3: duplicate, below threshold
    duplicate_share_of_not_picked_up: float = 0.5
    reached: float = 0.50  # of picked-up households
    #: What happens to the reached (§7.3).
    reached_outcomes: dict[str, float] = field(default_factory=lambda: {
        "paid": 0.20, "declined": 0.20, "arrangement": 0.35, "financial": 0.15,
        "care": 0.05, "known": 0.05})
    contact_lost_share_of_not_reached: float = 0.15
    #: Of the contact-lost households, the share that still talks and stops responding at the
    #: action plan (the plan's ``contact_lost`` choice); the rest goes silent before the
    #: conversation ("Contact verbroken" on the conversation form). Both are the assessment's
    #: own exits, never an SDD referral (issue 10).
    contact_lost_at_plan: float = 0.3
    #: Picked-up households referred to the Meldpunt without their consent (bemoeizorg):
    #: the national result "Verwijzing zonder contact" (DDAS ``EnumEindresultaat``; §7.3:
    #: 1 % of picked-up). Other Meldpunt referrals have consent.
    referred_without_contact: float = 0.01
    #: Drawn a little above the §7 target (65% kept) because the arrangements of the last
    #: months are still running when the year ends (§7.5: "tune to hit").
    arrangements_kept: float = 0.70
    #: Broken arrangements that end in an eviction (§7.5: ~25-35 a year, default 30). Handed
    #: out at an even pace to the signals early enough for the legal track to finish; a few
    #: of those still close another way first, hence a little over 30.
    evictions_per_1800_signals: float = 33.0
    #: Picked-up households the corporation summons (§7.5: ~180 summonses a year). A summons
    #: comes once the arrears reach three months (§4: "usually at 3 months' arrears"), so for
    #: many households after their case has closed: the summons then reopens the file.
    summons_during_outreach: float = 0.13
    #: Summonses (outside the eviction path) that reach a judgment without eviction; with the
    #: evictions' own judgments about 120 a year, a quarter of them evictions (§7.5).
    judgments_share_of_summonses: float = 0.70
    #: Signals for an address whose case closed in the last 12 months (issue 10: ~30 %);
    #: drawn above the target because the first months have no closed cases to repeat.
    repeat_households: float = 0.52
    crisis: float = 0.02
    warm_handover: float = 0.06
    #: Seasonality (§7.2): small peaks in January-February and September.
    month_factor: dict[int, float] = field(default_factory=lambda: {
        1: 1.1, 2: 1.1, 9: 1.1})


# --- synthetic identities --------------------------------------------------------------------

FIRST_NAMES = ("Anna", "Bas", "Chantal", "Dennis", "Esra", "Fleur", "Gerrit", "Hatice",
               "Ingrid", "Jeroen", "Kees", "Linda", "Mohamed", "Nathalie", "Priscilla",
               "Ricardo", "Samira", "Tom", "Ugur", "Wendy", "Yvonne", "Zoë", "Marco", "Sandra",
               "Joyce", "Rachid", "Petra", "Erik", "Mila", "Daan")
PREFIXES = ("", "", "", "van ", "de ", "van der ", "van den ", "den ")
SURNAMES = ("Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos", "Vos", "Dijkstra",
            "Jansen", "Berg", "Hoek", "Dam", "Kok", "Verbeek", "Yilmaz", "El Amrani",
            "Pinas", "Kramer", "Brouwer", "Wit", "Leeuwen", "Graaf", "Boer", "Groot")
#: Real street names per town; the house numbers the seeder uses (9001-9999) do not exist.
STREETS: dict[str, tuple[str, tuple[int, int], tuple[str, ...]]] = {
    "dordrecht": ("Dordrecht", (3311, 3329), (
        "Voorstraat", "Johan de Wittstraat", "Vrieseweg", "Krispijnseweg", "Brouwersdijk",
        "Bankastraat", "Reeweg Oost", "Mijlweg", "Nieuwe Haven", "Dubbeldamseweg Zuid")),
    "zwijndrecht": ("Zwijndrecht", (3331, 3336), (
        "Burgemeester Jansenlaan", "Veerweg", "Heerjansdamseweg", "Koninginneweg",
        "Lindtsedijk", "Oranjelaan", "Kampweg")),
    "papendrecht": ("Papendrecht", (3351, 3356), (
        "Westeind", "Oosteind", "Kerkbuurt", "Burgemeester Keijzerweg", "Veerdam", "Markt")),
    "hendrik-ido-ambacht": ("Hendrik-Ido-Ambacht", (3341, 3344), (
        "Weverskade", "Sophialaan", "Veersedijk", "Dorpsstraat", "Vrouwgelenweg")),
    "sliedrecht": ("Sliedrecht", (3361, 3364), (
        "Kerkbuurt", "Stationsweg", "Rivierdijk", "Thorbeckelaan", "Deltalaan", "Baanhoek")),
    "alblasserdam": ("Alblasserdam", (2951, 2954), (
        "Dam", "Cortgene", "Kerkstraat", "Polderstraat", "Blokweg", "Edisonweg")),
}
LETTERS = "ABCEGHJKLMNPRTVWXZ"
#: How long an eviction can take from the signal (contact, arrangement, legal track): later
#: signals are not given that fate.
EVICTION_DAYS = 160
#: The legal track's escalations (three working days after a summons or an eviction date).
LEGAL_ESCALATIONS = ("escalate_court_summons", "escalate_eviction_date")


def months_behind(at_signal: float, signalled: date, on: date) -> float:
    """Months of rent in arrears on ``on``: without a kept arrangement the arrears grow by a
    month's rent every month (§7.4)."""
    return at_signal + (on - signalled).days / 30.5


# --- the report ------------------------------------------------------------------------------


@dataclass
class SeedReport:
    """The counts read back from the database, with the §7 target beside each figure."""

    signals: int = 0
    by_corporation: Counter[str] = field(default_factory=Counter)
    by_municipality: Counter[str] = field(default_factory=Counter)
    not_picked_up: int = 0
    outreach_ended: int = 0
    reached: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    arrangements_kept: int = 0
    arrangements_broken: int = 0
    #: Arrangements with three months confirmed and no break, and those broken before that
    #: (§7.3 "kept ≥3 months"); younger arrangements are not counted yet.
    kept_three_months: int = 0
    broken_within_three_months: int = 0
    summonses: int = 0
    summonses_at_three_months: int = 0
    judgments: int = 0
    reopened: int = 0
    repeats: int = 0
    escalations: int = 0
    #: Contact lost by where it was recorded: the conversation form, the plan, or a desk.
    contact_lost_at: Counter[str] = field(default_factory=Counter)
    open_cases: int = 0
    open_recent: int = 0  # open cases whose signal came in the last six weeks
    open_by_stage: Counter[str] = field(default_factory=Counter)
    open_tasks: int = 0
    first_day: date | None = None
    last_day: date | None = None
    seconds: float = 0.0

    @property
    def evictions(self) -> int:
        return self.outcomes.get("evicted", 0)

    @property
    def picked_up(self) -> int:
        return self.signals - self.not_picked_up

    @property
    def not_picked_up_share(self) -> float:
        return self.not_picked_up / self.signals if self.signals else 0.0

    @property
    def reached_share(self) -> float:
        """Of the picked-up households whose outreach has ended: contact made and kept."""
        return self.reached / self.outreach_ended if self.outreach_ended else 0.0

    @property
    def kept_share(self) -> float:
        done = self.arrangements_kept + self.arrangements_broken
        return self.arrangements_kept / done if done else 0.0

    @property
    def kept_three_months_share(self) -> float:
        done = self.kept_three_months + self.broken_within_three_months
        return self.kept_three_months / done if done else 0.0

    @property
    def contact_lost(self) -> int:
        return self.outcomes.get("contact_lost", 0)

    @property
    def contact_lost_share(self) -> float:
        """Of the households not reached (or not kept): contact lost after first contact."""
        not_reached = self.outreach_ended - self.reached
        return self.contact_lost / not_reached if not_reached else 0.0

    @property
    def referred_without_contact(self) -> int:
        return self.outcomes.get("referred_without_contact", 0)

    @property
    def referred_without_contact_share(self) -> float:
        return self.referred_without_contact / self.picked_up if self.picked_up else 0.0

    @property
    def repeat_share(self) -> float:
        return self.repeats / self.signals if self.signals else 0.0

    @property
    def eviction_share_of_judgments(self) -> float:
        return self.evictions / self.judgments if self.judgments else 0.0

    def lines(self) -> list[str]:
        def share(counter: Counter[str]) -> str:
            # Most first; ties by name, so the report does not depend on row order.
            ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
            return ", ".join(f"{k} {v} ({v / max(1, sum(counter.values())):.0%})"
                             for k, v in ranked)
        closed = sum(self.outcomes.values())
        lost = self.contact_lost_at
        # Scaled to the period: the §7 volumes are per year of ~1,800 signals.
        year = self.signals / 1800
        return [
            f"seeded {self.signals} synthetic signals from {self.first_day} to {self.last_day} "
            f"in {self.seconds:.1f} s (§7.2: 1,600-2,000 a year)",
            f"per corporation:  {share(self.by_corporation)} (§7.1: 30/30/25/9/6 %)",
            f"per municipality: {share(self.by_municipality)}",
            f"not picked up:    {self.not_picked_up} ({self.not_picked_up_share:.1%} of "
            "signals; §7.3: 20 %)",
            f"reached:          {self.reached} of {self.outreach_ended} picked-up households "
            f"whose outreach ended ({self.reached_share:.1%}; §7.3: 50 %)",
            f"contact lost:     {self.contact_lost} ({self.contact_lost_share:.0%} of the not "
            f"reached; §7.3: 15 %): {lost['conversation']} at the conversation, "
            f"{lost['plan']} at the action plan, {lost['desk']} after an SDD or Meldpunt "
            "referral",
            f"referral without contact: {self.referred_without_contact} "
            f"({self.referred_without_contact_share:.1%} of {self.picked_up} picked-up; "
            "§7.3: 1 %)",
            f"arrangements:     {self.kept_three_months} kept ≥3 months, "
            f"{self.broken_within_three_months} broken before "
            f"({self.kept_three_months_share:.0%} kept; §7.3: 65 %); over the full term "
            f"{self.arrangements_kept} kept, {self.arrangements_broken} broken so far",
            f"outcomes ({closed} closed): {share(self.outcomes)}",
            f"court summonses:  {self.summonses} (§7.5: ~{180 * year:.0f}), "
            f"{self.summonses_at_three_months} of them at ≥3 months' arrears (§7.5: all); "
            f"{self.reopened} reopened a closed case",
            f"judgments:        {self.judgments} (§7.5: ~{120 * year:.0f})",
            f"evictions:        {self.evictions} ({self.eviction_share_of_judgments:.0%} of "
            f"judgments; §7.5: 25-35 a year, ~25 % of judgments)",
            f"repeat households: {self.repeats} ({self.repeat_share:.0%} of signals: an "
            "earlier case at the address closed in the last 12 months; issue 10: ~30 %)",
            f"escalations:      {self.escalations}",
            f"open cases:       {self.open_cases} (open tasks: {self.open_tasks}); "
            f"{self.open_recent} signalled in the last six weeks; by stage: "
            f"{share(self.open_by_stage)}",
            "                  (still running, as in a real caseload: arrangements run 6-12 "
            "months, outreach up to six weeks after the signal, the SDD decides within 8 "
            "weeks of its intake, a hearing comes 4-6 weeks after the summons)",
        ]


#: Where an open case stands, by the elements its instance waits in (first match wins):
#: the stages that take months (an arrangement's term, a desk) explain most open cases.
OPEN_STAGES = (
    ("arrangement running", ("await_month_or_break", "confirm_arrangement_month",
                             "review_payment_arrangement", "request_payment_arrangement")),
    ("at the SDD", ("prepare_sdd_referral", "hold_sdd_intake", "report_sdd_outcome")),
    ("at the Meldpunt", ("prepare_care_referral", "report_care_referral_outcome")),
    ("legal track", ("consider_last_chance_agreement", "act_on_court_summons",
                     "act_on_eviction_date", "prepare_court_hearing")),
    ("outreach", ("record_first_contact_attempt", "record_contact_attempt")),
    ("assessment", ("hold_kitchen_table_conversation", "score_zrm", "agree_action_plan")),
    ("closing", ("confirm_case_closure",)),
)


def open_stage(elements: list[str]) -> str:
    present = set(elements)
    return next((stage for stage, ids in OPEN_STAGES if present.intersection(ids)), "other")


# --- the households --------------------------------------------------------------------------


@dataclass
class Household:
    number: int
    corporation: str
    municipality: str
    fate: str
    signal: dict[str, Any]
    case_number: str | None = None
    summons: bool = False
    received: date = date.min


class Diverted(Exception):  # noqa: N818 - control flow, not an error
    """The case went another way than planned (a deadline closed it, or it is a duplicate)."""


Life = Iterator[datetime]


#: A case's open task with a given BPMN id; built once (the seeder asks this all the time).
_OPEN_TASK = (select(HumanTask.id, HumanTask.role)
              .where(HumanTask.case_number == bindparam("case_number"),
                     HumanTask.bpmn_id == bindparam("bpmn_id"),
                     HumanTask.state.in_(("open", "claimed")))
              .order_by(HumanTask.created_at, HumanTask.instance_id).limit(1))


#: Which of some BPMN ids have an open task in the case (``Seeder.wait_for``).
_OPEN_OF = (select(HumanTask.bpmn_id)
            .where(HumanTask.case_number == bindparam("case_number"),
                   HumanTask.bpmn_id.in_(bindparam("ids", expanding=True)),
                   HumanTask.state.in_(("open", "claimed"))))


class Seeder:
    """Runs the households' lives on one moving clock, a day per transaction."""

    def __init__(self, ctx: EngineContext, seed: int, signals: int, days: int,
                 until: date, config: DemoConfig) -> None:
        self.clock = ManualClock(datetime.combine(until, datetime.min.time(), tzinfo=UTC))
        # Every open case of the year is worked on again within days: keep them all restored
        # (a few hundred workflows) instead of the web worker's small cache.
        self.ctx = replace(ctx, clock=self.clock, workflows=WorkflowCache(1024))
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
        self.config = config
        self.total = signals
        self.days = days
        self.until = until
        self.first = until - timedelta(days=days - 1)
        self.queue: list[tuple[datetime, int, Household, Life]] = []
        self.order = itertools.count()
        self.session: Session | None = None
        self.actors: dict[tuple[str, str], Actor] = {}
        self.open_addresses: list[tuple[str, str, str]] = []  # (case, postcode, number)
        #: closed cases' addresses by corporation: (closed on, case number)
        self.closed_addresses: dict[str, list[tuple[date, str]]] = {}
        # Evictions are few and the §7.5 range narrow: they are handed out at an even pace
        # over the signals that can get that far (see ``draw_fate``), not by chance.
        self.eviction_target = 0
        self.eviction_signals = 0  # signals early enough for the legal track
        self.eviction_signals_seen = 0
        self.evictions_planned = 0
        self.corporation_counts: Counter[str] = Counter()
        # Kept and broken arrangements, also at an even pace (§7.3: 65% kept).
        self.arrangements_drawn = 0
        self.arrangements_kept = 0

    # --- helpers ----------------------------------------------------------------------

    @property
    def db(self) -> Session:
        assert self.session is not None
        return self.session

    def actor(self, role: str, org: str) -> Actor:
        return self.actors[(role, org)]

    def later(self, days: float, working: bool = True) -> datetime:
        """A moment ``days`` ahead (rounded up to a working day), during office hours."""
        moment = self.clock.now() + timedelta(days=max(0.0, days))
        day = moment.date()
        while working and not is_working_day(day):
            day += timedelta(days=1)
        hour = self.rng.randint(7, 14)
        return datetime(day.year, day.month, day.day, hour, self.rng.randint(0, 59),
                        tzinfo=UTC)

    def lognormal_days(self, median: float, p90: float) -> float:
        import math
        sigma = math.log(p90 / median) / 1.2816
        return self.rng.lognormvariate(math.log(median), sigma)

    def today(self) -> str:
        return self.clock.now().date().isoformat()

    def open_task(self, h: Household, bpmn_id: str) -> Row[tuple[str, str | None]] | None:
        """Id and role of the case's open task ``bpmn_id`` (columns only: this runs often)."""
        return self.db.execute(_OPEN_TASK, {"case_number": h.case_number,
                                            "bpmn_id": bpmn_id}).first()

    def wait_for(self, h: Household, bpmn_id: str, patience: int = 20) -> Life:
        """Until ``bpmn_id`` is open for the case (checking daily); Diverted when closing."""
        for _day in range(patience):
            # one read for both: the task itself, else the closure that diverts the case
            found = set(self.db.scalars(_OPEN_OF, {"case_number": h.case_number, "ids": [
                bpmn_id, "confirm_case_closure"]}))
            if bpmn_id in found:
                return
            if "confirm_case_closure" in found:
                raise Diverted
            yield self.later(1)
        raise Diverted

    def complete(self, h: Household, bpmn_id: str, data: dict[str, Any]) -> None:
        task = self.open_task(h, bpmn_id)
        if task is None:
            raise Diverted
        org = {"social_team": h.municipality, "social_team_lead": h.municipality,
               "corporation": h.corporation, "corporation_lead": h.corporation,
               "budget_advice": "sdd", "budget_advice_lead": "sdd",
               "care_referral": "veilig-thuis",
               "care_referral_lead": "veilig-thuis"}[task.role or ""]
        worker = self.actor(task.role or "", org)
        tasks.claim_task(self.ctx, self.db, worker, task.id)
        tasks.complete_task(self.ctx, self.db, worker, task.id, data)

    def report(self, h: Household, name: str, **payload: Any) -> None:
        cases.report_case_event(self.ctx, self.db, self.actor("corporation", h.corporation),
                                h.case_number or "", name, payload)

    # --- the signal -------------------------------------------------------------------

    def make_household(self, number: int) -> Household:
        rng, cfg = self.rng, self.config
        corporation = self.draw_corporation()
        spread = cfg.corporation_municipalities[corporation]
        municipality = rng.choices(list(spread), list(spread.values()))[0]
        city, (low, high), streets = STREETS[municipality]
        rent = round(min(880.0, max(420.0, rng.gauss(640, 110))), 2)
        months = rng.choice((1, 2, 2, 3))
        amount = round(rent * rng.uniform(1.0, 2.0), 2)
        if self.clock.now().date() <= self.until - timedelta(days=EVICTION_DAYS):
            self.eviction_signals_seen += 1
        fate = self.draw_fate()
        while fate == "duplicate" and not self.open_addresses:
            fate = self.draw_fate()
        if fate == "below_threshold":
            amount, months = round(rng.uniform(20, 74), 2), 1
        name = (f"{rng.choice(FIRST_NAMES)} {rng.choice(PREFIXES)}{rng.choice(SURNAMES)} "
                "(synthetisch)")
        postcode = f"{rng.randint(low, high)} {rng.choice(LETTERS)}{rng.choice(LETTERS)}"
        house = str(rng.randint(9001, 9999))
        signal: dict[str, Any] = {
            "external_id": f"DEMO-{corporation[:4].upper()}-{number:05d}",
            "tenant": {"name": name, "street": rng.choice(streets), "house_number": house,
                       "postcode": postcode, "city": city, "phone": None,
                       "email": f"huurder{number:05d}@demo.invalid",
                       "date_of_birth": date(rng.randint(1945, 2004), rng.randint(1, 12),
                                             rng.randint(1, 28)).isoformat()},
            "arrears": {"amount": amount, "months": months},
            "monthly_rent": rent,
            "crisis": rng.random() < cfg.crisis,
            "warm_handover": rng.random() < cfg.warm_handover,
        }
        if fate in ("below_threshold", "duplicate"):  # these would be picked up anyway
            signal["crisis"] = signal["warm_handover"] = False
        household = Household(number, corporation, municipality, fate, signal)
        recent = [n for day, n in self.closed_addresses.get(corporation, [])
                  if day >= self.clock.now().date() - timedelta(days=365)]
        earlier = None
        if fate != "duplicate" and recent and rng.random() < cfg.repeat_households:
            earlier = self.db.scalars(select(Case).where(
                Case.case_number == rng.choice(recent))).one()
            if households.look_up(self.db, earlier.postcode, earlier.house_number,
                                  self.clock.now()).open_case is not None:
                earlier = None  # the household has a running case again: no repeat
        if earlier is not None:
            signal["tenant"].update(postcode=earlier.postcode, house_number=earlier.house_number,
                                    street=earlier.street, city=earlier.city,
                                    name=earlier.tenant_name)
            household.municipality = earlier.municipality
        if fate == "duplicate" and self.open_addresses:
            case_number, postcode, house = rng.choice(self.open_addresses)
            earlier = self.db.scalars(select(Case).where(Case.case_number == case_number)).one()
            signal["tenant"].update(postcode=postcode, house_number=house,
                                    street=earlier.street, city=earlier.city)
            # the same debt, not higher (a higher one would be picked up: engine.households)
            signal["arrears"]["amount"] = min(amount, float(earlier.arrears_amount))
            household.municipality = earlier.municipality
            household.corporation = earlier.corporation
            signal["external_id"] = f"DEMO-{earlier.corporation[:4].upper()}-{number:05d}"
        household.summons = fate not in ("below_threshold", "duplicate") and \
            rng.random() < cfg.summons_during_outreach
        self.corporation_counts[household.corporation] += 1
        return household

    def draw_corporation(self) -> str:
        """A corporation by stock weight, drawn among those behind their share so far: the
        split matches the weights closely for any number of signals, not only on average."""
        weights = self.config.corporation_weights
        made = sum(self.corporation_counts.values()) + 1
        behind = [max(0.0, share * made - self.corporation_counts[name])
                  for name, share in weights.items()]
        if not any(behind):
            behind = list(weights.values())
        return self.rng.choices(list(weights), behind)[0]

    def draw_fate(self) -> str:
        rng, cfg = self.rng, self.config
        if rng.random() < cfg.not_picked_up:
            return ("duplicate" if rng.random() < cfg.duplicate_share_of_not_picked_up
                    else "below_threshold")
        if rng.random() < cfg.referred_without_contact:
            return "care_without_consent"
        if rng.random() >= cfg.reached:
            return ("contact_lost" if rng.random() < cfg.contact_lost_share_of_not_reached
                    else "no_contact_attempts" if rng.random() < 0.3 else "no_contact_timeout")
        outcomes = cfg.reached_outcomes
        fate = rng.choices(list(outcomes), list(outcomes.values()))[0]
        if fate == "arrangement":
            self.arrangements_drawn += 1
            if self.arrangements_kept + 0.5 <= cfg.arrangements_kept * self.arrangements_drawn:
                self.arrangements_kept += 1
            else:
                fate = "evicted" if self.eviction_due() else "broken"
        return fate

    def eviction_due(self) -> bool:
        """Whether this broken arrangement ends in eviction, keeping evictions on pace."""
        if self.clock.now().date() > self.until - timedelta(days=EVICTION_DAYS):
            return False
        on_pace = self.eviction_target * self.eviction_signals_seen / \
            max(1, self.eviction_signals)
        if self.evictions_planned + 0.5 > on_pace:
            return False
        self.evictions_planned += 1
        return True

    # --- lives ------------------------------------------------------------------------

    def life(self, h: Household) -> Life:
        actor = self.actor("corporation", h.corporation)
        result = intake.report_signal(self.ctx, self.db, actor, h.signal, synthetic=True)
        h.case_number = result.case_number
        h.municipality = result.municipality
        h.received = self.clock.now().date()
        if h.fate in ("duplicate", "below_threshold") or \
                self.open_task(h, "record_first_contact_attempt") is None:
            yield from self.close(h, 0.5, 3)
            return
        self.open_addresses.append((h.case_number, self.db.scalars(
            select(Case.postcode).where(Case.case_number == h.case_number)).one(),
            str(h.signal["tenant"]["house_number"])))
        if h.summons:  # the corporation summons once the arrears reach three months
            months = int(h.signal["arrears"]["months"])
            self.push(self.later(max(0, 3 - months) * 30 + self.rng.uniform(5, 25)),
                      self.legal_track(h), household=h)
        yield self.later(self.lognormal_days(3 * 7 / 5, 10 * 7 / 5))
        yield from self.outreach(h)
        if h.fate in ("no_contact_attempts", "no_contact_timeout"):
            yield from self.close(h, 0.5, 3)
            return
        yield from self.after_contact(h)

    def legal_track(self, h: Household) -> Life:
        """A summons (reopening the file when the case has closed), crisis contact, and for
        some a judgment and a last-chance agreement; a reopened case closes after outreach."""
        rng = self.rng
        number = h.case_number
        hearing = self.later(rng.uniform(28, 42)).date()
        self.report(h, "court_summons", hearing_date=hearing.isoformat())
        case = self.db.scalars(select(Case).where(Case.case_number == number)).one()
        follow = households.current_case(self.db, case)
        reopened = Household(h.number, h.corporation, h.municipality, "reopened", h.signal,
                             follow.case_number, received=self.clock.now().date())
        target = reopened if follow.case_number != number else h
        if target is reopened:  # its own outreach: nobody answers, a home visit or card last
            self.push(self.later(self.lognormal_days(2, 5)),
                      self.unreached(reopened, rng.randint(1, 3)), household=reopened)
        yield self.later(rng.uniform(0.5, 2.5))
        self.complete_if_open(target, "act_on_court_summons", {
            "crisis_contact_date": self.today(), "crisis_contact_made": rng.random() < 0.6,
            "crisis_measures": rng.choice(("payment_arrangement", "debt_assistance",
                                           "special_assistance", "none"))})
        yield from self.prepare_hearing(target, hearing)
        if rng.random() < self.config.judgments_share_of_summonses:
            yield datetime(hearing.year, hearing.month, hearing.day, 13, 0, tzinfo=UTC)
            self.report(target, "judgment", judgment_date=self.today(),
                        outcome="payment_order")
            yield self.later(rng.uniform(1, 5))
            self.complete_if_open(target, "consider_last_chance_agreement", {
                "last_chance_offered": True, "eviction_postponed": False})

    def prepare_hearing(self, h: Household, hearing: date) -> Life:
        """The social team prepares the hearing on the working day before it (the reminder
        task comes three working days ahead)."""
        day = hearing - timedelta(days=1)
        while not is_working_day(day):
            day -= timedelta(days=1)
        yield datetime(day.year, day.month, day.day, 9, self.rng.randint(0, 59), tzinfo=UTC)
        self.complete_if_open(h, "prepare_court_hearing", {
            "hearing_preparation": self.rng.choice(("tenant_attends", "written_defence",
                                                    "no_contact", "no_contact"))})

    def unreached(self, h: Household, attempts: int) -> Life:
        """Outreach that reaches nobody: ``attempts`` attempts, the last a home visit or a
        card through the door (required before "no contact", issue 10 item 7); the six-week
        limit then ends the outreach and the case closes as "Geen contact"."""
        for number in range(attempts):
            first = number == 0
            if not first:
                yield self.later(self.rng.uniform(3, 7))
            yield from self.wait_for(h, "record_first_contact_attempt" if first
                                     else "record_contact_attempt")
            self.attempt(h, False, first, visit=number == attempts - 1)
        deadline = h.received + timedelta(days=43)
        yield self.later((deadline - self.clock.now().date()).days)
        yield from self.close(h, 0.5, 3, patience=30)

    def complete_if_open(self, h: Household, bpmn_id: str, data: dict[str, Any]) -> None:
        if self.open_task(h, bpmn_id) is not None:
            self.complete(h, bpmn_id, data)

    def attempt(self, h: Household, contact: bool, first: bool, visit: bool = False) -> None:
        """One attempt of a national kind (DDAS ``EnumContactsoort``); ``visit``: a home visit
        or a card through the door, which "no contact" needs first."""
        kinds = ("Huisbezoek", "Kaartje") if visit else (
            "Brief", "Telefoon", "Telefoon", "Huisbezoek", "Kaartje", "SMS/Whatsapp")
        self.complete(h, "record_first_contact_attempt" if first else "record_contact_attempt", {
            "attempt_date": self.today(),
            "attempt_type": self.rng.choice(kinds),
            "day_part": self.rng.choice(("morning", "afternoon", "afternoon", "evening")),
            "contact_made": contact})

    def outreach(self, h: Household) -> Life:
        rng = self.rng
        if h.fate == "no_contact_attempts":
            attempts, contact = 5, False
        elif h.fate == "no_contact_timeout":
            attempts, contact = rng.randint(1, 2), False
        else:
            attempts, contact = rng.choice((1, 1, 2, 2, 3)), True
        for number in range(attempts):
            first = number == 0
            if first:
                yield from self.wait_for(h, "record_first_contact_attempt")
            else:
                yield self.later(rng.uniform(2, 7) if contact else rng.uniform(3, 8))
                yield from self.wait_for(h, "record_contact_attempt")
            last = number == attempts - 1
            self.attempt(h, contact and last, first, visit=last and not contact)
        if h.fate == "no_contact_timeout":  # the six-week limit ends the outreach
            deadline = h.received + timedelta(days=43)
            yield self.later((deadline - self.clock.now().date()).days)
            yield from self.wait_for(h, "confirm_case_closure")

    def after_contact(self, h: Household) -> Life:
        rng = self.rng
        if h.fate == "paid":
            yield self.later(rng.uniform(2, 20))
            self.report(h, "arrears_resolved")
            yield from self.close(h, 0.5, 3)
            return
        yield self.later(self.lognormal_days(7, 18))
        yield from self.wait_for(h, "hold_kitchen_table_conversation")
        lost_at_plan = h.fate == "contact_lost" and \
            rng.random() < self.config.contact_lost_at_plan
        if h.fate == "contact_lost" and not lost_at_plan:  # reached once, then silent
            self.complete(h, "hold_kitchen_table_conversation", {
                "conversation_date": self.today(), "contact_lost": True})
            yield from self.close(h, 0.5, 3)
            return
        help_wanted = h.fate != "declined"
        debts = h.fate in ("financial", "known") and rng.random() < 0.4
        self.complete(h, "hold_kitchen_table_conversation", {
            "conversation_date": self.today(), "help_wanted": help_wanted,
            "consent_data_sharing": rng.random() < 0.9, "other_debts": debts,
            "children_in_household": rng.random() < 0.25})
        if not help_wanted:
            yield from self.close(h, 0.5, 3)
            return
        yield from self.wait_for(h, "score_zrm")
        self.complete(h, "score_zrm", self.zrm_scores(h))
        yield from self.wait_for(h, "agree_action_plan")
        if lost_at_plan:  # talked once, then no longer answers before the plan is agreed
            yield self.later(rng.uniform(5, 15))
            self.complete(h, "agree_action_plan", {
                "plan_summary": "Plan van aanpak niet afgerond",
                "route_choice": "contact_lost",
                "route_choice_reason": "Huurder reageert niet meer op afspraken"})
            yield from self.close(h, 0.5, 3)
            return
        self.complete(h, "agree_action_plan", {"plan_summary": "Plan van aanpak besproken",
                                               "route_choice": "follow_advice"})
        if h.fate in ("arrangement", "broken", "evicted"):
            yield from self.arrangement(h)
        elif h.fate in ("care", "care_without_consent"):
            yield from self.care(h)
        else:
            outcome = "already_known" if h.fate == "known" else \
                "debt_mediation_started" if debts else "advice_completed"
            yield from self.sdd(h, "debt_mediation" if debts else "budget_advice", outcome)
        yield from self.close(h, 0.5, 3)

    def zrm_scores(self, h: Household) -> dict[str, Any]:
        rng = self.rng
        domains = ("finances", "work_education", "use_of_time", "housing",
                   "domestic_relations", "mental_health", "physical_health", "substance_use",
                   "basic_adl", "instrumental_adl", "social_network",
                   "community_participation", "justice")
        scores = {d: rng.choice((4, 4, 5)) for d in domains}
        if h.fate in ("arrangement", "broken", "evicted"):
            scores["finances"] = rng.choice((3, 3, 3, 4))
        elif h.fate in ("care", "care_without_consent"):
            scores["finances"] = 2
            for domain in rng.sample(("mental_health", "social_network", "work_education",
                                      "substance_use"), 2):
                scores[domain] = rng.choice((1, 2))
        else:
            scores["finances"] = rng.choice((1, 2, 2))
        # correlated lower scores, not acute
        if rng.random() < 0.15 and h.fate not in ("care", "care_without_consent"):
            scores[rng.choice(("mental_health", "social_network", "work_education"))] = 3
        data: dict[str, Any] = {"zrm_date": self.today()}
        for domain, score in scores.items():
            data[f"zrm_{domain}"] = score
            data[f"zrm_{domain}_note"] = "Synthetische toelichting"
        return data

    def arrangement(self, h: Household) -> Life:
        """The social team proposes, the corporation accepts and confirms every month's
        instalment for the agreed term (kept), or reports a missed one after a few (broken)."""
        rng = self.rng
        yield from self.wait_for(h, "request_payment_arrangement")
        instalment = rng.choice((50, 75, 100, 125, 150))
        term = rng.randint(6, 12)
        self.complete(h, "request_payment_arrangement", {
            "proposed_instalment": instalment, "proposed_term_months": term,
            "income_checked": True})
        yield self.later(rng.uniform(2, 7))
        self.complete(h, "review_payment_arrangement", {
            "arrangement_accepted": True, "agreed_instalment": instalment,
            "arrangement_term_months": term,
            "arrangement_start_date": self.later(3).date().isoformat(),
            "direct_debit": rng.random() < 0.6})
        paid = {"arrangement": term, "broken": rng.randint(0, 1)}.get(h.fate, 0)
        for _month in range(paid):
            yield self.later(rng.uniform(27, 33))
            self.report(h, "arrangement_payment_received")
        if h.fate == "arrangement":  # kept: every agreed month confirmed, then closure
            yield from self.wait_for(h, "confirm_case_closure")
            return
        yield self.later(rng.uniform(15, 35) if h.fate == "evicted" else rng.uniform(20, 45))
        self.report(h, "arrangement_broken")
        yield self.later(rng.uniform(0.5, 3))
        self.complete(h, "follow_up_broken_arrangement", {
            "broken_contact_made": rng.random() < 0.7,
            "next_step": rng.choice(("budget_advice", "debt_mediation"))})
        if h.fate == "broken":
            yield from self.sdd(h, "debt_mediation", rng.choice(
                ("debt_mediation_started", "advice_completed")))
        else:
            yield from self.eviction(h)

    def sdd(self, h: Household, service: str, outcome: str) -> Life:
        rng = self.rng
        yield self.later(rng.uniform(0.5, 3))
        yield from self.wait_for(h, "prepare_sdd_referral")
        consent = rng.random() < 0.85
        data: dict[str, Any] = {"sdd_service": service, "referral_summary": "Verwijzing SDD",
                                "consent_given": consent}
        if not consent:
            data["legal_ground"] = "wgs_public_task"
        self.complete(h, "prepare_sdd_referral", data)
        yield self.later(self.lognormal_days(14, 32))
        self.complete(h, "hold_sdd_intake", {
            "sdd_intake_date": self.today(),
            "sdd_trajectory": "none" if outcome in ("already_known", "client_withdrew") else
            rng.choice(("budget_advice", "stabilisation", "amicable_settlement"))})
        yield self.later(rng.uniform(5, 30))
        self.complete(h, "report_sdd_outcome", {"sdd_outcome": outcome,
                                                "sdd_outcome_date": self.today()})

    def care(self, h: Household) -> Life:
        """A Meldpunt referral: with consent, or without it (bemoeizorg, "Verwijzing zonder
        contact") for the households drawn so."""
        rng = self.rng
        yield self.later(rng.uniform(0.5, 2))
        yield from self.wait_for(h, "prepare_care_referral")
        consent = h.fate != "care_without_consent"
        data: dict[str, Any] = {"care_referral_summary": "Meervoudige problematiek",
                                "care_consent_given": consent,
                                "care_urgency": rng.choice(("regular", "urgent"))}
        if not consent:
            data["care_legal_ground"] = rng.choice(("vital_interest", "care_avoider"))
        self.complete(h, "prepare_care_referral", data)
        yield self.later(rng.uniform(2, 9))
        self.complete(h, "report_care_referral_outcome", {
            "care_outcome": rng.choice(("guided_into_care", "accepted", "accepted")),
            "care_outcome_date": self.today()})

    def eviction(self, h: Household) -> Life:
        """Broken arrangement, SDD referral that stalls, and the legal track to the end."""
        rng = self.rng
        yield self.later(rng.uniform(1, 3))
        yield from self.wait_for(h, "prepare_sdd_referral")
        self.complete(h, "prepare_sdd_referral", {
            "sdd_service": "debt_mediation", "referral_summary": "Verwijzing SDD",
            "consent_given": True})
        yield self.later(rng.uniform(2, 6))
        # the corporation summons only at three months' arrears or more (§7.5)
        behind = months_behind(float(h.signal["arrears"]["months"]), h.received,
                               self.clock.now().date())
        if behind < 3:
            yield self.later((3 - behind) * 30.5 + 1)
        hearing = self.later(21).date()
        self.report(h, "court_summons", hearing_date=hearing.isoformat())
        yield self.later(rng.uniform(0.5, 2.5))
        self.complete(h, "act_on_court_summons", {
            "crisis_contact_date": self.today(), "crisis_contact_made": rng.random() < 0.5,
            "crisis_measures": rng.choice(("debt_assistance", "last_chance", "none"))})
        yield from self.prepare_hearing(h, hearing)
        yield datetime(hearing.year, hearing.month, hearing.day, 13, 0, tzinfo=UTC)
        self.report(h, "judgment", judgment_date=self.today(),
                    outcome="rescission_and_eviction")
        yield self.later(rng.uniform(1, 5))
        self.complete(h, "consider_last_chance_agreement", {
            "last_chance_offered": False, "eviction_postponed": False})
        yield self.later(rng.uniform(2, 6))
        eviction_day = self.later(14).date()
        self.report(h, "eviction_date_set", eviction_date=eviction_day.isoformat())
        yield self.later(rng.uniform(0.5, 2.5))
        self.complete(h, "act_on_eviction_date", {
            "crisis_contact_date": self.today(), "crisis_contact_made": rng.random() < 0.5,
            "crisis_measures": rng.choice(("debt_assistance", "last_chance", "none"))})
        yield datetime(eviction_day.year, eviction_day.month, eviction_day.day, 9, 0,
                       tzinfo=UTC)
        self.report(h, "eviction_executed")

    def close(self, h: Household, low: float, high: float, patience: int = 30) -> Life:
        yield from self.wait_for(h, "confirm_case_closure", patience=patience)
        yield self.later(self.rng.uniform(low, high))
        self.complete(h, "confirm_case_closure", {"closure_date": self.today()})
        self.open_addresses = [a for a in self.open_addresses if a[0] != h.case_number]
        self.closed_addresses.setdefault(h.corporation, []).append(
            (self.clock.now().date(), h.case_number or ""))

    # --- the leads ------------------------------------------------------------------

    def handle_escalations(self) -> None:
        """Team leads handle escalations a day or two after they appear: each the lead of the
        organisation whose task was late (the social team's, the SDD's, the Meldpunt's)."""
        cutoff = self.clock.now() - timedelta(days=1)
        rows = self.db.execute(select(HumanTask.id, HumanTask.municipality, HumanTask.role,
                                      HumanTask.bpmn_id).where(
            HumanTask.state == "open", HumanTask.bpmn_id.in_(
                ("escalate_first_contact_overdue", "escalate_conversation_overdue",
                 "escalate_sdd_intake_overdue", "escalate_sdd_decision_overdue",
                 "escalate_care_response_overdue", *LEGAL_ESCALATIONS)),
            HumanTask.created_at < cutoff)
            # Timers fire in batches at one moment: the instance breaks the tie, never the
            # task's random id, so the same seed gives the same year.
            .order_by(HumanTask.created_at, HumanTask.instance_id, HumanTask.bpmn_id)).all()
        for task_id, municipality, role, bpmn_id in rows:
            if self.rng.random() < 0.4:
                continue
            org = {"budget_advice_lead": "sdd", "care_referral_lead": "veilig-thuis"}.get(
                role or "", municipality or "dordrecht")
            lead = self.actor(role or "social_team_lead", org)
            tasks.claim_task(self.ctx, self.db, lead, task_id)
            data = ({"eviction_escalation_action": self.rng.choice((
                "home_visit_planned", "consulted_corporation", "no_action_possible"))}
                if bpmn_id in LEGAL_ESCALATIONS else {
                "escalation_action": self.rng.choice(("reassigned", "caseworker_contacted",
                                                      "delay_accepted"))})
            tasks.complete_task(self.ctx, self.db, lead, task_id, data)

    # --- the run ------------------------------------------------------------------

    def signal_days(self) -> list[date]:
        """The day of every signal: working days, weighted by season, ±10 % noise."""
        days = [self.first + timedelta(days=n) for n in range(self.days)]
        working = [d for d in days if is_working_day(d)] or days
        weights = [self.config.month_factor.get(d.month, 1.0) * self.rng.uniform(0.9, 1.1)
                   for d in working]
        return sorted(self.rng.choices(working, weights, k=self.total))

    def run(self) -> None:
        signal_days = Counter(self.signal_days())
        self.eviction_target = round(self.config.evictions_per_1800_signals * self.total / 1800)
        last_eviction_signal = self.until - timedelta(days=EVICTION_DAYS)
        self.eviction_signals = sum(n for d, n in signal_days.items()
                                    if d <= last_eviction_signal)
        numbers = itertools.count(1)
        day = self.first
        while day <= self.until:
            start = datetime(day.year, day.month, day.day, 6, 0, tzinfo=UTC)
            self.clock.set(start)
            # One transaction a day: the night's timers, the day's work, the leads, the
            # evening's timers (the worker would commit every timer on its own).
            with self.ctx.sessionmaker.begin() as session:
                self.session = session
                self._fire()
                for _ in range(signal_days.get(day, 0)):
                    moment = start + timedelta(minutes=self.rng.randint(60, 9 * 60))
                    self.push(moment, None, number=next(numbers))
                end = start + timedelta(hours=11)
                while self.queue and self.queue[0][0] < end:
                    moment, _, household, life = heapq.heappop(self.queue)
                    self.clock.set(max(moment, self.clock.now()))
                    self.advance(household, life)
                self.clock.set(end)
                self.handle_escalations()
                self._fire()
                self.session = None
            day += timedelta(days=1)

    def push(self, moment: datetime, life: Life | None, number: int = 0,
             household: Household | None = None) -> None:
        if life is None:  # a new signal: its household is made when it arrives
            household = Household(number, "", "", "pending", {})
        assert household is not None
        heapq.heappush(self.queue, (moment, next(self.order), household,
                                    life or iter(())))

    def advance(self, h: Household, life: Life) -> None:
        if h.fate == "pending":
            h = self.make_household(h.number)
            life = self.life(h)
        moment = self.step(life)
        if moment is Diverted:
            life = self.close(h, 0.5, 3)
            moment = self.step(life)
        if isinstance(moment, datetime):
            self.push(moment, life, household=h)

    def step(self, life: Life) -> datetime | type[Diverted] | None:
        """Run a life to its next pause, in a savepoint (a diverted step writes nothing)."""
        try:
            with self.db.begin_nested():
                return next(life, None)
        except Diverted:
            return Diverted

    def _fire(self) -> None:
        """Every due timer, in the order the worker fires them (``timers.claim_due``), each
        in a savepoint of the day's transaction instead of a transaction of its own."""
        while (row := timers.claim_due(self.db, self.clock.now())) is not None:
            instance_id = row.id
            try:
                with self.db.begin_nested():
                    timers.fire(self.ctx, self.db, row)
            except Exception as failure:  # as the worker: recorded and backed off
                timers.record_failure(self.ctx, self.db, instance_id, failure)


def _ensure_actors(ctx: EngineContext, session: Session) -> dict[tuple[str, str], Actor]:
    """The demo users (``engine.chain.demo.seed_users``) as actors, one per role and org."""
    seed_users(ctx, session)
    actors: dict[tuple[str, str], Actor] = {}
    for user in session.scalars(select(User).order_by(User.id)):
        actor = users.actor_for(user)
        actors.setdefault((actor.role, actor.organisation), actor)
    return actors


def report(session: Session) -> SeedReport:
    """The counts of the synthetic cases in the database (read back, not planned)."""
    result = SeedReport()
    synthetic = select(Case.case_number).where(Case.synthetic.is_(True))
    first, last = session.execute(select(func.min(Case.created_at), func.max(
        Case.created_at)).where(Case.synthetic.is_(True))).one()
    result.first_day = first.date() if first else None
    result.last_day = last.date() if last else None
    recent = (last - timedelta(days=42)) if last else None
    # each case's arrears at the signal and when it came: the summonses' arrears follow
    signalled: dict[str, tuple[float, date]] = {}
    waiting = dict(session.execute(
        select(ProcessInstance.business_key, ProcessInstance.current_elements).where(
            ProcessInstance.business_key.in_(synthetic),
            ProcessInstance.process_id == "arrears_case",
            ProcessInstance.status != "completed")).tuples().all())
    for (number, corporation, municipality, milestone, closed, repeat, opened_by, created,
         months) in session.execute(
            select(Case.case_number, Case.corporation, Case.municipality, Case.milestone,
                   Case.closed, Case.repeat, Case.opened_by, Case.created_at,
                   Case.arrears_months).where(Case.synthetic.is_(True))):
        signalled[number] = (float(months or 0), created.date())
        if not closed:
            result.open_cases += 1
            result.open_recent += recent is not None and created >= recent
            result.open_by_stage[open_stage(list(waiting.get(number) or []))] += 1
        if (opened_by or "").startswith("reopened:"):  # the household's file, not a signal
            result.reopened += 1
            continue
        result.repeats += bool(repeat)
        result.signals += 1
        result.by_corporation[corporation] += 1
        result.by_municipality[municipality] += 1
        result.not_picked_up += milestone == "not_picked_up"
    instances = select(ProcessInstance.id).where(ProcessInstance.business_key.in_(synthetic))

    def instances_with(*elements: str) -> set[int]:
        found = session.scalars(select(Event.instance_id).where(
            Event.instance_id.in_(instances), Event.element_id.in_(elements),
            Event.kind.in_(("element_completed", "timer_fired")))).all()
        return {i for i in found if i is not None}

    contact = instances_with("record_contact")
    ended = contact | instances_with("record_no_contact", "record_outreach_timeout")
    at_conversation = instances_with("record_contact_lost")
    at_desk = instances_with("report_sdd_outcome", "follow_up_care_not_accepted")
    lost: set[int] = set()
    for instance_id, data in session.execute(select(ProcessInstance.id, ProcessInstance.data)
                                             .where(ProcessInstance.id.in_(instances),
                                                    ProcessInstance.status == "completed")):
        reason = (data or {}).get("closure_reason", "unknown")
        result.outcomes[reason] += 1
        if reason == "contact_lost":
            lost.add(instance_id)
            result.contact_lost_at["conversation" if instance_id in at_conversation else
                                   "desk" if instance_id in at_desk else "plan"] += 1
    result.outreach_ended = len(ended)
    result.reached = len(contact - lost)
    result.arrangements_kept = len(instances_with("record_arrangement_kept"))
    result.arrangements_broken = len(instances_with("record_referral_route"))
    payments: Counter[str] = Counter()
    broken: set[str] = set()
    for name, number, received in session.execute(
            select(Message.name, Message.correlation_value, Message.received_at).where(
                Message.name.in_(("arrangement_payment_received", "arrangement_broken",
                                  "court_summons")),
                Message.correlation_value.in_(synthetic))
            .order_by(Message.received_at, Message.id)):
        if name == "court_summons":
            result.summonses += 1
            months, on = signalled.get(number or "", (0.0, received.date()))
            result.summonses_at_three_months += months_behind(months, on, received.date()) >= 3
        elif name == "arrangement_broken":
            if payments[number] < 3:
                result.broken_within_three_months += number not in broken
            broken.add(number)
        elif number not in broken:
            payments[number] += 1
    result.kept_three_months = sum(1 for n in payments.values() if n >= 3)
    result.judgments = session.scalar(select(func.count()).select_from(Message).where(
        Message.name == "judgment", Message.correlation_value.in_(synthetic))) or 0
    result.escalations = session.scalar(select(func.count()).select_from(HumanTask).where(
        HumanTask.bpmn_id.startswith("escalate_"),
        HumanTask.instance_id.in_(instances))) or 0
    result.open_tasks = session.scalar(select(func.count()).select_from(HumanTask).where(
        HumanTask.state.in_(("open", "claimed")), HumanTask.instance_id.in_(instances))) or 0
    return result


#: Pragmas of the seeding run's own SQLite connections (on top of ``engine.db``'s WAL, busy
#: timeout and foreign keys). Seeding fills a fresh database once, before the server starts
#: (``ketenflow seed-demo`` refuses to run beside a timer loop), so it may trade durability for
#: speed: ``synchronous=OFF`` skips the fsyncs (a power cut mid-seed leaves a database to throw
#: away and seed again, nothing else), the savepoints' statement journals stay in memory, and
#: the page cache (128 MiB) holds the whole demo year (~100 MB) instead of SQLite's 2 MB. The
#: journal mode stays WAL and the server's connections keep ``engine.db``'s settings: these
#: apply to this engine only, which is disposed of when seeding ends. What is written is the
#: same.
SEEDING_PRAGMAS = ("PRAGMA synchronous=OFF", "PRAGMA temp_store=MEMORY",
                   "PRAGMA cache_size=-131072")


def _seeding_engine(db: Engine) -> Engine | None:
    """A SQLite engine of its own for the seeding run, with ``SEEDING_PRAGMAS``; None for
    other databases and in-memory SQLite (the run then uses the caller's engine)."""
    if db.dialect.name != "sqlite" or db.url.database in (None, "", ":memory:"):
        return None
    engine = make_engine(db.url.render_as_string(hide_password=False))

    def pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in SEEDING_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    event.listen(engine, "connect", pragmas)
    return engine


def has_demo_cases(ctx: EngineContext) -> bool:
    """Whether synthetic cases were seeded already (seeding runs once per database)."""
    with ctx.sessionmaker() as session:
        return session.scalar(select(Case.id).where(Case.synthetic.is_(True)).limit(1)) \
            is not None


def seed_year(ctx: EngineContext, seed: int = 1, signals: int = 1800, days: int = 365,
              until: date | None = None, config: DemoConfig | None = None) -> SeedReport:
    """Seed ``signals`` synthetic signals over the ``days`` days ending ``until`` (default
    yesterday) through the real engine; returns the counts read back from the database.

    Expects the chain (processes/) deployed and the organisations loaded.
    """
    started = time.monotonic()
    until = until or (datetime.now(UTC).date() - timedelta(days=1))
    seeding_db = _seeding_engine(ctx.db)
    seeding = ctx if seeding_db is None else replace(
        ctx, db=seeding_db, sessionmaker=make_sessionmaker(seeding_db))
    try:
        seeder = Seeder(seeding, seed, signals, days, until, config or DemoConfig())
        with seeder.ctx.sessionmaker.begin() as session:
            seeder.actors = _ensure_actors(seeder.ctx, session)
        seeder.run()  # milestones follow every step (cases.after_step)
    finally:
        if seeding_db is not None:
            seeding_db.dispose()
    with ctx.sessionmaker() as session:
        result = report(session)
    result.seconds = time.monotonic() - started
    return result
