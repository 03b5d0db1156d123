"""The national DDAS delivery (issue 12 item 5): valid against the published schema, counts that
agree with the database, nothing of a household that the specification does not need."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from engine import deployments
from engine.access import SYSTEM
from engine.chain import ddas_export, intake
from engine.chain.ddas_export import export_delivery, parse_period
from engine.chain.demo_cases import seed_year
from engine.chain.national_results import EINDRESULTATEN
from engine.context import EngineContext
from engine.errors import InvalidInput, NotAllowed
from engine.models import Case, CaseRecord, Event, HumanTask
from tests.casework import complete_claimed, signal
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
#: The repository's copy of the national schema (VNG Realisatie, DDAS Vroegsignalering v0.9).
SCHEMA = json.loads((ROOT / "engine" / "chain" / "ddas" / "json_schema_Uitwisselmodel.json")
                    .read_text(encoding="utf-8"))
CODES = {"dordrecht": "0505", "zwijndrecht": "0642", "hendrik-ido-ambacht": "0531",
         "papendrecht": "0590", "sliedrecht": "0610", "alblasserdam": "0482"}
UNTIL = date(2026, 3, 31)
DAYS = 60


def _valid(content: dict[str, Any]) -> None:
    validator = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
    problems = [f"{'/'.join(map(str, e.path))}: {e.message}"
                for e in validator.iter_errors(content)]
    assert problems == []


def _deploy(ctx: EngineContext) -> None:
    with ctx.sessionmaker.begin() as session:
        deployments.deploy_path(ctx, session, SYSTEM, ctx.settings.processes_dir)


def _db_counts(ctx: EngineContext, start: date, end: date,
               municipality: str) -> dict[str, int]:
    """What the database holds for one municipality and period, counted independently of the
    export (signals by the day they arrived, Europe/Amsterdam)."""
    low, high = ddas_export._bounds(start, end)
    where = (Case.created_at >= low, Case.created_at < high, Case.municipality == municipality)
    signal_rows = (Case.opened_by.is_(None) | ~Case.opened_by.startswith("reopened:"))
    picked = Case.milestone.notin_(("received", "not_picked_up"))
    closed = (Case.closed.is_(True), Case.national_result.is_not(None))
    with ctx.sessionmaker() as session:
        def count(*more: Any) -> int:
            return int(session.scalar(select(func.count()).select_from(Case)
                                      .where(*where, *more)) or 0)
        attempts = session.scalar(
            select(func.count()).select_from(CaseRecord)
            .join(Case, Case.case_number == CaseRecord.case_number)
            .where(*where, CaseRecord.bpmn_id.in_(
                ("record_first_contact_attempt", "record_contact_attempt"))))
        return {"signals": count(signal_rows), "cases": count(), "results": count(*closed),
                "picked_up": count(picked), "contact_attempts": int(attempts or 0)}


def _levering_counts(levering: dict[str, Any]) -> dict[str, int]:
    cases = levering["vroegsignaalzaken"]
    return {"signals": len(levering["vroegsignalen"]), "cases": len(cases),
            "results": sum("resultaat" in c for c in cases),
            "picked_up": sum("datum_opgepakt" in c for c in cases),
            "contact_attempts": sum(len(c["contactpogingen"]) for c in cases)}


def test_demo_period_exports_valid_and_complete(ctx: EngineContext) -> None:
    _deploy(ctx)
    seed_year(ctx, seed=5, signals=70, days=DAYS, until=UNTIL)
    manager = make_user(ctx, "manager", "manager", "regio")
    start = UNTIL - timedelta(days=DAYS - 1)

    delivery = export_delivery(ctx, manager, start, UNTIL, channel="web")
    content = delivery.content
    _valid(content)
    assert content["startdatumLevering"] == start.isoformat()
    assert content["einddatumLevering"] == UNTIL.isoformat()
    leveringen = content["leveringen"]
    assert [lv["teller"] for lv in leveringen] == list(range(1, 7))
    assert {lv["gemeentecode"] for lv in leveringen} == set(CODES.values())

    total = {"signals": 0, "cases": 0, "results": 0, "picked_up": 0, "contact_attempts": 0}
    for levering in leveringen:
        slug = next(s for s, code in CODES.items() if code == levering["gemeentecode"])
        assert _levering_counts(levering) == _db_counts(ctx, start, UNTIL, slug), slug
        for name, value in _levering_counts(levering).items():
            total[name] += value
    assert total["signals"] > 0
    assert total["cases"] > 0 and total["results"] > 0 and total["contact_attempts"] > 0
    assert total["picked_up"] < total["cases"]  # not picked up: a case with its reason
    picked_up = total.pop("picked_up")
    assert (delivery.counts.signals, delivery.counts.cases, delivery.counts.results,
            delivery.counts.contact_attempts) == tuple(total.values())

    signals = [s for lv in leveringen for s in lv["vroegsignalen"]]
    cases = [c for lv in leveringen for c in lv["vroegsignaalzaken"]]
    assert {s["signaalpartner"]["type"] for s in signals} == {"Huur"}
    assert {s["client"].__len__() for s in signals} == {0}
    statuses = {s["status"] for s in signals}
    assert "Nog niet opgepakt" in statuses and "Niet opgepakt: herhaalde melding" in statuses
    results = {c["resultaat"] for c in cases if "resultaat" in c}
    assert results <= set(EINDRESULTATEN) and "Niet opgepakt: herhaalde melding" in results
    assert sum("datum_opgepakt" in c for c in cases) == picked_up
    # a signal not picked up has its reason as status when the list has it, and its case
    # the result
    result_of = {c["vroegsignalen"][0]["ID"]: c.get("resultaat") for c in cases}
    for s in signals:
        if s["status"] != "Nog niet opgepakt":
            assert result_of[s["ID"]] == s["status"] or s["status"] == \
                "Niet opgepakt: andere reden"
    # a zaak names a signal of this delivery (or, reopened, the earlier signal it follows)
    ids = {s["ID"] for s in signals}
    assert sum(c["vroegsignalen"][0]["ID"] in ids for c in cases) >= len(cases) - 5
    attempts = [a for c in cases for a in c["contactpogingen"]]
    assert {a["dagdeel"] for a in attempts} <= {"Ochtend", "Middag", "Avond"}
    assert {"Huisbezoek", "Telefoon"} <= {a["soort"] for a in attempts}
    assert {True, False} == {a["bereikt"] for a in attempts}

    # nothing of a household leaves the system
    text = delivery.json()
    with ctx.sessionmaker() as session:
        for name, street, postcode in session.execute(
                select(Case.tenant_name, Case.street, Case.postcode)).all():
            assert name not in text and street not in text and postcode not in text

    # the export is on record: who, which period, which municipalities, how many
    with ctx.sessionmaker() as session:
        event = session.scalars(select(Event).where(Event.kind == "ddas_export")).one()
    assert event.actor == "manager" and event.instance_id is None
    assert event.detail == {
        "role": "manager", "organisation": "regio", "channel": "web",
        "from": start.isoformat(), "to": UNTIL.isoformat(), "municipality": None,
        "municipalities": list(CODES), **total}

    # one municipality, part of the period: only its levering, its counts
    half = UNTIL - timedelta(days=20)
    one = export_delivery(ctx, manager, half, UNTIL, "dordrecht").content
    _valid(one)
    assert [lv["gemeentecode"] for lv in one["leveringen"]] == ["0505"]
    assert _levering_counts(one["leveringen"][0]) == _db_counts(ctx, half, UNTIL, "dordrecht")
    assert all(half.isoformat() <= s["signaaldatum"] <= UNTIL.isoformat()
               for s in one["leveringen"][0]["vroegsignalen"])


def test_one_case_exports_what_was_recorded(ctx: EngineContext) -> None:
    _deploy(ctx)
    corporation = make_user(ctx, "corp", "corporation", "woonbron")
    worker = make_user(ctx, "st", "social_team", "dordrecht")
    admin = make_user(ctx, "beheer", "admin", "regio")
    with ctx.sessionmaker.begin() as session:
        number = intake.report_signal(ctx, session, corporation, signal(
            external_id="WB-1", crisis=True, arrears={"amount": "812.50",
                                                       "since": "2026-03-01"})).case_number
    with ctx.sessionmaker.begin() as session:
        task_id = session.scalars(select(HumanTask.id).where(
            HumanTask.case_number == number, HumanTask.state == "open",
            HumanTask.bpmn_id == "record_first_contact_attempt")).one()
        complete_claimed(ctx, session, worker, task_id, {
            "attempt_type": "Telefoon", "attempt_date": "2026-04-23", "day_part": "evening",
            "contact_made": False, "attempt_note": "Geen gehoor, voicemail ingesproken"})
    today = ctx.clock.now().date()

    content = export_delivery(ctx, admin, today, today, "dordrecht").content
    _valid(content)
    levering = content["leveringen"][0]
    assert levering["aanleverende_organisatie"] == {"naam": "Gemeente Dordrecht"}
    assert levering["vroegsignalen"] == [{
        "ID": number, "crisissignaal": True, "warmeOverdracht": False, "bedrag": 813,
        "ontstaansdatum": "2026-03-01", "signaaldatum": today.isoformat(),
        "status": "Nog niet opgepakt", "signaalpartner": {"type": "Huur"}, "client": {}}]
    assert levering["vroegsignaalzaken"] == [{
        "datum_opgepakt": today.isoformat(), "vroegsignalen": [{"ID": number}],
        "contactpogingen": [{"soort": "Telefoon", "bereikt": False, "datum": "2026-04-23",
                             "dagdeel": "Avond"}]}]
    assert "voicemail" not in json.dumps(content)
    # the day before holds nothing, but still one levering per municipality
    empty = export_delivery(ctx, admin, today - timedelta(days=1),
                            today - timedelta(days=1)).content
    _valid(empty)
    assert all(lv["vroegsignalen"] == [] == lv["vroegsignaalzaken"]
               for lv in empty["leveringen"])


def test_contact_attempts_of_the_old_codes_and_gaps() -> None:
    assert ddas_export.contact_attempt({"attempt_type": "home_visit", "contact_made": True,
                                        "attempt_date": "2026-04-23"}) == {
        "soort": "Huisbezoek", "bereikt": True, "datum": "2026-04-23"}
    assert ddas_export.contact_attempt({"attempt_type": "pigeon", "day_part": "night",
                                        "attempt_date": "gisteren"}) == {}
    assert ddas_export.signal_status("not_picked_up", "Inwoner is overleden") == \
        "Inwoner is overleden"
    assert ddas_export.signal_status("not_picked_up", "Verwijzing zonder contact") == \
        "Niet opgepakt: andere reden"
    assert ddas_export.signal_status("not_picked_up", None) == "Nog niet opgepakt"
    assert ddas_export.signal_status("closed", "Inwoner is overleden") == "Nog niet opgepakt"


@pytest.mark.parametrize(("start", "end", "errors"), [
    ("", "2026-01-31", {"from": "vul een datum in (JJJJ-MM-DD)"}),
    ("2026-02-30", "2026-03-01", {"from": "'2026-02-30' is geen geldige datum (JJJJ-MM-DD)"}),
    ("2026-01-01", "31-01-2026", {"to": "'31-01-2026' is geen geldige datum (JJJJ-MM-DD)"}),
    ("20260101", "2026-W05-1", {"from": "'20260101' is geen geldige datum (JJJJ-MM-DD)",
                                "to": "'2026-W05-1' is geen geldige datum (JJJJ-MM-DD)"}),
    ("2026-02-01", "2026-01-31", {"to": "de einddatum ligt vóór de begindatum"}),
    ("2020-01-01", "2026-01-31", {"to": "een levering beslaat hoogstens 1098 dagen"}),
])
def test_period_errors_name_the_field(start: str, end: str, errors: dict[str, str]) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_period(start, end)
    assert raised.value.errors == errors


def test_who_may_export_what(ctx: EngineContext) -> None:
    day = date(2026, 4, 1)
    owner = make_user(ctx, "po", "process_owner", "regio")
    with pytest.raises(NotAllowed):
        export_delivery(ctx, owner, day, day)
    manager = make_user(ctx, "manager", "manager", "regio")
    with pytest.raises(InvalidInput) as raised:
        export_delivery(ctx, manager, day, day, "rotterdam")
    assert list(raised.value.errors) == ["municipality"]
    # a municipality's own manager exports that municipality only
    local = make_user(ctx, "mgr-sliedrecht", "manager", "sliedrecht")
    assert [lv["gemeentecode"] for lv in
            export_delivery(ctx, local, day, day).content["leveringen"]] == ["0610"]
    with pytest.raises(InvalidInput):
        export_delivery(ctx, local, day, day, "dordrecht")
    with ctx.sessionmaker() as session:
        logged = session.scalars(select(Event.actor).where(Event.kind == "ddas_export")).all()
    assert logged == ["mgr-sliedrecht"]  # refusals export nothing and log no export


CORRUPTIONS: list[Any] = [
    lambda d: None,
    lambda d: d["leveringen"][0]["vroegsignaalzaken"][0]["contactpogingen"][0].update(
        soort="Postduif"),
    lambda d: d["leveringen"][0]["vroegsignaalzaken"][0]["contactpogingen"][0].update(
        datum="2025-02-30"),
    lambda d: d["leveringen"][0]["vroegsignaalzaken"][0].update(resultaat="Ontruimd"),
    lambda d: d["leveringen"][0]["vroegsignalen"][0].update(bedrag=812.5),
    lambda d: d["leveringen"][0]["vroegsignalen"][0].update(naam="J. de Vries"),
    lambda d: d["leveringen"][0]["vroegsignalen"][0]["signaalpartner"].update(type="Bank"),
    lambda d: d["leveringen"][0]["vroegsignaalzaken"][0].update(vroegsignalen=[]),
    lambda d: d["leveringen"][0].pop("teller"),
    lambda d: d.pop("codeGegevensleverancier"),
]


@pytest.mark.parametrize("corrupt", CORRUPTIONS)
def test_the_exports_own_validator_judges_as_the_published_schema(corrupt) -> None:
    """The export checks each file with the schema's definitions written out in place (for
    speed); it accepts and refuses exactly what the published schema does."""
    document = json.loads(json.dumps(EXAMPLE))
    corrupt(document)
    published = Draft202012Validator(SCHEMA,
                                     format_checker=Draft202012Validator.FORMAT_CHECKER)
    expected = corrupt is CORRUPTIONS[0]  # only the untouched document is valid
    assert ddas_export._validator().is_valid(document) is published.is_valid(document) is \
        expected


EXAMPLE: dict[str, Any] = {
    "codeGegevensleverancier": "KETENFLOW", "startdatumLevering": "2025-01-01",
    "einddatumLevering": "2025-01-31", "aanleverdatumEnTijd": "2025-02-05T10:30:00Z",
    "leveringen": [{
        "teller": 1, "gemeentecode": "0505",
        "aanleverende_organisatie": {"naam": "Gemeente Dordrecht"},
        "vroegsignalen": [{"ID": "DR-2025-00001", "crisissignaal": False,
                           "warmeOverdracht": False, "bedrag": 813,
                           "signaaldatum": "2025-01-05", "status": "Nog niet opgepakt",
                           "signaalpartner": {"type": "Huur"}, "client": {}}],
        "vroegsignaalzaken": [{"resultaat": "(Budget)advies en/of quick fix",
                               "datum_opgepakt": "2025-01-05",
                               "vroegsignalen": [{"ID": "DR-2025-00001"}],
                               "contactpogingen": [{"soort": "Telefoon", "bereikt": True,
                                                    "datum": "2025-01-06",
                                                    "dagdeel": "Ochtend"}]}]}]}
