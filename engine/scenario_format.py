"""The file format of the chain's scenarios (``processes/scenarios/<name>.json``).

A scenario is data a process owner can read and change: a signal, messages, clock moves, form
data per task, and what is expected on the way (open tasks, deadlines, who sees a task) and at
the end (closure reason, national outcome code, what the corporation is told). It travels in
the bundle beside the diagrams, so a draft carries its scenarios and the publish gate runs
them (``engine.scenarios``). This module only reads and checks the format; it imports nothing
of the engine, so the bundle reader can check scenario files without a cycle.

A file is one JSON object::

    {"title": "Betaald voor het eerste contact",
     "start": "2026-04-23 09:00",            (optional, UTC; this is the default)
     "steps": [{"signal": {}},
               {"expect_open": ["record_first_contact_attempt"]},
               {"clock": "2026-04-24 10:00", "fired": 0},
               {"message": "arrears_resolved", "payload": {"paid_on": "2026-04-24"}},
               {"close": {}},
               {"expect_closed": {"reason": "arrears_paid", "code": "…", "feedback": "…"}}]}

Each step has exactly one action key (``ACTIONS``) plus that action's options (``OPTIONS``).
In form data, payloads and expected values the text ``"$today"`` stands for the clock's date
in Amsterdam, ``$case`` for the number of the case driven now and ``$previous`` for the one
before it: a message for a closed case that opens a new one (``"status": "started"``) moves
the scenario on to the new case, and ``"case": "previous"`` names the closed one again. Every
action and option is described for process owners in ``processes/SCENARIOS.md``.
"""

from __future__ import annotations

import json
from typing import Any

#: Where a bundle keeps its scenarios.
FOLDER = "scenarios/"

#: Each action and the extra keys its step may carry.
OPTIONS: dict[str, frozenset[str]] = {
    # what happens
    "signal": frozenset({"case_number"}),
    "clock": frozenset({"fired"}),
    "message": frozenset({"payload", "status", "case"}),
    "complete": frozenset({"data", "role"}),
    "attempt": frozenset(),
    "reach": frozenset(),
    "talk": frozenset(),
    "zrm": frozenset(),
    "plan": frozenset(),
    "sdd": frozenset(),
    "close": frozenset(),
    # what is expected
    "expect_open": frozenset(),
    "expect_due": frozenset(),
    "expect_task": frozenset(),
    "expect_queue": frozenset({"tasks", "absent"}),
    "expect_facts": frozenset({"facts", "absent"}),
    "expect_states": frozenset(),
    "expect_next_timer": frozenset(),
    "expect_waiting": frozenset(),
    "expect_status": frozenset(),
    "expect_data": frozenset(),
    "expect_case": frozenset(),
    "expect_events": frozenset(),
    "expect_closed": frozenset(),
}
ACTIONS = frozenset(OPTIONS)
TOP_KEYS = frozenset({"title", "description", "start", "steps", "case_number"})
MAX_STEPS = 500


class ScenarioFormatError(ValueError):
    """A scenario file that is not a scenario; the message names the step."""


def is_scenario_file(name: str) -> bool:
    return name.startswith(FOLDER) and name.endswith(".json")


def scenario_name(file_name: str) -> str:
    """``scenarios/01_paid.json`` → ``01_paid``."""
    return file_name[len(FOLDER):-len(".json")] if is_scenario_file(file_name) else file_name


def step_action(step: dict[str, Any]) -> str:
    return next(k for k in step if k in ACTIONS)


def parse(content: bytes | str) -> dict[str, Any]:
    """Read and check a scenario file.

    :raise ScenarioFormatError: in Dutch, naming the step (1-based) and key at fault.
    """
    try:
        data = json.loads(content)
    except ValueError as error:
        raise ScenarioFormatError(f"geen geldige JSON: {error}") from None
    if not isinstance(data, dict):
        raise ScenarioFormatError("een scenario is een JSON-object met 'title' en 'steps'")
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise ScenarioFormatError(f"onbekende sleutel(s) {', '.join(unknown)}; toegestaan: "
                                  f"{', '.join(sorted(TOP_KEYS))}")
    if not isinstance(data.get("title"), str) or not data["title"].strip():
        raise ScenarioFormatError("'title' ontbreekt: geef het scenario een titel")
    if "start" in data and not isinstance(data["start"], str):
        raise ScenarioFormatError("'start' is een tijdstip in UTC, bv. \"2026-04-23 09:00\"")
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise ScenarioFormatError("'steps' ontbreekt of is leeg: een lijst met stappen")
    if len(steps) > MAX_STEPS:
        raise ScenarioFormatError(f"{len(steps)} stappen; de grens is {MAX_STEPS}")
    for number, step in enumerate(steps, start=1):
        if not isinstance(step, dict):
            raise ScenarioFormatError(f"stap {number}: een stap is een JSON-object")
        actions = [k for k in step if k in ACTIONS]
        if len(actions) != 1:
            # with no action, a key that is none is most likely the action mistyped: name it
            strange = [k for k in step if not actions and k not in ACTIONS]
            raise ScenarioFormatError(
                f"stap {number}: precies één actie per stap (gevonden: "
                f"{', '.join(actions) or 'geen'}"
                f"{'; onbekend: ' + ', '.join(strange) if strange else ''}); "
                f"acties: {', '.join(sorted(ACTIONS))}")
        extra = sorted(set(step) - {actions[0]} - OPTIONS[actions[0]])
        if extra:
            raise ScenarioFormatError(f"stap {number} ({actions[0]}): onbekende sleutel(s) "
                                      f"{', '.join(extra)}")
        _check_step(number, actions[0], step)
    return data


def _check_step(number: int, action: str, step: dict[str, Any]) -> None:
    value: Any = step[action]
    where = f"stap {number} ({action})"
    needs: dict[str, type | tuple[type, ...]] = {
        "signal": dict, "clock": str, "message": str, "complete": str,
        "expect_open": list, "expect_due": dict, "expect_task": dict, "expect_queue": str,
        "expect_facts": str, "expect_states": dict, "expect_waiting": list,
        "expect_status": str, "expect_data": dict, "expect_case": dict, "expect_events": dict,
        "expect_closed": dict, "attempt": dict, "reach": dict, "talk": dict, "zrm": dict,
        "sdd": dict, "plan": str, "close": dict,
        "expect_next_timer": (str, type(None)),
    }
    wanted = needs[action]
    if not isinstance(value, wanted):
        names: dict[Any, str] = {dict: "een object", str: "een tekst", list: "een lijst"}
        kind = names.get(wanted, "een tekst of null")
        raise ScenarioFormatError(f"{where}: de waarde is {kind}")
    fields: dict[str, Any] = step[action] if isinstance(step[action], dict) else {}
    if action == "complete" and not isinstance(step.get("data", {}), dict):
        raise ScenarioFormatError(f"{where}: 'data' is een object met de formuliervelden")
    if action == "message" and not isinstance(step.get("payload", {}), dict):
        raise ScenarioFormatError(f"{where}: 'payload' is een object")
    if action == "message" and step.get("case", "current") not in ("current", "previous"):
        raise ScenarioFormatError(f"{where}: 'case' is \"current\" (de zaak van het scenario) "
                                  f"of \"previous\" (de zaak ervoor)")
    if action == "message" and not isinstance(step.get("status", ""), str):
        raise ScenarioFormatError(f"{where}: 'status' is een tekst, bv. \"delivered\"")
    if action == "clock" and "fired" in step and not isinstance(step["fired"], int):
        raise ScenarioFormatError(f"{where}: 'fired' is een geheel getal")
    if action == "expect_task" and not isinstance(fields.get("id"), str):
        raise ScenarioFormatError(f"{where}: 'id' (de taak) ontbreekt")
    if action == "expect_closed":
        missing = [k for k in ("reason", "code", "feedback") if k not in fields]
        if missing:
            raise ScenarioFormatError(f"{where}: ontbreekt: {', '.join(missing)}")
