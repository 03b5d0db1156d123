"""The managers' DDAS download (/cockpit/ddas): managers and admins get the file, every other
role 403, a machine token nothing; wrong input names the field in Dutch; every download is
on record."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine import deployments
from engine.access import SYSTEM
from engine.chain import intake
from engine.models import Event
from tests.access.world import USERS
from tests.casework import signal
from tests.factories import make_user
from tests.webclient import bearer, login

EXPORTERS = {"manager", "admin"}


def _events(ctx):
    with ctx.sessionmaker() as session:
        return session.scalars(select(Event).where(Event.kind == "ddas_export")
                               .order_by(Event.id)).all()


def test_manager_downloads_the_delivery(ctx, app):
    with ctx.sessionmaker.begin() as session:
        deployments.deploy_path(ctx, session, SYSTEM, ctx.settings.processes_dir)
    corporation = make_user(ctx, "corp", "corporation", "woonbron")
    with ctx.sessionmaker.begin() as session:
        number = intake.report_signal(ctx, session, corporation,
                                      signal(external_id="WB-9")).case_number
    make_user(ctx, "manager", "manager", "regio")
    client = login(app, "manager")
    day = ctx.clock.now().date().isoformat()

    form = client.get("/cockpit/ddas")
    assert form.status_code == 200
    page = form.get_data(as_text=True)
    assert 'name="from"' in page and "Dordrecht (0505)" in page and "/cockpit/ddas" in page
    assert not _events(ctx)  # the form alone exports nothing

    response = client.post("/cockpit/ddas", data={"from": day, "to": day,
                                                  "municipality": "dordrecht"})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="ddas-dordrecht-{day}-{day}.json"'
    content = json.loads(response.get_data(as_text=True))
    levering = content["leveringen"][0]
    assert levering["gemeentecode"] == "0505"
    assert [s["ID"] for s in levering["vroegsignalen"]] == [number]
    assert "de Vries" not in response.get_data(as_text=True)

    # the same as a link (GET), for every municipality
    again = client.get(f"/cockpit/ddas?from={day}&to={day}")
    assert again.status_code == 200 and len(again.get_json()["leveringen"]) == 6

    events = _events(ctx)
    assert [(e.actor, e.detail["municipality"], e.detail["signals"], e.detail["cases"],
             e.detail["channel"]) for e in events] == [
        ("manager", "dordrecht", 1, 1, "web"), ("manager", None, 1, 1, "web")]
    assert events[0].detail["from"] == events[0].detail["to"] == day


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"from": "", "to": "2026-01-31"}, "Van", "vul een datum in (JJJJ-MM-DD)"),
    ({"from": "2026-01-01", "to": "morgen"}, "Tot en met",
     "&#39;morgen&#39; is geen geldige datum (JJJJ-MM-DD)"),
    ({"from": "2026-02-01", "to": "2026-01-01"}, "Tot en met",
     "de einddatum ligt vóór de begindatum"),
    ({"from": "2026-01-01", "to": "2026-01-31", "municipality": "rotterdam"}, "Gemeente",
     "&#39;rotterdam&#39; is geen gemeente die u kunt exporteren"),
])
def test_wrong_input_names_the_field(ctx, app, data, field, message):
    make_user(ctx, "manager", "manager", "regio")
    response = login(app, "manager").post("/cockpit/ddas", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"{field}: {message}" in page and "Traceback" not in page
    assert 'aria-invalid="true"' in page
    assert not _events(ctx)


@pytest.mark.parametrize("username", list(USERS))
def test_only_managers_and_admins_export(ctx, app, username):
    role, org = USERS[username]
    make_user(ctx, username, role, org)
    client = login(app, username)
    for response in (client.get("/cockpit/ddas"),
                     client.get("/cockpit/ddas?from=2026-01-01&to=2026-01-31"),
                     client.post("/cockpit/ddas", data={"from": "2026-01-01",
                                                        "to": "2026-01-31"})):
        assert response.status_code == (200 if role in EXPORTERS else 403), username
    nav = client.get("/cockpit").get_data(as_text=True)
    assert ('href="/cockpit/ddas"' in nav) == (role in EXPORTERS)
    assert len(_events(ctx)) == (2 if role in EXPORTERS else 0)


@pytest.mark.parametrize("org", ["woonbron", "dordrecht"])
def test_a_machine_token_has_no_route(ctx, app, org):
    headers = bearer(ctx, org=org)
    client = app.test_client()
    for response in (client.get("/cockpit/ddas?from=2026-01-01&to=2026-01-31",
                                headers=headers),
                     client.post("/cockpit/ddas", headers=headers,
                                 data={"from": "2026-01-01", "to": "2026-01-31"})):
        # pages know people only: the token is no sign-in, the answer is the login page
        assert response.status_code in (302, 303), response.status_code
        assert "/login" in response.headers["Location"]
        assert "leveringen" not in response.get_data(as_text=True)
    assert not _events(ctx)
