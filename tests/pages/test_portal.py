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


# --- the corporation's own tasks and the generic outcome (issue 9, item 7) ----------------

def _work(chain, who, bpmn_id, data):
    """Take the one open task ``bpmn_id`` (unless ``who`` holds it) and complete it."""
    from engine import tasks

    task = next(t for t in chain.open_tasks() if t.bpmn_id == bpmn_id)
    with chain.ctx.sessionmaker.begin() as session:
        if task.assignee_id != who.user_id:
            tasks.claim_task(chain.ctx, session, who, task.id)
        tasks.complete_task(chain.ctx, session, who, task.id, data)


def _chain(ctx, clock):
    from tests.processes.chain import Chain, deploy_chain, utc

    deploy_chain(ctx)
    clock.set(utc("2026-04-23 08:00"))
    return Chain(ctx, clock, "DR-2026-0001")


def _to_arrangement(chain, anna):
    from tests.processes.chain import ZRM_DOMAINS

    chain.signal()
    _work(chain, anna, "record_first_contact_attempt", {
        "attempt_date": chain.today(), "attempt_type": "Huisbezoek", "day_part": "afternoon",
        "contact_made": True})
    _work(chain, anna, "hold_kitchen_table_conversation", {
        "conversation_date": chain.today(), "help_wanted": True,
        "consent_data_sharing": True, "other_debts": False})
    zrm = {"zrm_date": chain.today()}
    for domain in ZRM_DOMAINS:
        zrm[f"zrm_{domain}"] = 3 if domain == "finances" else 4
        zrm[f"zrm_{domain}_note"] = "Geheime ZRM-notitie"
    _work(chain, anna, "score_zrm", zrm)
    _work(chain, anna, "agree_action_plan", {"plan_summary": "Vertrouwelijk plan",
                                             "route_choice": "follow_advice"})
    _work(chain, anna, "request_payment_arrangement", {
        "proposed_instalment": 100, "proposed_term_months": 12, "income_checked": True,
        "request_note": "Betaalt via budgetbeheer"})


def test_the_portal_lists_own_open_tasks_with_deadline_and_the_proposal(ctx, clock, app):
    chain = _chain(ctx, clock)
    anna = make_user(ctx, "anna", "social_team", "dordrecht")
    make_user(ctx, "corp", "corporation", "woonbron")
    make_user(ctx, "other", "corporation", "trivire")
    corp = login(app, "corp")
    chain.signal()
    html = corp.get("/portal").get_data(as_text=True)
    # the social team's outreach task is not the corporation's
    assert "Er staan geen taken voor je organisatie open." in html
    assert "Eerste contactpoging" not in html
    chain.instance_id = None
    ctx_case = chain.case_number
    chain.case_number = "DR-2026-0002"
    _to_arrangement(chain, anna)
    register = next(t for t in chain.open_tasks()
                    if t.bpmn_id == "review_payment_arrangement")
    html = corp.get("/portal").get_data(as_text=True)
    assert f'href="/tasks/{register.id}"' in html
    assert "Betalingsregeling aanvaarden of weigeren" in html
    assert "Voorstel sociaal team" in html and "12 maanden" in html
    assert "100,00" in html and "Betaalt via budgetbeheer" in html
    # nothing of the assessment reaches the corporation
    for secret in ("Geheime ZRM-notitie", "Vertrouwelijk plan", "zrm", "advised_route"):
        assert secret not in html
    assert ctx_case in html  # its recent cases are still listed
    # another corporation sees none of it
    other = login(app, "other").get("/portal").get_data(as_text=True)
    assert register.id not in other and "Voorstel sociaal team" not in other
    # the task page opens for the corporation and its completion starts the monitoring
    assert corp.get(f"/tasks/{register.id}").status_code == 200


def test_a_closed_case_shows_the_generic_outcome_never_the_reason(ctx, clock, app):
    chain = _chain(ctx, clock)
    anna = make_user(ctx, "anna", "social_team", "dordrecht")
    make_user(ctx, "corp", "corporation", "woonbron")
    chain.signal(arrears_amount=40.0)  # under the threshold: not picked up
    _work(chain, anna, "confirm_case_closure", {"closure_date": chain.today()})
    with ctx.sessionmaker() as session:
        case = session.scalars(select(Case)).one()
        assert (case.closed, case.outcome) == (True, "Niet opgepakt")
    html = login(app, "corp").get("/portal").get_data(as_text=True)
    assert "Niet opgepakt" in html
    # the reason and the national code stay with the social team (domain.md §1.4)
    for hidden in ("drempel", "onterecht", "below_threshold"):
        assert hidden not in html
    case_page = login(app, "corp").get(f"/cases/{chain.case_number}").get_data(as_text=True)
    for hidden in ("drempel", "onterecht", "below_threshold"):
        assert hidden not in case_page


def test_a_declined_case_shows_the_corporation_only_its_generic_outcome(ctx, clock, app):
    chain = _chain(ctx, clock)
    anna = make_user(ctx, "anna", "social_team", "dordrecht")
    make_user(ctx, "corp", "corporation", "woonbron")
    chain.signal()
    _work(chain, anna, "record_first_contact_attempt", {
        "attempt_date": chain.today(), "attempt_type": "Telefoon", "day_part": "morning",
        "contact_made": True, "attempt_note": "Huurder vertelde over zijn verslaving"})
    _work(chain, anna, "hold_kitchen_table_conversation", {
        "conversation_date": chain.today(), "help_wanted": False,
        "consent_data_sharing": False, "other_debts": True})
    _work(chain, anna, "confirm_case_closure", {"closure_date": chain.today()})
    corp = login(app, "corp")
    html = corp.get("/portal").get_data(as_text=True)
    assert "Afgesloten: geen hulp gewenst" in html
    pages = html + corp.get(f"/cases/{chain.case_number}").get_data(as_text=True)
    for hidden in ("verslaving", "Inwoner hoeft geen hulp", "other_debts", "Behandelaar",
                   "anna"):
        assert hidden not in pages
