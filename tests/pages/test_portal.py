"""The corporation portal: report a tenant by form or CSV, follow cases, report what happens."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from engine.models import Case, Message
from tests.casework import deploy_chain
from tests.factories import make_user
from tests.webclient import login

FORM = {"external_id": "WB-77", "name": "Truus Hoogendoorn", "street": "Voorstraat",
        "house_number": "905", "postcode": "3311ab", "city": "Dordrecht",
        "arrears_amount": "812,50", "arrears_months": "1", "monthly_rent": "640"}


def test_report_a_tenant_by_form_then_see_the_case(ctx, app):
    deploy_chain(ctx)
    make_user(ctx, "corp", "corporation", "woonbron")
    corp = login(app, "corp")
    assert "Recente meldingen" in corp.get("/portal").get_data(as_text=True)
    response = corp.post("/portal/report", data=FORM)
    assert response.status_code == 303
    html = corp.get(response.headers["Location"]).get_data(as_text=True)
    assert "Melding ontvangen: casus DR-2026-000001 is aangemaakt." in html
    assert "Opgepakt" in html and "Truus Hoogendoorn" in html
    again = corp.post("/portal/report", data=FORM)
    assert "al gemeld" in corp.get(again.headers["Location"]).get_data(as_text=True)


def test_form_errors_are_inline_and_keep_the_input(ctx, app):
    deploy_chain(ctx)
    make_user(ctx, "corp", "corporation", "woonbron")
    corp = login(app, "corp")
    response = corp.post("/portal/report", data={**FORM, "postcode": "1012 AB",
                                                 "city": "Amsterdam", "arrears_amount": "x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "ligt niet in een van de gemeenten van de Drechtsteden" in html
    assert 'value="Truus Hoogendoorn"' in html and 'value="1012 AB"' in html


def test_csv_upload_reports_per_row_and_never_half_imports(ctx, app):
    deploy_chain(ctx)
    make_user(ctx, "corp", "corporation", "tablis")
    corp = login(app, "corp")
    csv = ("external_id,name,street,house_number,postcode,city,arrears_amount,arrears_months,"
           "monthly_rent\nT-1,A. Smit,Kerkbuurt,901,3361 AC,Sliedrecht,700,1,640\n"
           "T-2,B. Smit,Kerkbuurt,,3361 AC,Sliedrecht,-5,1,640\n")
    response = corp.post("/portal/upload", data={"file": (io.BytesIO(csv.encode()), "a.csv")},
                         content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert "1 nieuw, 0 al gemeld, 1 afgekeurd." in html
    assert "tenant/house_number" in html and "arrears/amount" in html
    with ctx.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1


def test_corporation_reports_a_court_summons_with_hearing_date(ctx, app):
    deploy_chain(ctx)
    make_user(ctx, "corp", "corporation", "woonbron")
    corp = login(app, "corp")
    location = corp.post("/portal/report", data=FORM).headers["Location"]
    number = location.rsplit("/", 1)[1]
    missing = corp.post(f"/cases/{number}/events", data={"name": "court_summons"})
    assert missing.status_code == 422 and "hearing_date" in missing.get_data(as_text=True)
    ok = corp.post(f"/cases/{number}/events", data={"name": "court_summons",
                                                    "hearing_date": "2026-06-15"})
    assert ok.status_code == 303
    html = corp.get(f"/cases/{number}").get_data(as_text=True)
    assert "Gemeld door corporatie: Dagvaarding uitgebracht" in html
    assert "15 jun 2026" in html
    with ctx.sessionmaker() as session:
        message = session.scalars(select(Message).where(Message.name == "court_summons")).one()
    assert message.payload["hearing_date"] == "2026-06-15"
    assert message.correlation_value == number


def test_the_portal_is_for_corporations_only(ctx, app):
    make_user(ctx, "anna")
    assert login(app, "anna").get("/portal").status_code == 404
