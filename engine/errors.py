"""The engine's error hierarchy.

Services raise these; ``webui/errors.py`` is the one place that turns them into HTTP statuses
and the CLI turns them into exit codes. Nothing here knows about HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass


class EngineError(Exception):
    """Base of every error a caller of the engine is expected to handle."""

    title = "Fout"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(EngineError):
    """The object does not exist, or the actor may not know that it does."""

    title = "Niet gevonden"


class NotAuthenticated(EngineError):
    """No valid credentials were presented."""

    title = "Niet aangemeld"


class NotAllowed(EngineError):
    """The actor may see the object but not perform this action on it."""

    title = "Niet toegestaan"


class Conflict(EngineError):
    """Someone else changed the object first (already completed, claimed, or a newer version)."""

    title = "Conflict"


class InvalidTransition(Conflict):
    """A human-task lifecycle step that is not allowed from the task's current state."""


class ConfigurationError(EngineError):
    """A setting names something this installation cannot do (a database without its
    driver)."""

    title = "Onjuiste instelling"


class InvalidInput(EngineError):
    """Input failed validation; ``errors`` maps each field to its message."""

    title = "Ongeldige invoer"

    def __init__(self, errors: dict[str, str], message: str | None = None) -> None:
        super().__init__(message or "; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class BundleProblem:
    """One reason a bundle was refused: which file, which BPMN element, which line."""

    file: str
    message: str
    element: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
        if self.element:
            where += f" [{self.element}]"
        return f"{where}: {self.message}"


class BundleInvalid(EngineError):
    """A deployment bundle was refused; ``problems`` lists every reason found."""

    title = "Procesbundel geweigerd"

    def __init__(self, problems: list[BundleProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class InstanceStateInvalid(EngineError):
    """Stored workflow state cannot be loaded (unknown serializer version, corrupt data)."""

    title = "Ongeldige processtatus"


class ScriptFailed(EngineError):
    """A script or expression failed; carries the BPMN element and the line."""

    title = "Scriptfout"

    def __init__(self, message: str, element: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.element = element
        self.line = line
