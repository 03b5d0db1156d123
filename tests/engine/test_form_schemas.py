"""Checking a form file as the process owner types it (``engine.form_schemas``): every shipped
form passes, and each kind of mistake is named by where it is, in Dutch."""

from __future__ import annotations

import json

import pytest

from engine.form_schemas import is_form_file, read_form
from tests.conftest import ROOT

FORMS = sorted((ROOT / "processes").glob("*/forms/*.json"))


def test_every_shipped_form_passes() -> None:
    assert FORMS
    for path in FORMS:
        schema, problems = read_form(path.read_bytes())
        assert problems == [], (path.name, problems)
        assert schema == json.loads(path.read_bytes())


def _form(**fields: object) -> bytes:
    return json.dumps({"type": "object", "properties": fields}).encode()


@pytest.mark.parametrize(("content", "path", "words"), [
    (b'{"type": "object",\n  "title": "x",}', "regel 2, kolom 16", "geen geldige JSON"),
    (b"\xff\xfe", "(bestand)", "UTF-8"),
    (b"[1, 2]", "(hoofdniveau)", "JSON-object"),
    (b"[" * 50_000, "(bestand)", "te diep genest"),
    (_form(outcome={"type": "strnig"}), "properties/outcome/type", "geen geldig JSON Schema"),
    (_form(note={"type": "string", "maxLength": -1}), "properties/note/maxLength",
     "moet minstens 0 zijn"),
    (_form(choice={"type": "string", "enum": ["a", "b"], "x-enum-titles": ["A"]}),
     "properties/choice/x-enum-titles", "één titel per keuze"),
    (_form(choice={"type": "string", "enum": ["a"], "x-enum-titles-en": "A"}),
     "properties/choice/x-enum-titles-en", "lijst met teksten"),
    (_form(items={"type": "array"}), "properties/items/type", "toont alleen"),
    (_form(note={"type": "string", "x-title-en": 12}), "properties/note/x-title-en", "tekst"),
    (_form(note={"type": "string", "x-widget": "slider"}), "properties/note/x-widget",
     "onbekend"),
    (_form(day={"type": "string", "format": "date", "x-not-after": "morgen"}),
     "properties/day/x-not-after", "een datum"),
    (_form(day={"type": "string", "x-prefill-from": [1]}), "properties/day/x-prefill-from",
     "procesvariabele"),
    (_form(flag=True), "properties/flag", "als object"),
    (_form(kind={"type": "strnig"}), "properties/kind/type", 'onbekend type "strnig"'),
    (_form(code={"type": "string", "pattern": "["}), "properties/code/pattern",
     "reguliere expressie"),
    (_form(choice={"type": "string", "enum": []}), "properties/choice/enum", "één keuze"),
    (json.dumps({"type": "object", "required": "name"}).encode(), "required", "een lijst"),
    (json.dumps({"type": "array"}).encode(), "type", "type \"object\""),
    (json.dumps({"type": "object", "x-show": [{"title": "x"}]}).encode(), "x-show/0",
     "variable"),
])
def test_each_mistake_is_named_by_its_path(content: bytes, path: str, words: str) -> None:
    _schema, problems = read_form(content)
    assert len(problems) >= 1
    assert problems[0].path == path, problems
    assert words in problems[0].message, problems


def test_which_files_are_forms() -> None:
    assert is_form_file("outreach/forms/record_contact_attempt.json")
    assert not is_form_file("scenarios/01_paid_before_contact.json")
    assert not is_form_file("outreach/outreach.bpmn")
