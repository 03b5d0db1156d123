"""The cockpit's figures on the page, in CSV and from GET /api/v1/stats: for managers,
process owners and admins only, suppressed alike, never a household's name or address."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import select

from engine import deployments
from engine.access import SYSTEM
from engine.chain import figures
from engine.chain.demo_cases import seed_year
from engine.models import Case
from tests.access.world import USERS
from tests.factories import make_user
from tests.webclient import bearer, login

READERS = {"manager", "process_owner", "admin"}
UNTIL = date(2026, 9, 30)


@pytest.mark.parametrize("username", list(USERS))
def test_only_managers_process_owners_and_admins_read_the_figures(ctx, app, username):
    role, org = USERS[username]
    make_user(ctx, username, role, org)
    client = login(app, username)
    wanted = 200 if role in READERS else 403
    assert client.get("/cockpit").status_code == wanted, username
    assert client.get("/cockpit/figures/funnel.csv").status_code == wanted, username
    assert client.get("/api/v1/stats").status_code == wanted, username
    personal = app.test_client().get("/api/v1/stats", headers=bearer(ctx, username=username))
    assert personal.status_code == wanted, username
    if wanted == 403:
        assert "funnel" not in client.get("/api/v1/stats").get_data(as_text=True)


@pytest.mark.parametrize("org", ["regio", "woonbron", "dordrecht", "sdd", "veilig-thuis"])
def test_a_machine_token_never_reads_the_figures(ctx, app, org):
    response = app.test_client().get("/api/v1/stats", headers=bearer(ctx, org=org))
    assert response.status_code == 403
    assert app.test_client().get("/api/v1/stats").status_code == 401


def test_a_filter_not_understood_is_named_not_a_500(ctx, app):
    make_user(ctx, "manager", "manager", "regio")
    client = login(app, "manager")
    page = client.get("/cockpit?from=gisteren")
    assert page.status_code == 422 and "from:" in page.get_data(as_text=True)
    api = client.get("/api/v1/stats?municipality=atlantis")
    assert api.status_code == 422 and "municipality" in api.get_data(as_text=True)
    assert client.get("/api/v1/stats?quarter=2026-Q5").status_code == 422
    assert client.get("/api/v1/stats?from=2026-05&to=2026-01").status_code == 422
    assert client.get("/cockpit/figures/nonsense.csv").status_code == 404


def _values(body: dict) -> list[object]:
    found: list[object] = []
    for figure in body["figures"]:
        for row in figure["cells"]:
            found += row
        found += figure["column_totals"] + (figure["row_totals"] or []) + [figure["total"]]
    return [v for v in found if v is not None]


def test_managers_see_suppressed_counts_and_never_a_household(ctx, app):
    with ctx.sessionmaker.begin() as session:
        deployments.deploy_path(ctx, session, SYSTEM, ctx.settings.processes_dir)
    seed_year(ctx, seed=5, signals=40, days=90, until=UNTIL)
    figures.fold_all(ctx)
    with ctx.sessionmaker() as session:
        households = session.execute(select(Case.tenant_name, Case.street, Case.postcode,
                                            Case.case_number)).all()
        sliedrecht = session.scalar(select(Case.id).where(Case.municipality == "sliedrecht"))
    assert households and sliedrecht is not None
    make_user(ctx, "manager", "manager", "regio")
    client = login(app, "manager")
    query = "from=2026-07&to=2026-09"
    page = client.get(f"/cockpit?{query}").get_data(as_text=True)
    api = client.get(f"/api/v1/stats?{query}").get_json()
    texts = [page, str(api)]
    for figure in figures.FIGURE_IDS:
        response = client.get(f"/cockpit/figures/{figure}.csv?{query}")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        texts.append(response.get_data(as_text=True))
    for text in texts:
        for name, street, postcode, case_number in households:
            assert name not in text and street not in text and postcode not in text
            assert case_number not in text
    # every value a manager sees is 0, at least 5, or "<5" — page, API and CSV alike
    values = _values(api)
    assert figures.HIDDEN in values
    assert all(v == figures.HIDDEN or (isinstance(v, int) and (v == 0 or v >= 5))
               for v in values)
    assert "&lt;5" in page
    for text in texts[2:]:
        for row in list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))[1:]:
            assert all(cell in ("0", figures.HIDDEN) or not cell.isdigit() or int(cell) >= 5
                       for cell in row[1:]), row
    # the page and the API give the same numbers
    signals = next(f for f in api["figures"] if f["id"] == "signals_municipality")
    assert str(signals["total"]) in page.replace("&lt;", "<")
    # filtered to one municipality: the other municipalities' columns are gone
    one = client.get(f"/api/v1/stats?{query}&municipality=sliedrecht&figure="
                     "signals_municipality").get_json()
    assert [c["key"] for c in one["figures"][0]["columns"]] == ["sliedrecht"]
    assert one["filters"]["municipality"] == "sliedrecht"


def test_long_periods_come_by_quarter_or_year(ctx, app):
    make_user(ctx, "manager", "manager", "regio")
    client = login(app, "manager")
    two = client.get("/api/v1/stats?from=2024-10&to=2026-09&figure=funnel").get_json()
    assert two["figures"][0]["rows"] == "month" and len(two["figures"][0]["periods"]) == 24
    three = client.get("/api/v1/stats?from=2024-01&to=2026-09&figure=funnel").get_json()
    assert three["figures"][0]["periods"][:2] == ["2024-Q1", "2024-Q2"]
    assert three["figures"][0]["rows"] == "quarter" and len(three["figures"][0]["periods"]) == 11
    ten = client.get("/api/v1/stats?from=2016-10&to=2026-09&figure=legal").get_json()
    assert ten["figures"][0]["periods"] == [str(y) for y in range(2016, 2027)]
    csv_head = client.get("/cockpit/figures/funnel.csv?from=2024-01&to=2026-09")
    assert csv_head.get_data(as_text=True).lstrip("\ufeff").startswith("Kwartaal;")
