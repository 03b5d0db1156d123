"""Subject access and correction (issue 13 item 3): the administrator and the privacy officer
see everything about one tenant and every read of it; only the administrator corrects, and the
event keeps the old value; every other role and every machine token is refused."""

from __future__ import annotations

import json

from flask import Flask
from sqlalchemy import func, select

from engine.chain.retention import CORRECTED
from engine.context import EngineContext
from engine.models import AccessLog, AccessLogCase, Case, Event
from tests.access.world import SECRET_NOTE, TENANTS, USERS, build
from tests.webclient import bearer, login

READERS = {"admin", "privacy"}


def test_report_lists_every_field_and_read(ctx: EngineContext, app: Flask) -> None:
    world = build(ctx)
    number = world.cases["dordrecht_sdd"]
    admin = login(app, "admin")
    assert admin.get(f"/cases/{number}").status_code == 200  # a read the report must list
    privacy = login(app, "privacy")
    page = privacy.get("/subject-access?postcode=3312+kl&house_number=1")
    with ctx.sessionmaker() as session:
        house = session.scalar(select(Case.house_number).where(Case.case_number == number))
    page = privacy.get(f"/subject-access?postcode=3312kl&house_number={house}")
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    html = page.get_data(as_text=True)
    assert TENANTS["dordrecht_sdd"][0] in html and SECRET_NOTE in html
    answer = privacy.get(f"/subject-access/export.json?case_number={number}")
    assert answer.status_code == 200
    report = json.loads(answer.get_data(as_text=True))
    [case] = report["zaken"]
    with ctx.sessionmaker() as session:
        row = session.scalar(select(Case).where(Case.case_number == number))
        assert row is not None
        columns = {c.key for c in Case.__table__.columns} - {"id", "holder_id",
                                                             "previous_case_id"}
        assert set(case["gegevens"]) == columns
        assert case["gegevens"]["tenant_name"] == row.tenant_name
        reads = session.scalars(select(AccessLog).join(
            AccessLogCase, AccessLogCase.log_id == AccessLog.id).where(
            AccessLogCase.case_number == number).order_by(AccessLog.id)).all()
    assert [(r["gebruiker"], r["wat"]) for r in report["inzage"]] == [
        (r.username, r.what) for r in reads]
    assert {"admin", "privacy"} <= {r["gebruiker"] for r in report["inzage"]}
    assert any(SECRET_NOTE in json.dumps(r["gegevens"], ensure_ascii=False)
               for r in case["vastleggingen"])
    assert case["taken"] and case["gebeurtenissen"]
    # a wrong address is named, not a 500
    wrong = privacy.get("/subject-access?postcode=12&house_number=")
    assert wrong.status_code == 422 and "1234 AB" in wrong.get_data(as_text=True)


def test_correction_keeps_the_old_value(ctx: EngineContext, app: Flask) -> None:
    world = build(ctx)
    number = world.cases["zwijndrecht_new"]
    admin = login(app, "admin")
    body = {"case_number": number, "field": "tenant_name", "value": "Sanne Verbeek-de Wit",
            "reason": "Huurder meldt naamswijziging"}
    assert admin.post("/subject-access/correct", data=body).status_code == 303
    with ctx.sessionmaker() as session:
        assert session.scalar(select(Case.tenant_name).where(Case.case_number == number)) \
            == "Sanne Verbeek-de Wit"
        event = session.scalars(select(Event).where(Event.kind == CORRECTED)).one()
    assert event.actor == "admin"
    assert event.detail == {"case_number": number, "field": "tenant_name",
                            "old": TENANTS["zwijndrecht_new"][0], "new": "Sanne Verbeek-de Wit",
                            "reason": "Huurder meldt naamswijziging"}
    missing = admin.post("/subject-access/correct", data={**body, "reason": ""})
    assert missing.status_code == 422 and "reden" in missing.get_data(as_text=True)


def test_every_other_role_and_token_is_refused(ctx: EngineContext, app: Flask) -> None:
    world = build(ctx)
    number = world.cases["dordrecht_sdd"]
    body = {"case_number": number, "field": "phone", "value": "0698765432",
            "reason": "Poging zonder recht"}
    with ctx.sessionmaker() as session:
        phone = session.scalar(select(Case.phone).where(Case.case_number == number))
    assert phone != body["value"]
    for username in USERS:
        client = login(app, username)
        read = client.get(f"/subject-access?case_number={number}").status_code
        export = client.get(f"/subject-access/export.json?case_number={number}").status_code
        if username in READERS:
            assert (read, export) == (200, 200), username
        else:
            assert (read, export) == (403, 403), username
        if username != "admin":  # the administrator's correction: the test above
            assert client.post("/subject-access/correct", data=body).status_code == 403, \
                username
    for org in ("woonbron", "dordrecht", "sdd"):
        headers = bearer(ctx, org=org)
        anonymous = app.test_client()
        for answer in (anonymous.get(f"/subject-access?case_number={number}", headers=headers),
                       anonymous.get(f"/subject-access/export.json?case_number={number}",
                                     headers=headers),
                       anonymous.post("/subject-access/correct", data=body, headers=headers)):
            assert answer.status_code in (302, 303, 401, 403), org
            if answer.status_code in (302, 303):  # to the sign-in page, not the report
                assert "/login" in answer.headers["Location"], org
            assert TENANTS["dordrecht_sdd"][0] not in answer.get_data(as_text=True)
    with ctx.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(Event).where(
            Event.kind == CORRECTED)) == 0
        assert session.scalar(select(Case.phone).where(Case.case_number == number)) == phone
