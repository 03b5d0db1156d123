"""Task forms: a JSON Schema rendered as HTML fields, and posted values turned back into data.

Supported (what ``processes/*/forms`` use): flat objects with ``string`` (``format: date``,
``x-widget: textarea``, ``enum`` with ``x-enum-titles``), ``integer`` and ``number`` (with or
without ``enum``) and ``boolean``. A required yes/no question is a pair of radio buttons, so
"not answered" is visible; an optional one is a checkbox. A yes/no question required only under
a condition (in the form's ``then`` / ``else``) is a required one too: left blank it is never
read as "no". Titles and descriptions come in
Dutch, or in English from ``x-title-en`` / ``x-description-en``. A text field carries its
``maxLength`` (the engine refuses longer text with the limit named). Parsing keeps what was typed:
a value that cannot be converted is passed on as text, so the engine's validation names it and
the field shows it again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from engine.forms import choice_title, iso_date
from webui.i18n import pick

RADIO_MAX = 3


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    widget: str  # text, textarea, date, integer, number, checkbox, yesno, radio, select
    required: bool
    description: str = ""
    options: list[Option] = field(default_factory=list)
    value: str = ""
    error: str | None = None
    min: Any = None
    max: Any = None
    max_length: int | None = None


def _required(schema: dict[str, Any]) -> set[str]:
    """The fields the form requires, plus the yes/no questions it requires only under a
    condition (``then`` / ``else``), which must never default to "no" when left blank."""
    required = set(schema.get("required") or [])
    properties = schema.get("properties") or {}
    for branch in ("then", "else"):
        part = schema.get(branch)
        for name in (part.get("required") or []) if isinstance(part, dict) else []:
            spec = properties.get(name)
            if isinstance(spec, dict) and spec.get("type") == "boolean":
                required.add(name)
    return required


def _widget(spec: dict[str, Any]) -> str:
    kind = spec.get("type")
    if "enum" in spec:
        return "radio" if len(spec["enum"]) <= RADIO_MAX else "select"
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return str(kind)
    if spec.get("format") == "date":
        return "date"
    if spec.get("x-widget") == "textarea":
        return "textarea"
    return "text"


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def fields(schema: dict[str, Any] | None, values: dict[str, Any] | None = None,
           errors: dict[str, str] | None = None) -> list[Field]:
    """The form's fields in schema order, filled with ``values`` and marked with ``errors``."""
    if not schema:
        return []
    values = values or {}
    errors = errors or {}
    required = _required(schema)
    result = []
    for name, spec in (schema.get("properties") or {}).items():
        if not isinstance(spec, dict):
            continue
        widget = _widget(spec)
        if widget == "checkbox" and name in required:
            widget = "yesno"
        options = []
        for value in spec.get("enum") or []:
            nl, en = choice_title(spec, value) or (str(value), None)
            options.append(Option(_shown(value), pick(nl, en)))
        result.append(Field(
            name=name, label=pick(spec.get("title"), spec.get("x-title-en")) or name,
            widget=widget, required=name in required,
            description=pick(spec.get("description"), spec.get("x-description-en")),
            options=options, value=_shown(values.get(name)), error=errors.get(name),
            min=spec.get("minimum"), max=spec.get("maximum"),
            max_length=spec["maxLength"] if isinstance(spec.get("maxLength"), int) else None))
    return result


_TRUE = ("true", "ja", "on", "1")
_FALSE = ("false", "nee", "0")


def parse(schema: dict[str, Any] | None, form: Any) -> dict[str, Any]:
    """Posted form values as typed data for the engine; unconvertible values stay text."""
    if not schema:
        return {}
    data: dict[str, Any] = {}
    required = _required(schema)
    for name, spec in (schema.get("properties") or {}).items():
        if not isinstance(spec, dict):
            continue
        kind = spec.get("type")
        raw = form.get(name)
        if kind == "boolean":
            if raw is None or raw == "":
                if name not in required:
                    data[name] = False
                continue
            lowered = str(raw).lower()
            data[name] = True if lowered in _TRUE else False if lowered in _FALSE else raw
            continue
        if raw is None:
            continue
        text = str(raw).strip()
        if text == "":
            continue
        data[name] = _convert(spec, kind, text)
    return data


def _convert(spec: dict[str, Any], kind: Any, text: str) -> Any:
    # Plain ASCII digits of sane length only: no "nan", "inf", "1e400", "²" or 5,000 digits
    # (none can be stored or compared); anything else stays text for the schema to name.
    if kind == "integer":
        return int(text) if re.fullmatch(r"-?[0-9]{1,18}", text) else text
    if kind == "number":
        candidate = text.replace(" ", "")
        if "," in candidate:
            candidate = candidate.replace(".", "").replace(",", ".")
        if not re.fullmatch(r"-?([0-9]{1,15}(\.[0-9]{0,15})?|\.[0-9]{1,15})", candidate):
            return text
        number = float(candidate)
        return int(number) if number.is_integer() and "." not in candidate else number
    if spec.get("format") == "date":
        return iso_date(text)
    return text
