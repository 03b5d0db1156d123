"""Read models: the frozen dataclasses every read function returns.

Pages, the JSON API and the CLI receive these, never ORM rows or SpiffWorkflow objects.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next: str | None


@dataclass(frozen=True)
class ProcessView:
    process_id: str
    name: str
    file_name: str
    start_messages: list[str]
    has_none_start: bool


@dataclass(frozen=True)
class DeploymentView:
    id: int
    version: int
    sha256: str
    created_at: datetime
    created_by: str | None
    files: list[str]
    processes: list[ProcessView]
    new: bool = True


@dataclass(frozen=True)
class InstanceError:
    element: str | None
    message: str | None
    line: int | None


@dataclass(frozen=True)
class InstanceView:
    id: int
    process_id: str
    deployment_version: int | None
    business_key: str | None
    status: str
    current_elements: list[str]
    next_timer_due: datetime | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    error: InstanceError | None
    data: dict[str, Any] | None = None


@dataclass(frozen=True)
class TaskView:
    id: str
    name: str
    bpmn_id: str
    role: str | None
    process_id: str
    case_number: str | None
    instance_id: int
    state: str
    assignee_id: int | None
    municipality: str | None
    corporation: str | None
    due_at: datetime | None
    created_at: datetime
    completed_at: datetime | None = None


@dataclass(frozen=True)
class TaskDetail:
    task: TaskView
    form_schema: dict[str, Any] | None
    data: dict[str, Any]
    instructions: str | None
    #: What the process computed and the form shows read-only (its ``x-show``).
    facts: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class CompletionResult:
    task_id: str
    instance_id: int
    instance_status: str
    next_task_id: str | None


@dataclass(frozen=True)
class MessageResult:
    message_id: int | None
    status: str  # delivered, kept, started, duplicate
    instance_id: int | None
    case_number: str | None


def as_dict(value: Any) -> Any:
    """A view as JSON-ready data (datetimes as ISO strings)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_dict(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list):
        return [as_dict(v) for v in value]
    if isinstance(value, dict):
        return {k: as_dict(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.isoformat()
    return value
