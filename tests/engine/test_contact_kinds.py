"""The attempt kinds are the national ``EnumContactsoort`` values, in the forms and the engine."""

from __future__ import annotations

import json
from pathlib import Path

from engine.chain.contact_kinds import AT_THE_DOOR, LEGACY, NATIONAL, national_kind

ROOT = Path(__file__).resolve().parents[2]
#: ``$defs.EnumContactsoort.enum`` of the DDAS Vroegsignalering v0.9 exchange schema
#: (json_schema_Uitwisselmodel.json), written out here in its order.
ENUM_CONTACTSOORT = ("Mail", "Brief", "SMS/Whatsapp", "Telefoon", "Huisbezoek", "Kaartje",
                     "Overige", "Administratief")


def test_the_list_is_the_national_one() -> None:
    assert NATIONAL == ENUM_CONTACTSOORT


def test_both_attempt_forms_offer_exactly_the_national_kinds_with_titles() -> None:
    for name in ("record_first_contact_attempt", "record_contact_attempt"):
        form = json.loads((ROOT / "processes/outreach/forms" / f"{name}.json").read_text())
        kind = form["properties"]["attempt_type"]
        assert sorted(kind["enum"]) == sorted(NATIONAL), name
        assert len(kind["x-enum-titles"]) == len(kind["x-enum-titles-en"]) == len(NATIONAL)


def test_old_values_map_onto_the_national_list() -> None:
    assert set(LEGACY.values()) <= set(NATIONAL)
    assert national_kind("home_visit") == "Huisbezoek"
    assert national_kind("card_at_door") == "Kaartje"
    assert national_kind("Telefoon") == "Telefoon"
    assert national_kind("fax") is None and national_kind(None) is None
    assert AT_THE_DOOR <= set(NATIONAL)
    # the outreach script names the same kinds as reaching the door
    bpmn = (ROOT / "processes/outreach/outreach.bpmn").read_text()
    assert 'attempt_type in ["Huisbezoek", "Kaartje"]' in bpmn
