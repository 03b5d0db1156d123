"""The instance list's filters from query parameters: one reading for the API and the cockpit."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from engine import instances
from engine.errors import InvalidInput


def filters_from(args: Any) -> instances.InstanceFilter:
    """The list's filters from query parameters (the API's and the cockpit page's), every bad
    one named (Dutch)."""
    errors: dict[str, str] = {}

    def day(name: str) -> date | None:
        value = (args.get(name) or "").strip()
        if not value:
            return None
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        errors[name] = "geen geldige datum (JJJJ-MM-DD)"
        return None

    def flag(name: str) -> bool:
        value = (args.get(name) or "").strip().lower()
        if value in ("", "0", "false", "nee"):
            return False
        if value in ("1", "true", "on", "ja"):
            return True
        errors[name] = "kies true of false"
        return False

    version_text = (args.get("version") or "").strip()
    version = None
    if version_text:
        if re.fullmatch(r"[0-9]{1,9}", version_text):
            version = int(version_text)
        else:
            errors["version"] = "geen geldig versienummer"
    found = instances.InstanceFilter(
        process_id=(args.get("process_id") or "").strip() or None, version=version,
        status=(args.get("status") or "").strip() or None,
        business_key=(args.get("business_key") or "").strip() or None,
        municipality=(args.get("municipality") or "").strip() or None,
        corporation=(args.get("corporation") or "").strip() or None,
        step=(args.get("step") or "").strip() or None,
        overdue=flag("overdue"), in_error=flag("in_error"),
        started_from=day("started_from"), started_to=day("started_to"))
    try:
        found.check()
    except InvalidInput as invalid:
        errors.update(invalid.errors)
    if errors:
        raise InvalidInput(errors)
    return found
