"""Bad input on the pages is the 422 error page naming where it was, never a 500 (issue 8,
item 9): the same input guard as the API, before login, CSRF check or any view."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from engine.models import Case
from tests.casework import corporation, deploy_chain, report
from tests.factories import make_user
from tests.webclient import login

FORM = {"external_id": "WB-77", "name": "Truus Hoogendoorn", "street": "Voorstraat",
        "house_number": "905", "postcode": "3311ab", "city": "Dordrecht",
        "arrears_amount": "812,50", "arrears_months": "1", "monthly_rent": "640"}
HEADER = ("external_id,name,street,house_number,postcode,city,arrears_amount,arrears_months,"
          "monthly_rent\n")


def refused_page(response, place):
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:500]
    assert response.mimetype == "text/html"
    assert "Ongeldige invoer" in html and place in html, html
    return html


def cases(ctx):
    with ctx.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(Case))


@pytest.fixture
def anna(ctx, app):
    make_user(ctx, "anna")
    return login(app, "anna")


@pytest.fixture
def corp(ctx, app):
    deploy_chain(ctx)
    make_user(ctx, "corp", "corporation", "woonbron")
    return login(app, "corp")


def test_a_nul_in_the_login_form_is_refused_before_anyone_is_signed_in(ctx, client):
    make_user(ctx, "anna")
    response = client.post("/login", data={"username": "an\x00na", "password": "x"})
    assert "NUL" in refused_page(response, "form/username")
    response = client.post("/login", data={"username": "anna", "password": "wel\x00kom"})
    refused_page(response, "form/password")


def test_bytes_that_are_not_utf8_in_a_form_are_refused_naming_the_field(ctx, client):
    make_user(ctx, "anna")
    response = client.post("/login", data=b"username=%ED%A0%80&password=x",
                           content_type="application/x-www-form-urlencoded")
    assert "UTF-8" in refused_page(response, "form/username")
    response = client.post("/login", data=b"username=anna&password=\xff\xfe",
                           content_type="application/x-www-form-urlencoded")
    refused_page(response, "form/password")


def test_a_nul_in_a_page_path_or_query_names_it(anna):
    refused_page(anna.get("/cases/DR-2026%00-1"), "path")
    assert "NUL" in refused_page(anna.get("/cases?q=a%00b"), "query/q")
    refused_page(anna.get("/inbox?q=%ed%a0%80"), "query/q")
    refused_page(anna.get("/login?next=%00"), "query/next")


def test_a_control_character_in_a_task_form_field_is_refused(ctx, app, anna):
    deploy_chain(ctx)
    report(ctx, corporation(ctx))
    response = anna.post("/tasks/some-task", data={"notes": "bel\x07 terug"})
    assert "U+0007" in refused_page(response, "form/notes")


@pytest.mark.parametrize("cursor", [
    "d|2026-04-23T09:00:00|0b6f",  # no time zone
    "c|2026-04-23T09:00:00+00:00|" + "a" * 40,
    "q|x|y",
])
def test_a_strange_inbox_cursor_is_a_422_page(anna, cursor):
    response = anna.get("/inbox", query_string={"cursor": cursor, "queue": "team"})
    refused_page(response, "cursor")


@pytest.mark.parametrize("cursor", ["2026-04-23T09:00:00|1",
                                    "2026-04-23T09:00:00+00:00|99999999999999999999",
                                    "2026-04-23T09:00:00+00:00|\u00b2"])
def test_a_strange_case_list_cursor_is_a_422_page(anna, cursor):
    refused_page(anna.get("/cases", query_string={"cursor": cursor}), "cursor")


def test_a_case_number_over_200_characters_is_not_found(corp):
    number = "DR-2026-" + "1" * 250
    assert corp.get(f"/cases/{number}").status_code == 404
    response = corp.post(f"/cases/{number}/events", data={"name": "court_summons",
                                                           "hearing_date": "2026-06-01"})
    assert response.status_code == 404


def test_months_in_other_digits_on_the_report_form_are_a_form_error(ctx, corp):
    response = corp.post("/portal/report", data={**FORM, "arrears_months": "\u00b2"})
    assert response.status_code == 422
    assert cases(ctx) == 0


def test_csv_months_in_other_digits_are_a_bad_row(ctx, corp):
    csv = HEADER + "WB-1,A. Smit,Voorstraat,12,3311 AB,Dordrecht,700,\u00b3,640\n"
    response = corp.post("/portal/upload", data={"file": (io.BytesIO(csv.encode()),
                                                          "signals.csv")})
    assert response.status_code == 200
    assert cases(ctx) == 0


def test_a_csv_upload_with_a_field_over_128_kib_names_the_line(ctx, corp):
    csv = (HEADER + "WB-1,A. Smit,Voorstraat,12,3311 AB,Dordrecht,700,1,640\n"
           + "WB-2,B. Jansen,Voorstraat,14,3311 AB,Dordrecht,700,1,640\n"
           + f'WB-3,"{"x" * (129 * 1024)}",Voorstraat,16,3311 AB,Dordrecht,700,1,640\n')
    response = corp.post("/portal/upload", data={"file": (io.BytesIO(csv.encode()),
                                                          "signals.csv")})
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:300]
    assert "regel 4" in html and "128 KiB" in html
    assert cases(ctx) == 0


def test_an_upload_file_name_with_a_nul_is_refused(corp):
    csv = HEADER + "WB-1,A. Smit,Voorstraat,12,3311 AB,Dordrecht,700,1,640\n"
    response = corp.post("/portal/upload", data={"file": (io.BytesIO(csv.encode()),
                                                          "sig\x00nals.csv")})
    refused_page(response, "form/file")


def _assessment_task(ctx, app):
    """Anna's second task of the test chain, whose form has an integer and a number field."""
    deploy_chain(ctx)
    report(ctx, corporation(ctx))
    make_user(ctx, "anna")
    anna = login(app, "anna")
    html = anna.get("/inbox?queue=team").get_data(as_text=True)
    first = re.search(r'href="/tasks/([0-9a-f-]{36})"', html).group(1)
    anna.get(f"/tasks/{first}")  # opening it claims it: only the holder completes
    anna.post(f"/tasks/{first}", data={"attempt_type": "phone", "attempt_date": "23-04-2026",
                                       "contact_made": "true"})
    html = anna.get("/inbox?queue=mine").get_data(as_text=True)
    return anna, re.search(r"/tasks/([0-9a-f-]{36})", html).group(1)


@pytest.mark.parametrize("income", ["nan", "NaN", "inf", "-Infinity", "1e400"])
def test_nan_or_infinite_numbers_in_a_task_form_are_a_form_error(ctx, app, income):
    anna, task_id = _assessment_task(ctx, app)
    response = anna.post(f"/tasks/{task_id}", data={
        "help_wanted": "true", "zrm_finances": "2", "monthly_income": income,
        "assessment_note": "Een lang genoeg verslag.", "referral": "none"})
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert "moet een getal of bedrag zijn" in response.get_data(as_text=True)


@pytest.mark.parametrize("finances", ["9" * 5000, "\u00b2", "99999999999999999999"])
def test_huge_or_strange_integers_in_a_task_form_are_a_form_error(ctx, app, finances):
    anna, task_id = _assessment_task(ctx, app)
    response = anna.post(f"/tasks/{task_id}", data={
        "help_wanted": "true", "zrm_finances": finances, "monthly_income": "1200",
        "assessment_note": "Een lang genoeg verslag.", "referral": "none"})
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
