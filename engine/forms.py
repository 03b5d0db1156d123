"""Validating submitted task forms and signals against their JSON Schema, with Dutch messages.

Two rules hold whatever a form file says: a task form accepts only the fields it lists
(``properties``), never the variables that decide who may see a case, and no submitted text may
hold what a database cannot store (NUL, lone surrogates): refused here, at the door, it can
never stop a later step of the case (a timer) from saving.

Messages say what is expected, in Dutch; the error's summary (``InvalidInput.message``) names
each field by its form title. Three keywords of our own, ignored by JSON Schema itself:

- ``x-not-before`` / ``x-not-after`` on a date field: a bound, ``"today"``, ``"signal"`` (the
  date the corporation's signal came in) or an ISO date; the caller gives the anchors' dates;
- ``x-prefill-from`` on a field: the process variables (first acceptable value wins) the
  form starts from; nothing else is prefilled, so a loop never offers its last answer again;
- ``x-show`` on the form: facts the process computed, shown read-only above the fields
  (``{"variable", "title", "enum", "x-enum-titles"}``).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from jsonschema import Draft202012Validator

from engine.errors import InvalidInput

_DUTCH_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")


def iso_date(text: str) -> str:
    """A Dutch ``dd-mm-jjjj`` date (also with / or .) as ISO; anything else unchanged, for
    the schema to judge."""
    match = _DUTCH_DATE.match(text)
    if match:
        try:
            return date(int(match.group(3)), int(match.group(2)),
                        int(match.group(1))).isoformat()
        except ValueError:
            return text
    return text


def form_fields(schema: dict[str, Any] | None) -> frozenset[str]:
    """The fields a form lists (its ``properties``); none for a task without a form."""
    properties = (schema or {}).get("properties")
    return frozenset(properties) if isinstance(properties, dict) else frozenset()


def validate(validator: Draft202012Validator | None, data: Any,
             fields: Collection[str] | None = None,
             protected: Collection[str] = (),
             anchors: Mapping[str, date] | None = None) -> dict[str, Any]:
    """The submitted data, or ``InvalidInput`` naming every bad field (in Dutch).

    With ``fields``, any other field is refused (whatever ``additionalProperties`` says), and a
    field in ``protected`` is refused even when the form lists it. Text a database cannot
    store is refused everywhere in the data, nested values included. With ``anchors`` (the
    dates of ``"today"`` and ``"signal"``), the date bounds of the form are checked too.
    """
    if not isinstance(data, dict):
        raise InvalidInput({"data": "moet een object zijn"})
    errors: dict[str, str] = {}
    for name in data:
        if name in protected:
            errors[_shown_name(name)] = "bepaalt wie de casus ziet en kan niet van buitenaf " \
                "worden gewijzigd"
        elif fields is not None and name not in fields:
            errors[_shown_name(name)] = "hoort niet bij dit formulier"
    _unstorable_text(data, errors)
    if validator is None:
        if errors:
            raise InvalidInput(errors)
        return data
    schema = validator.schema if isinstance(validator.schema, dict) else {}
    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.path)):
        field = "/".join(str(p) for p in error.path)
        if fields is not None and not field and error.validator == "additionalProperties":
            continue  # each such field is named above
        if error.validator == "required" and isinstance(error.instance, dict):
            missing = [r for r in error.validator_value if r not in error.instance]
            for name in missing:
                spec = properties.get(name) if not field else None
                errors.setdefault(f"{field}/{name}" if field else name,
                                  _required(spec if isinstance(spec, dict) else {}))
            continue
        errors.setdefault(field or "data", _dutch(error))
    if anchors is not None:
        for name, message in date_bounds(schema, data, anchors).items():
            errors.setdefault(name, message)
    if errors:
        raise InvalidInput(errors, labelled(schema, errors))
    return data


def labelled(schema: dict[str, Any] | None, errors: Mapping[str, str]) -> str:
    """The errors as one sentence, each field named by its title: "Datum: vul een datum in"."""
    properties = (schema or {}).get("properties")
    properties = properties if isinstance(properties, dict) else {}

    def label(name: str) -> str:
        spec = properties.get(name)
        title = spec.get("title") if isinstance(spec, dict) else None
        return title if isinstance(title, str) and title else name

    return "; ".join(f"{label(name)}: {message}" for name, message in errors.items())


# --- date bounds ---------------------------------------------------------------------------

#: How a bound is named in a message.
ANCHOR_NAMES = {"today": "vandaag", "signal": "de datum van het signaal"}


def _bound(value: Any, anchors: Mapping[str, date]) -> tuple[date, str] | None:
    """A bound's date and its name in a message; None for an anchor the caller did not give."""
    if not isinstance(value, str):
        return None
    if value in ANCHOR_NAMES:
        found = anchors.get(value)
        return (found, ANCHOR_NAMES[value]) if found is not None else None
    try:
        return date.fromisoformat(value), "die datum"
    except ValueError:
        return None


def date_bounds(schema: dict[str, Any] | None, data: Mapping[str, Any],
                anchors: Mapping[str, date]) -> dict[str, str]:
    """Every date field outside its ``x-not-before`` / ``x-not-after`` bound, with which bound
    it crosses. A value that is no ISO date is left to the format check."""
    properties = (schema or {}).get("properties")
    errors: dict[str, str] = {}
    if not isinstance(properties, dict):
        return errors
    for name, spec in properties.items():
        value = data.get(name)
        if not isinstance(spec, dict) or not isinstance(value, str):
            continue
        try:
            given = date.fromisoformat(value)
        except ValueError:
            continue
        after = _bound(spec.get("x-not-after"), anchors)
        before = _bound(spec.get("x-not-before"), anchors)
        if after is not None and given > after[0]:
            errors[name] = (f"mag niet na {after[1]} liggen ({_dutch_date(after[0])}): "
                            "vul de datum in waarop het gebeurd is")
        elif before is not None and given < before[0]:
            errors[name] = (f"mag niet vóór {before[1]} liggen ({_dutch_date(before[0])})")
    return errors


def _dutch_date(day: date) -> str:
    return day.strftime("%d-%m-%Y")


# --- what a form starts from and shows -------------------------------------------------------

def _acceptable(spec: dict[str, Any], value: Any) -> bool:
    if "enum" in spec:
        return any(value == option and type(value) is type(option) for option in spec["enum"])
    kind = spec.get("type")
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return False


def prefill(schema: dict[str, Any] | None, variables: Mapping[str, Any]) -> dict[str, Any]:
    """The values a form starts from: for each field with ``x-prefill-from``, the first of
    those variables whose value the field accepts. A field without it starts empty."""
    properties = (schema or {}).get("properties")
    result: dict[str, Any] = {}
    if not isinstance(properties, dict):
        return result
    for name, spec in properties.items():
        if not isinstance(spec, dict):
            continue
        sources = spec.get("x-prefill-from")
        if isinstance(sources, str):
            sources = [sources]
        for source in sources if isinstance(sources, list) else []:
            value = variables.get(source) if isinstance(source, str) else None
            if value is not None and _acceptable(spec, value):
                result[name] = value
                break
    return result


def choice_title(spec: Mapping[str, Any], value: Any) -> tuple[str, str | None] | None:
    """The (Dutch, English) title of ``value`` among the field's ``enum`` options (its
    ``x-enum-titles`` / ``x-enum-titles-en``; the value itself, or no English, when the form
    gives none); None when the field has no such option."""
    options = spec.get("enum")
    if not isinstance(options, list) or value not in options:
        return None
    index = options.index(value)
    titles = spec.get("x-enum-titles") or []
    titles_en = spec.get("x-enum-titles-en") or []
    return (str(titles[index]) if index < len(titles) else str(value),
            str(titles_en[index]) if index < len(titles_en) else None)


def shown_facts(schema: dict[str, Any] | None,
                variables: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The form's ``x-show`` facts with their values (a choice as its title); a fact the
    process has not computed is left out. Each: ``{"name", "title", "x-title-en", "value",
    "label", "label_en"}``."""
    facts: list[dict[str, Any]] = []
    wanted = (schema or {}).get("x-show")
    for spec in wanted if isinstance(wanted, list) else []:
        if not isinstance(spec, dict) or not isinstance(spec.get("variable"), str):
            continue
        value = variables.get(spec["variable"])
        if value is None or isinstance(value, dict | list):
            continue
        label, label_en = choice_title(spec, value) or (str(value), None)
        facts.append({"name": spec["variable"], "title": spec.get("title") or spec["variable"],
                      "x-title-en": spec.get("x-title-en"), "value": value, "label": label,
                      "label_en": label_en})
    return facts


def free_text_without_maximum(schema: dict[str, Any] | None) -> list[str]:
    """The form's free-text fields (strings without ``enum`` or ``format``) that state no
    ``maxLength``: every shipped form gives each one."""
    properties = (schema or {}).get("properties")
    if not isinstance(properties, dict):
        return []
    return [name for name, spec in properties.items()
            if isinstance(spec, dict) and spec.get("type") == "string"
            and "enum" not in spec and "format" not in spec and "maxLength" not in spec]


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_NUL = "bevat een NUL-teken, dat niet kan worden opgeslagen"
_SURROGATE = "bevat een ongeldig teken (een losse surrogaat), dat niet kan worden opgeslagen"


def _unstorable_text(data: dict[str, Any], errors: dict[str, str]) -> None:
    """Name every string (or key) in ``data`` holding NUL or a lone surrogate: PostgreSQL
    cannot store either (``UntranslatableCharacter``), and neither is ever typed on purpose.
    Walked with a queue, so deeply nested data cannot exhaust the call stack."""
    queue: deque[tuple[str, Any]] = deque([("", data)])
    while queue:
        path, value = queue.popleft()
        if isinstance(value, str):
            found = _UNSTORABLE.search(value)
            if found is not None:
                errors.setdefault(path or "data", _NUL if found.group() == "\x00"
                                  else _SURROGATE)
        elif isinstance(value, dict):
            for key, item in value.items():
                name = _shown_name(str(key))
                where = f"{path}/{name}" if path else name
                if _UNSTORABLE.search(str(key)):
                    errors.setdefault(where, "veldnaam bevat een teken dat niet kan worden "
                                      "opgeslagen")
                queue.append((where, item))
        elif isinstance(value, list | tuple):
            queue.extend((f"{path}/{index}" if path else str(index), item)
                         for index, item in enumerate(value))


def _shown_name(name: str) -> str:
    """A field name fit to show and store: unstorable characters written as escapes."""
    return _UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", name)[:200]


def _required(spec: dict[str, Any]) -> str:
    """What a missing field asks for, by its kind."""
    if "enum" in spec or spec.get("type") == "boolean":
        return "is verplicht: maak een keuze"
    if spec.get("format") == "date":
        return "is verplicht: vul een datum in (dd-mm-jjjj)"
    if spec.get("type") in ("integer", "number"):
        return "is verplicht: vul een getal in"
    return "is verplicht: vul dit veld in"


_TYPES = {"integer": "moet een geheel getal zijn, zoals 12",
          "number": "moet een getal of bedrag zijn, zoals 812,50",
          "boolean": "kies ja of nee", "string": "moet tekst zijn",
          "object": "moet een object zijn", "array": "moet een lijst zijn"}


def _number(value: Any) -> str:
    return str(value).replace(".", ",")


def _dutch(error: Any) -> str:
    """A JSON Schema error as what is expected, in Dutch."""
    kind, expected, instance = str(error.validator), error.validator_value, error.instance
    if kind == "type":
        return _TYPES.get(str(expected), "heeft niet het juiste type")
    if kind == "format" and expected == "date":
        return "moet een bestaande datum zijn (dd-mm-jjjj)"
    if kind == "minLength":
        if isinstance(instance, str) and not instance.strip():
            return "is verplicht: vul dit veld in"
        return f"moet minstens {expected} tekens bevatten"
    if kind == "maxLength":
        size = len(instance) if isinstance(instance, str) else 0
        return f"mag hoogstens {expected} tekens bevatten (nu {size})"
    if kind == "minimum":
        return f"moet minstens {_number(expected)} zijn"
    if kind == "maximum":
        return f"mag hoogstens {_number(expected)} zijn"
    texts = {
        "enum": "is geen toegestane keuze: kies een van de mogelijkheden",
        "const": "is geen toegestane keuze",
        "format": "heeft niet het juiste formaat",
        "pattern": "heeft niet het juiste formaat",
        "additionalProperties": "bevat velden die niet bij dit formulier horen",
    }
    return texts.get(kind, "is ongeldig")
