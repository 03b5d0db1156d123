"""The portal's CSV upload: a file of more than SYNC_ROWS rows becomes a job with its own page."""

from __future__ import annotations

import io
import time

from sqlalchemy import func, select

from engine.chain import signal_batches
from engine.models import Case
from tests.casework import deploy_chain
from tests.factories import make_user
from tests.webclient import login

HEADER = ("external_id,name,street,house_number,postcode,city,arrears_amount,arrears_months,"
          "monthly_rent\n")


def test_a_large_csv_is_processed_as_a_job_and_its_page_shows_the_results(ctx, app):
    deploy_chain(ctx)
    make_user(ctx, "corp", "corporation", "tablis")
    make_user(ctx, "other", "corporation", "woonbron")
    corp = login(app, "corp")
    lines = [f"T-{n},A. Smit,Kerkbuurt,{n + 1},3361 AC,Sliedrecht,700,1,640"
             for n in range(signal_batches.SYNC_ROWS + 20)]
    lines[5] = "T-5,B. Smit,Kerkbuurt,,3361 AC,Sliedrecht,-5,1,640"
    csv = HEADER + "\n".join(lines) + "\n"
    response = corp.post("/portal/upload", data={"file": (io.BytesIO(csv.encode()), "a.csv")},
                         content_type="multipart/form-data")
    assert response.status_code == 303
    page = response.headers["Location"]
    assert page.startswith("/portal/upload/")
    deadline = time.monotonic() + 300
    html = ""
    while time.monotonic() < deadline:
        html = corp.get(page).get_data(as_text=True)
        if "Resultaat" in html:
            break
        assert "Het bestand wordt verwerkt" in html
        time.sleep(0.3)
    assert f"{signal_batches.SYNC_ROWS + 19} nieuw, 0 al gemeld, 1 afgekeurd." in html
    assert "tenant/house_number" in html
    with ctx.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(Case)) \
            == signal_batches.SYNC_ROWS + 19
    assert login(app, "other").get(page).status_code == 404
