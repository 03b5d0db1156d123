"""Checking a task form's file as the process owner types it: JSON, a JSON Schema object,
and our own ``x-`` keywords in the shape the inbox's renderer (``webui.forms``) and the engine
(``engine.forms``) read them. Every problem names where it is (a JSON line and column, or the
path inside the schema, such as ``properties/outcome/x-enum-titles``), in Dutch, so the
editor's preview shows what to fix instead of failing, and a draft never holds a form the
inbox cannot draw.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from engine.forms import ANCHOR_NAMES
from engine.scenario_format import is_scenario_file

#: The field types the inbox draws (``webui.forms``); anything else would be a bare text box.
FIELD_TYPES = ("string", "integer", "number", "boolean")
#: The widgets ``x-widget`` may name.
WIDGETS = ("textarea",)
_TEXT_KEYWORDS = ("title", "x-title-en", "description", "x-description-en")


@dataclass(frozen=True)
class SchemaProblem:
    """One problem in a form file: where (``path``) and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _where(parts: Any) -> str:
    return "/".join(str(p) for p in parts) or "(hoofdniveau)"


def read_form(content: bytes) -> tuple[dict[str, Any] | None, list[SchemaProblem]]:
    """The form's schema and every problem found; the schema is None when it cannot be read
    (not UTF-8, not JSON, or not an object)."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None, [SchemaProblem("(bestand)", "is geen UTF-8-tekst")]
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as error:
        return None, [SchemaProblem(f"regel {error.lineno}, kolom {error.colno}",
                                    f"geen geldige JSON ({error.msg})")]
    except RecursionError:
        return None, [SchemaProblem("(bestand)", "is te diep genest")]
    if not isinstance(schema, dict):
        return None, [SchemaProblem("(hoofdniveau)",
                                    "een formulier is een JSON-object ({ … })")]
    problems = [SchemaProblem(_where(e.absolute_path), f"geen geldig JSON Schema: {_dutch(e)}")
                for e in sorted(Draft202012Validator(Draft202012Validator.META_SCHEMA)
                                .iter_errors(schema), key=lambda e: list(e.absolute_path))]
    if not problems:
        problems = _our_keywords(schema)
    return schema, problems


#: JSON Schema's types, as a message names them.
_KINDS = {"string": "tekst", "integer": "een geheel getal", "number": "een getal",
          "boolean": "true of false", "object": "een object ({ … })", "array": "een lijst ([ … ])",
          "null": "null"}


def _dutch(error: ValidationError) -> str:
    """The metaschema's complaint as what is expected, in Dutch (the library's own English
    text for the rare kinds not named here)."""
    kind, expected, found = error.validator, error.validator_value, error.instance
    if error.absolute_path and error.absolute_path[-1] == "type" and isinstance(found, str):
        return f"onbekend type {json.dumps(found)}; JSON Schema kent " + ", ".join(_KINDS)
    if kind == "type":
        wanted = expected if isinstance(expected, list) else [expected]
        return "moet " + " of ".join(_KINDS.get(str(w), str(w)) for w in wanted) + " zijn"
    if kind == "minimum":
        return f"moet minstens {expected} zijn"
    if kind == "uniqueItems":
        return "bevat een waarde twee keer"
    if kind == "minItems":
        return f"moet minstens {expected} element(en) bevatten"
    return str(error.message)


def _our_keywords(schema: dict[str, Any]) -> list[SchemaProblem]:
    """What JSON Schema leaves open but the renderer and the engine rely on."""
    problems: list[SchemaProblem] = []
    if schema.get("type", "object") != "object":
        problems.append(SchemaProblem("type", "een formulier heeft type \"object\""))
    problems += _texts(schema, "")
    properties = schema.get("properties", {})
    for name, spec in properties.items():
        where = f"properties/{name}"
        if not isinstance(spec, dict):
            problems.append(SchemaProblem(where, "beschrijf het veld als object ({ … })"))
            continue
        problems += _field(where, spec)
    shown = schema.get("x-show", [])
    if not isinstance(shown, list):
        problems.append(SchemaProblem("x-show", "moet een lijst zijn"))
        shown = []
    for index, fact in enumerate(shown):
        if not isinstance(fact, dict) or not isinstance(fact.get("variable"), str):
            problems.append(SchemaProblem(f"x-show/{index}",
                                          "een getoond gegeven is een object met \"variable\""))
    return problems


def _texts(spec: dict[str, Any], prefix: str) -> list[SchemaProblem]:
    return [SchemaProblem(prefix + key, "moet tekst zijn")
            for key in _TEXT_KEYWORDS if key in spec and not isinstance(spec[key], str)]


def _field(where: str, spec: dict[str, Any]) -> list[SchemaProblem]:
    problems = _texts(spec, where + "/")
    kind = spec.get("type")
    if "enum" not in spec and kind not in FIELD_TYPES:
        problems.append(SchemaProblem(f"{where}/type", "het invulscherm toont alleen "
                                      + ", ".join(FIELD_TYPES) + " of een keuze (enum)"))
    options = spec.get("enum")
    if "enum" in spec and not options:
        problems.append(SchemaProblem(f"{where}/enum", "geef minstens één keuze"))
    if "pattern" in spec:
        try:
            re.compile(spec["pattern"])
        except (re.error, TypeError) as error:
            problems.append(SchemaProblem(f"{where}/pattern",
                                          f"geen geldige reguliere expressie ({error})"))
    for key in ("x-enum-titles", "x-enum-titles-en"):
        if key not in spec:
            continue
        titles = spec[key]
        if not isinstance(titles, list) or not all(isinstance(t, str) for t in titles):
            problems.append(SchemaProblem(f"{where}/{key}", "moet een lijst met teksten zijn"))
        elif not isinstance(options, list) or len(titles) != len(options):
            problems.append(SchemaProblem(f"{where}/{key}", "geef één titel per keuze in enum"))
    if "x-widget" in spec and spec["x-widget"] not in WIDGETS:
        problems.append(SchemaProblem(f"{where}/x-widget",
                                      "onbekend; mogelijk: " + ", ".join(WIDGETS)))
    sources = spec.get("x-prefill-from")
    if "x-prefill-from" in spec and not (isinstance(sources, str) or (
            isinstance(sources, list) and all(isinstance(s, str) for s in sources))):
        problems.append(SchemaProblem(f"{where}/x-prefill-from",
                                      "een procesvariabele of een lijst ervan"))
    for key in ("x-not-before", "x-not-after"):
        if key in spec and not _is_bound(spec[key]):
            problems.append(SchemaProblem(f"{where}/{key}", "een datum (jjjj-mm-dd), "
                                          + " of ".join(f'"{a}"' for a in ANCHOR_NAMES)))
    return problems


def _is_bound(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if value in ANCHOR_NAMES:
        return True
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_form_file(name: str) -> bool:
    """Every ``.json`` of a bundle but a scenario is a task form (as ``engine.bundles``)."""
    return name.endswith(".json") and not is_scenario_file(name)
