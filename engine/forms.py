"""Validating submitted task forms and signals against their JSON Schema, with Dutch messages.

Two rules hold whatever a form file says: a task form accepts only the fields it lists
(``properties``), never the variables that decide who may see a case, and no submitted text may
hold what a database cannot store (NUL, lone surrogates): refused here, at the door, it can
never stop a later step of the case (a timer) from saving.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Collection
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
             protected: Collection[str] = ()) -> dict[str, Any]:
    """The submitted data, or ``InvalidInput`` naming every bad field (in Dutch).

    With ``fields``, any other field is refused (whatever ``additionalProperties`` says), and a
    field in ``protected`` is refused even when the form lists it. Text a database cannot
    store is refused everywhere in the data, nested values included.
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
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.path)):
        field = "/".join(str(p) for p in error.path)
        if fields is not None and not field and error.validator == "additionalProperties":
            continue  # each such field is named above
        if error.validator == "required" and isinstance(error.instance, dict):
            missing = [r for r in error.validator_value if r not in error.instance]
            for name in missing:
                errors.setdefault(f"{field}/{name}" if field else name, "is verplicht")
            continue
        errors.setdefault(field or "data", _dutch(error.validator, error.message))
    if errors:
        raise InvalidInput(errors)
    return data


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


def _dutch(validator: Any, message: str) -> str:
    texts = {
        "type": "heeft niet het juiste type",
        "enum": "is geen toegestane keuze",
        "format": "heeft niet het juiste formaat",
        "minimum": "is te klein",
        "maximum": "is te groot",
        "minLength": "is te kort",
        "maxLength": "is te lang",
        "pattern": "heeft niet het juiste formaat",
        "additionalProperties": "bevat velden die niet bij dit formulier horen",
    }
    return texts.get(str(validator), message)
