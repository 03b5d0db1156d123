"""POST /api/v1/signals and /signals/batch: idempotent intake, every bad field named, rows apart."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.chain.municipalities import municipality_for, normalise_postcode
from engine.models import AccessLog, Case, ProcessInstance
from tests.casework import POSTCODES, signal
from tests.factories import make_user
from tests.webclient import bearer


def count(ctx, model=Case):
    with ctx.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_signal_becomes_one_case_and_the_same_signal_again_returns_it(ctx, client, corp):
    first = client.post("/api/v1/signals", json=signal(), headers=corp)
    assert first.status_code == 201, first.json
    assert first.json["case_number"].startswith("DR-2026-")
    again = client.post("/api/v1/signals", json=signal(), headers=corp)
    assert again.status_code == 200
    assert again.json["case_number"] == first.json["case_number"]
    assert again.json["created"] is False
    assert count(ctx) == 1
    assert count(ctx, ProcessInstance) == 1


def test_another_corporation_may_use_the_same_external_id(ctx, client, corp):
    client.post("/api/v1/signals", json=signal(), headers=corp)
    other = client.post("/api/v1/signals", json=signal(), headers=bearer(ctx, org="trivire"))
    assert other.status_code == 201
    assert count(ctx) == 2


def test_five_bad_fields_give_one_422_naming_all_five(client, corp):
    body = signal(external_id="", tenant={"postcode": "ABCD 12", "date_of_birth": "2026-13-40"},
                  arrears={"amount": "veel", "months": 0})
    response = client.post("/api/v1/signals", json=body, headers=corp)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    fields = {e["field"] for e in response.json["errors"]}
    assert fields == {"external_id", "tenant/postcode", "tenant/date_of_birth",
                      "arrears/amount", "arrears/months"}


def test_missing_fields_and_unknown_fields_are_named(client, corp):
    response = client.post("/api/v1/signals", json={"tenant": {"name": "X"}, "extra": 1},
                           headers=corp)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json["errors"]}
    assert {"external_id", "arrears", "monthly_rent", "tenant/street",
            "tenant/postcode"} <= fields


def test_an_address_outside_the_region_is_refused(client, corp):
    body = signal(tenant={"postcode": "1012 AB", "city": "Amsterdam"})
    response = client.post("/api/v1/signals", json=body, headers=corp)
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["tenant/postcode"]


@pytest.mark.parametrize("municipality", list(POSTCODES))
def test_the_municipality_follows_from_the_address(ctx, client, corp, municipality):
    response = client.post("/api/v1/signals", json=signal(municipality=municipality),
                           headers=corp)
    assert response.status_code == 201, response.json
    assert response.json["municipality"] == municipality
    with ctx.sessionmaker() as session:
        case = session.scalars(select(Case)).one()
        instance = session.scalars(select(ProcessInstance)).one()
    assert case.municipality == municipality
    assert instance.municipality == municipality


def test_place_name_decides_before_postcode_and_postcode_without_place():
    assert municipality_for("3341 AB", "Heerjansdam").slug == "zwijndrecht"
    assert municipality_for("3319 XX", "Dubbeldam").slug == "dordrecht"
    assert municipality_for("3363 AB", "").slug == "sliedrecht"
    assert municipality_for("2952AB", None).slug == "alblasserdam"
    assert municipality_for("3345 AB", "Barendrecht") is None
    assert normalise_postcode("3311ab") == "3311 AB"
    assert normalise_postcode("0311 AB") is None


def test_only_corporations_report_signals(ctx, client, corp):
    make_user(ctx, "anna", "social_team", "dordrecht")
    response = client.post("/api/v1/signals", json=signal(),
                           headers=bearer(ctx, username="anna"))
    assert response.status_code == 403
    assert client.post("/api/v1/signals", json=signal()).status_code == 401


def test_a_batch_reports_good_rows_and_names_the_bad_one(ctx, client, corp):
    rows = [signal(external_id="WB-1"), signal(external_id="WB-2", monthly_rent="nul"),
            signal(external_id="WB-3", municipality="sliedrecht"), signal(external_id="WB-1")]
    response = client.post("/api/v1/signals/batch", json=rows, headers=corp)
    assert response.status_code == 200
    assert [r["status"] for r in response.json["items"]] == ["created", "invalid", "created",
                                                            "existing"]
    assert response.json["items"][1]["errors"][0]["field"] == "monthly_rent"
    assert count(ctx) == 2


CSV = """\
external_id;name;street;house_number;postcode;city;arrears_amount;arrears_months;\
monthly_rent;crisis
WB-10;A. Jansen;Voorstraat;901;3311 AB;Dordrecht;812,50;1;640,00;nee
WB-11;B. Bakker;Kerkbuurt;902;3361 AC;Sliedrecht;1300;2;650;ja
WB-12;C. Visser;Nergensweg;903;9999 ZZ;Nergenshuizen;100;1;640;nee
WB-13;D. de Boer;Westeind;904;3351 XA;Papendrecht;700;1;600;
"""


def test_a_csv_with_one_bad_row_imports_the_others_and_reports_the_bad_one(ctx, client, corp):
    response = client.post("/api/v1/signals/batch", data=CSV.encode(),
                           headers={**corp, "Content-Type": "text/csv"})
    assert response.status_code == 200, response.json
    items = response.json["items"]
    assert [r["status"] for r in items] == ["created", "created", "invalid", "created"]
    assert items[2]["external_id"] == "WB-12"
    assert items[2]["errors"] == [{"field": "tenant/postcode", "message":
                                   "ligt niet in een van de gemeenten van de Drechtsteden"}]
    assert (response.json["created"], response.json["invalid"]) == (3, 1)
    assert count(ctx) == 3
    with ctx.sessionmaker() as session:
        municipalities = set(session.scalars(select(Case.municipality)))
        crisis = session.scalar(select(Case.crisis).where(Case.external_id == "WB-11"))
    assert municipalities == {"dordrecht", "sliedrecht", "papendrecht"}
    assert crisis is True


def test_a_second_signal_on_the_same_address_is_marked_duplicate(ctx, client, corp):
    client.post("/api/v1/signals", json=signal(external_id="A"), headers=corp)
    client.post("/api/v1/signals", json=signal(external_id="B"), headers=corp)
    with ctx.sessionmaker() as session:
        rows = session.scalars(select(Case).order_by(Case.id)).all()
    assert [r.duplicate for r in rows] == [False, True]
    assert rows[1].milestone == "not_picked_up"


def test_the_openapi_document_publishes_the_signal_schema(client):
    spec = client.get("/api/v1/openapi.json").json
    body = spec["paths"]["/api/v1/signals"]["post"]["requestBody"]["content"]
    assert "tenant" in body["application/json"]["schema"]["properties"]


def test_reporting_logs_no_reads(ctx, client, corp):
    client.post("/api/v1/signals", json=signal(), headers=corp)
    assert count(ctx, AccessLog) == 0
