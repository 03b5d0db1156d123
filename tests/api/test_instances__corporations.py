"""A corporation sees a case as milestones only (domain.md §6): the generic instance API, with
its process ids and step names (``sdd_intake`` tells of a referral), shows it nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.models import ProcessInstance
from tests.access.world import build
from tests.webclient import bearer


@pytest.mark.parametrize("who", [{"username": "corp-woonbron"}, {"username": "corpl-woonbron"},
                                 {"org": "woonbron"}])
def test_a_corporation_gets_no_instances_and_no_step_names(ctx, app, who):
    world = build(ctx)
    client, token = app.test_client(), bearer(ctx, **who)
    listing = client.get("/api/v1/instances", headers=token)
    assert listing.status_code == 200
    assert listing.json["items"] == []
    assert "sdd_intake" not in listing.get_data(as_text=True)
    with ctx.sessionmaker() as session:
        own = session.scalars(select(ProcessInstance.id).where(
            ProcessInstance.business_key == world.cases["dordrecht_sdd"])).first()
    one = client.get(f"/api/v1/instances/{own}", headers=token)
    missing = client.get("/api/v1/instances/999999", headers=token)
    assert one.status_code == missing.status_code == 404
    # the case API still shows the corporation its own tenant's milestones
    case = client.get(f"/api/v1/cases/{world.cases['dordrecht_sdd']}", headers=token)
    assert case.status_code == 200 and case.json["view"] == "milestones"


def test_the_social_team_still_follows_its_cases_steps(ctx, app):
    world = build(ctx)
    listing = app.test_client().get("/api/v1/instances",
                                    headers=bearer(ctx, username="st-dordrecht"))
    assert [(i["business_key"], i["current_elements"]) for i in listing.json["items"]] == [
        (world.cases["dordrecht_sdd"], ["sdd_intake"])]
