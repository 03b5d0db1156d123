"""Bad input on the API is a 422 naming where it was, never a 500 (issue 8, item 9).

Each case here was answered with a 500 before the input guard (webui/input_guard.py) and the
engine's cursor and search fixes.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from engine.models import Case
from tests.casework import corporation, deploy_chain, report, signal
from tests.factories import make_user
from tests.logged import logged
from tests.webclient import bearer

SIGNALS = "/api/v1/signals"


@pytest.fixture
def anna(ctx):
    make_user(ctx, "anna")
    return bearer(ctx, username="anna")


@pytest.fixture
def admin(ctx):
    make_user(ctx, "root", "admin", "regio")
    return bearer(ctx, username="root")


def fields(response):
    assert response.mimetype == "application/problem+json", response.get_data(as_text=True)
    return {e["field"]: e["message"] for e in response.json["errors"]}


def refused(response, field):
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    named = fields(response)
    assert field in named, named
    return named[field]


def cases(ctx):
    with ctx.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(Case))


# --- NUL, control characters, surrogates, bytes that are not UTF-8 --------------------------

def test_a_nul_in_the_path_is_refused_naming_the_path(client, anna):
    assert "NUL" in refused(client.get("/api/v1/cases/DR-2026%00-1", headers=anna), "path")
    assert refused(client.get("/api/v1/tasks/%00/claim", headers=anna), "path")
    assert refused(client.post("/api/v1/tasks/a%00b/claim", headers=anna), "path")


def test_a_nul_or_control_character_in_a_query_parameter_names_it(client, anna):
    assert "NUL" in refused(client.get("/api/v1/cases?q=ab%00c", headers=anna), "query/q")
    assert refused(client.get("/api/v1/tasks?cursor=%01", headers=anna), "query/cursor")
    assert refused(client.get("/api/v1/instances?status=a%0Db", headers=anna),
                   "query/status")


def test_bytes_that_are_not_utf8_are_refused_in_path_and_query(client, anna):
    assert "UTF-8" in refused(client.get("/api/v1/cases/%ff%fe", headers=anna), "path")
    raw = client.get("/", headers=anna,  # as gunicorn passes it: the bytes, undecoded
                     environ_overrides={"PATH_INFO": "/api/v1/cases/\xed\xa0\x80"})
    assert "UTF-8" in refused(raw, "path")
    assert "UTF-8" in refused(client.get("/api/v1/cases?q=%ed%a0%80", headers=anna),
                              "query/q")


def test_a_nul_in_a_json_body_names_the_field_and_stores_nothing(ctx, client, corp):
    body = signal(tenant={"name": "J. de\u0000 Vries"})
    response = client.post(SIGNALS, json=body, headers=corp)
    assert "NUL" in refused(response, "body/tenant/name")
    assert cases(ctx) == 0


def test_a_lone_surrogate_in_a_json_body_or_key_is_refused(ctx, client, corp):
    text = json.dumps(signal(tenant={"city": "Dordrecht\ud800"}))
    response = client.post(SIGNALS, data=text, headers={**corp,
                                                        "Content-Type": "application/json"})
    assert "surrogaat" in refused(response, "body/tenant/city")
    keyed = '{"external_id": "X-1", "\\udc00": 1}'
    response = client.post(SIGNALS, data=keyed, headers={**corp,
                                                         "Content-Type": "application/json"})
    assert response.status_code == 422
    assert cases(ctx) == 0


def test_a_json_body_that_is_not_utf8_is_refused(client, corp):
    response = client.post(SIGNALS, data=b'{"external_id": "\xff"}',
                           headers={**corp, "Content-Type": "application/json"})
    assert "UTF-8" in refused(response, "body")


def test_a_nul_in_a_csv_body_names_the_line(ctx, client, corp):
    csv = "external_id,name\nWB-1,A. Smit\nWB-2,B.\x00 Jansen\n"
    response = client.post("/api/v1/signals/batch", data=csv.encode(),
                           headers={**corp, "Content-Type": "text/csv"})
    assert "regel 3" in refused(response, "body")
    assert cases(ctx) == 0


def test_a_nul_in_a_message_body_is_refused_before_it_reaches_the_engine(ctx, client, corp):
    response = client.post("/api/v1/messages", json={"name": "arrears_paid\u0000",
                                                      "case_number": "DR-2026-000001"},
                           headers=corp)
    assert refused(response, "body/name")


# --- JSON the parser must not accept ----------------------------------------------------------

@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_nan_and_infinite_amounts_are_refused(ctx, client, corp, amount):
    text = json.dumps(signal()).replace('"812.50"', amount)
    assert amount in text
    response = client.post(SIGNALS, data=text, headers={**corp,
                                                        "Content-Type": "application/json"})
    refused(response, "body")
    assert cases(ctx) == 0


def test_an_integer_beyond_64_bits_in_a_body_is_refused(ctx, client, corp):
    text = json.dumps(signal()).replace('"months": 1', '"months": 99999999999999999999')
    response = client.post(SIGNALS, data=text, headers={**corp,
                                                        "Content-Type": "application/json"})
    assert "64 bits" in refused(response, "body")
    huge = json.dumps(signal()).replace('"months": 1', '"months": ' + "9" * 5000)
    response = client.post(SIGNALS, data=huge, headers={**corp,
                                                        "Content-Type": "application/json"})
    refused(response, "body")


def test_json_nested_50000_deep_is_refused(client, corp, admin):
    deep = "[" * 50_000 + "]" * 50_000
    response = client.post("/api/v1/signals/batch", data=deep,
                           headers={**corp, "Content-Type": "application/json"})
    assert "diep" in refused(response, "body")
    nested = '{"data": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}"
    response = client.post("/api/v1/instances/1/retry", data=nested,
                           headers={**admin, "Content-Type": "application/json"})
    assert "diep" in refused(response, "body/data/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a"
                                       "/a/a/a/a/a/a/a/a/a")


def test_invalid_json_names_the_body_with_line_and_column(client, corp):
    response = client.post(SIGNALS, data='{"external_id": ',
                           headers={**corp, "Content-Type": "application/json"})
    assert "geen geldige JSON" in refused(response, "body")


# --- ids, cursors and digits ------------------------------------------------------------------

def test_an_instance_id_beyond_64_bits_is_not_found(client, admin):
    for path in ("/api/v1/instances/99999999999999999999",
                 "/api/v1/instances/9223372036854775808",
                 "/api/v1/instances/" + "9" * 1500):
        response = client.get(path, headers=admin)
        assert response.status_code == 404, (path[:40], response.json)
    response = client.post("/api/v1/instances/99999999999999999999/retry", json={},
                           headers=admin)
    assert response.status_code == 404


def test_an_instance_id_in_other_digits_is_a_422_naming_it(client, admin):
    assert refused(client.get("/api/v1/instances/%C2%B2", headers=admin), "instance_id")


@pytest.mark.parametrize("cursor", ["99999999999999999999", "-1", "\u00b2", "1e5", "9" * 1500],
                         ids=["beyond-64-bit", "negative", "superscript", "float", "1500-digits"])
def test_an_instance_cursor_out_of_range_names_the_cursor(client, admin, cursor):
    response = client.get("/api/v1/instances", query_string={"cursor": cursor},
                          headers=admin)
    refused(response, "cursor")


@pytest.mark.parametrize("cursor", [
    "2026-04-23T09:00:00+00:00|99999999999999999999",  # id beyond 64 bits
    "2026-04-23T09:00:00|5",  # no time zone
    "2026-04-23T09:00:00+00:00|\u00b2",  # not an ASCII digit
    "gisteren|5",
])
def test_a_case_cursor_that_is_out_of_range_or_without_time_zone_names_the_cursor(
        client, anna, cursor):
    response = client.get("/api/v1/cases", query_string={"cursor": cursor}, headers=anna)
    refused(response, "cursor")


@pytest.mark.parametrize("cursor", [
    "d|2026-04-23T09:00:00|0b6f", "c|2026-04-23T09:00:00|0b6f",  # no time zone
    "d|2026-04-23T09:00:00+00:00|" + "a" * 37, "n||a'b", "x|y|z",
])
def test_an_inbox_cursor_without_time_zone_or_with_a_strange_id_names_the_cursor(
        client, anna, cursor):
    response = client.get("/api/v1/tasks", query_string={"cursor": cursor, "queue": "team"},
                          headers=anna)
    refused(response, "cursor")


def test_a_valid_cursor_still_pages(ctx, client, anna):
    deploy_chain(ctx)
    corp = corporation(ctx)
    for i in range(3):
        report(ctx, corp, external_id=f"E{i}", tenant={"house_number": str(i + 1)})
    first = client.get("/api/v1/tasks?queue=team&limit=2&sort=created", headers=anna).json
    second = client.get("/api/v1/tasks", query_string={"queue": "team", "limit": 2,
                                                       "sort": "created",
                                                       "cursor": first["next"]},
                        headers=anna).json
    assert len(first["items"]) == 2 and len(second["items"]) == 1


@pytest.mark.parametrize("limit", ["\u00b2", "\u0663", "9" * 1500, "1e3"],
                         ids=["superscript", "arabic-indic", "1500-digits", "float"])
def test_a_limit_in_other_digits_is_a_422(client, anna, limit):
    assert refused(client.get("/api/v1/cases", query_string={"limit": limit}, headers=anna),
                   "limit")


def test_csv_months_in_other_digits_are_a_bad_row_not_a_500(ctx, client, corp):
    csv = ("external_id,name,street,house_number,postcode,city,arrears_amount,arrears_months,"
           "monthly_rent\nWB-1,A. Smit,Voorstraat,12,3311 AB,Dordrecht,700,\u00b2,640\n")
    response = client.post("/api/v1/signals/batch", data=csv.encode(),
                           headers={**corp, "Content-Type": "text/csv"})
    assert response.status_code == 200, response.json
    assert response.json["items"][0]["status"] == "invalid"
    assert "arrears/months" in {e["field"] for e in response.json["items"][0]["errors"]}


def test_a_csv_field_over_128_kib_names_the_csv_and_its_line(ctx, client, corp):
    csv = ("external_id,name,street,house_number,postcode,city,arrears_amount,arrears_months,"
           "monthly_rent\nWB-1,A. Smit,Voorstraat,12,3311 AB,Dordrecht,700,1,640\n"
           f'WB-2,"{"x" * (130 * 1024)}",Voorstraat,12,3311 AB,Dordrecht,700,1,640\n')
    response = client.post("/api/v1/signals/batch", data=csv.encode(),
                           headers={**corp, "Content-Type": "text/csv"})
    message = refused(response, "csv")
    assert "regel 3" in message and "128 KiB" in message  # the header is line 1
    assert cases(ctx) == 0


# --- over-long values -------------------------------------------------------------------------

def test_a_case_number_over_200_characters_is_a_404_or_422_never_a_500(client, anna, corp):
    long_number = "DR-2026-" + "1" * 250
    assert client.get(f"/api/v1/cases/{long_number}", headers=anna).status_code == 404
    response = client.get("/api/v1/cases", query_string={"q": long_number}, headers=anna)
    assert response.status_code == 200
    response = client.get("/api/v1/tasks", query_string={"q": long_number}, headers=anna)
    assert response.status_code == 200
    for field in ("case_number", "external_id"):
        response = client.post("/api/v1/messages", json={"name": "court_summons",
                                                          field: long_number}, headers=corp)
        assert response.status_code in (404, 422), response.json


def test_an_over_long_path_or_query_value_is_refused(client, anna):
    assert "te lang" in refused(client.get("/api/v1/cases/" + "A" * 3000, headers=anna),
                                "path")
    assert "te lang" in refused(client.get("/api/v1/cases", query_string={"q": "a" * 3000},
                                           headers=anna), "query/q")


# --- search: % and _ are themselves -----------------------------------------------------------

def test_percent_and_underscore_are_no_wildcards_in_case_number_search(ctx, client, anna):
    deploy_chain(ctx)
    corp = corporation(ctx)
    number = report(ctx, corp).case_number  # DR-2026-000001
    assert number == "DR-2026-000001"

    def found(path, q):
        return client.get(path, query_string={"q": q, "queue": "team"}, headers=anna).json

    assert [c["case_number"] for c in found("/api/v1/cases", "DR-2026-0")["items"]] == [number]
    for q in ("DR-2026-%", "DR-2026-_00001", "DR-%-000001", "%-2026"):
        assert found("/api/v1/cases", q)["items"] == [], q
        assert found("/api/v1/tasks", q)["items"] == [], q
    assert len(found("/api/v1/tasks", "DR-2026-00")["items"]) == 1
    # the searches that found nothing logged nothing
    assert {r.case_number for r in logged(ctx)} <= {number}
