"""The decision-table and form editors over HTTP: each opens on its own kind of file, a DMN
file and a form are saved into the draft with the same revision rules as a diagram (a stale
save is a 409, a broken file a 422 naming where it is broken, never a 500), and the form
preview draws the schema with the inbox's renderer or names each problem by its path."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from engine import drafts
from engine.context import EngineContext
from engine.deployments import deploy_path
from tests.conftest import ROOT
from tests.factories import make_user
from tests.webclient import login

DMN = "arrears_case/triage_signal.dmn"
FORM = "outreach/forms/record_contact_attempt.json"
SCENARIO = "scenarios/01_paid_before_contact.json"


@pytest.fixture
def draft_id(ctx: EngineContext) -> int:
    owner = make_user(ctx, "po", "process_owner", "regio")
    make_user(ctx, "po2", "process_owner", "regio")
    with ctx.sessionmaker.begin() as session:
        deploy_path(ctx, session, owner, ROOT / "processes")
        return drafts.create(ctx, session, owner, "Formulieren").id


def test_the_draft_page_links_each_editable_file(app: Flask, draft_id: int) -> None:
    page = login(app, "po").get(f"/editor/drafts/{draft_id}").get_data(as_text=True)
    for name in (DMN, FORM, "outreach/outreach.bpmn"):
        assert f'href="/editor/drafts/{draft_id}/edit/{name}"' in page
    assert f'href="/editor/drafts/{draft_id}/edit/{SCENARIO}"' not in page


def test_the_dmn_editor_page_and_saving_a_table(app: Flask, draft_id: int) -> None:
    owner, other = login(app, "po"), login(app, "po2")
    page = owner.get(f"/editor/drafts/{draft_id}/edit/{DMN}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "vendor/editor/dmn.js" in text and 'data-revision="1"' in text
    assert "<script>" not in text  # the policy runs no inline script
    url = f"/editor/drafts/{draft_id}/files/{DMN}"
    original = owner.get(url).data
    changed = original.replace(b'"rule_threat_contact_working_days"><text>3</text>',
                               b'"rule_threat_contact_working_days"><text>2</text>')
    assert changed != original
    saved = owner.put(url, data=changed, headers={"If-Match": "1"})
    assert saved.status_code == 200 and saved.json == {"revision": 2}
    stale = other.put(url, data=original, headers={"If-Match": "1"})
    assert stale.status_code == 409 and "intussen gewijzigd door po" in stale.json["error"]
    broken = other.put(url, data=b"<definitions", headers={"If-Match": "2"})
    assert broken.status_code == 422 and DMN in broken.json["error"]
    assert owner.get(url).data == changed
    assert owner.get(f"/editor/drafts/{draft_id}/edit/{SCENARIO}").status_code == 404
    assert owner.get(f"/editor/drafts/{draft_id}/edit/nope.dmn").status_code == 404


def test_the_form_editor_shows_the_inbox_rendering(app: Flask, draft_id: int) -> None:
    owner = login(app, "po")
    page = owner.get(f"/editor/drafts/{draft_id}/edit/{FORM}").get_data(as_text=True)
    schema = json.loads((ROOT / "processes" / FORM).read_bytes())
    assert "vendor/editor/form.js" in page and "<script>" not in page
    assert 'id="form-source-text"' in page
    for name, spec in schema["properties"].items():  # drawn as the task page draws them
        assert f'id="field-{name}"' in page
        assert spec["title"] in page


def _preview(client, draft_id: int, body: bytes, name: str = FORM):  # type: ignore[no-untyped-def]
    return client.post(f"/editor/drafts/{draft_id}/preview/{name}", data=body,
                       content_type="text/plain; charset=utf-8")


def test_the_preview_of_a_valid_schema(app: Flask, draft_id: int) -> None:
    owner = login(app, "po")
    schema = {"type": "object", "title": "Huisbezoek", "required": ["visited", "outcome"],
              "properties": {
                  "visited": {"type": "boolean", "title": "Bezoek afgelegd"},
                  "outcome": {"type": "string", "title": "Uitkomst", "enum": ["a", "b"],
                              "x-enum-titles": ["Thuis getroffen", "Niet thuis"]},
                  "note": {"type": "string", "title": "Notitie", "x-widget": "textarea",
                           "maxLength": 300}}}
    answer = _preview(owner, draft_id, json.dumps(schema).encode())
    assert answer.status_code == 200 and answer.headers["X-Form-Valid"] == "true"
    html = answer.get_data(as_text=True)
    assert "Huisbezoek" in html and 'data-valid="true"' in html
    assert 'name="visited" id="visited-1" value="true"' in html  # a required yes/no: radios
    assert "Thuis getroffen" in html and "Niet thuis" in html
    assert '<textarea id="note" name="note" rows="4" maxlength="300"' in html
    english = owner.get("/editor?lang=en")
    assert english.status_code == 200
    assert "Huisbezoek" in _preview(owner, draft_id, json.dumps(schema).encode()).get_data(
        as_text=True)
    # nothing was saved: the preview only draws
    assert owner.get(f"/editor/drafts/{draft_id}/files/{FORM}").data == \
        (ROOT / "processes" / FORM).read_bytes()


@pytest.mark.parametrize(("body", "where", "words"), [
    (b'{"type": "object", "properties": {', "regel 1, kolom 35", "geen geldige JSON"),
    (b'{"type": "object", "properties": {"x": {"type": "strnig", "title": "X"}}}',
     "properties/x/type", "geen geldig JSON Schema"),
    (b'{"type": "object", "properties": {"x": {"type": "string", "enum": ["a", "b"], '
     b'"x-enum-titles": ["A"]}}}', "properties/x/x-enum-titles", "titel per keuze"),
    (b"[1]", "(hoofdniveau)", "JSON-object"),
    (b"", "regel 1, kolom 1", "geen geldige JSON"),
    (b"[" * 20_000, "(bestand)", "te diep genest"),
])
def test_the_preview_names_each_problem(app: Flask, draft_id: int, body: bytes, where: str,
                                        words: str) -> None:
    answer = _preview(login(app, "po"), draft_id, body)
    assert answer.status_code == 200 and answer.headers["X-Form-Valid"] == "false"
    html = answer.get_data(as_text=True)
    assert f"<code>{where}</code>" in html and words in html, html
    assert 'data-valid="false"' in html


def test_the_preview_refuses_what_is_no_form_and_oversized_text(ctx: EngineContext, app: Flask,
                                                               draft_id: int) -> None:
    owner = login(app, "po")
    assert _preview(owner, draft_id, b"{}", name=SCENARIO).status_code == 404
    assert _preview(owner, draft_id, b"{}", name="outreach/outreach.bpmn").status_code == 404
    assert _preview(owner, 999_999, b"{}").status_code == 404
    limit = ctx.settings.max_file_bytes
    big = _preview(owner, draft_id, b" " * (limit + 1))  # under the request limit
    assert big.status_code == 200 and big.headers["X-Form-Valid"] == "false"
    assert f"de grens is {limit}" in big.get_data(as_text=True)


def test_saving_a_form(app: Flask, draft_id: int) -> None:
    owner, other = login(app, "po"), login(app, "po2")
    url = f"/editor/drafts/{draft_id}/files/{FORM}"
    schema = json.loads(owner.get(url).data)
    schema["title"] = "Contactpoging vastleggen (nieuw)"
    mine = json.dumps(schema, ensure_ascii=False, indent=2).encode()
    saved = owner.put(url, data=mine, headers={"If-Match": "1"},
                      content_type="application/json")
    assert saved.status_code == 200 and saved.json == {"revision": 2}
    assert owner.get(url).data == mine
    stale = other.put(url, data=mine, headers={"If-Match": "1"}, content_type="application/json")
    assert stale.status_code == 409 and "intussen gewijzigd" in stale.json["error"]
    schema["properties"]["contact_made"] = {"type": "nummer"}
    refused = owner.put(url, data=json.dumps(schema).encode(), headers={"If-Match": "2"},
                        content_type="application/json")
    assert refused.status_code == 422
    assert FORM in refused.json["error"]
    assert "properties/contact_made/type" in refused.json["error"]
    not_json = owner.put(url, data=b'{"type": ', headers={"If-Match": "2"},
                         content_type="text/plain")
    assert not_json.status_code == 422 and "geen geldige JSON" in not_json.json["error"]
    assert owner.get(url).data == mine
    with_draft = owner.get(f"/editor/drafts/{draft_id}").get_data(as_text=True)
    assert "revisie 2" in with_draft


ODD_VALUES = (None, -1, "x", [], [1, "a"], {"a": 1}, True)


def test_no_mutation_of_a_form_makes_the_preview_fail(app: Flask, draft_id: int) -> None:
    """Every keyword of every field, and every top-level keyword, replaced in turn by values of
    every JSON kind: the preview answers each one (drawn, or its problems named), never a 500."""
    owner = login(app, "po")
    schema = json.loads((ROOT / "processes" / FORM).read_bytes())
    variants = []
    for key in schema:
        variants += [{**schema, key: odd} for odd in ODD_VALUES]
    for name, spec in schema["properties"].items():
        for key in [*spec, "enum", "x-enum-titles", "pattern", "minimum"]:
            variants += [{**schema, "properties": {**schema["properties"],
                                                   name: {**spec, key: odd}}}
                         for odd in ODD_VALUES]
    answers = {"true": 0, "false": 0}
    for variant in variants:
        answer = _preview(owner, draft_id, json.dumps(variant).encode())
        assert answer.status_code == 200, (variant, answer.status_code)
        answers[answer.headers["X-Form-Valid"]] += 1
    assert answers["true"] and answers["false"]  # both ways were exercised


def test_only_the_dmn_editor_allows_the_watermark_styles(app: Flask, draft_id: int) -> None:
    owner = login(app, "po")
    dmn = owner.get(f"/editor/drafts/{draft_id}/edit/{DMN}").headers["Content-Security-Policy"]
    assert "style-src-attr 'unsafe-hashes' 'sha256-" in dmn
    assert "'unsafe-inline'" not in dmn
    for path in (f"/editor/drafts/{draft_id}/edit/{FORM}",
                 f"/editor/drafts/{draft_id}/edit/outreach/outreach.bpmn",
                 f"/editor/drafts/{draft_id}"):
        assert "style-src-attr" not in owner.get(path).headers["Content-Security-Policy"], path
