"""Validating submitted task forms against their JSON Schema, with Dutch messages."""

from __future__ import annotations

import re
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


def validate(validator: Draft202012Validator, data: Any) -> dict[str, Any]:
    """The submitted data, or ``InvalidInput`` naming every bad field (in Dutch)."""
    if not isinstance(data, dict):
        raise InvalidInput({"data": "moet een object zijn"})
    errors: dict[str, str] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.path)):
        field = "/".join(str(p) for p in error.path)
        if error.validator == "required" and isinstance(error.instance, dict):
            missing = [r for r in error.validator_value if r not in error.instance]
            for name in missing:
                errors.setdefault(f"{field}/{name}" if field else name, "is verplicht")
            continue
        errors.setdefault(field or "data", _dutch(error.validator, error.message))
    if errors:
        raise InvalidInput(errors)
    return data


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
