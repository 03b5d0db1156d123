"""Parsed process specs, cached per process definition.

A definition's spec is stored once (``ProcessDefinition.spec_json``) and restored at most once
per process; every instance of it shares the restored objects.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.models import ProcessDefinition
from engine.serialization import load_spec


@dataclass(frozen=True)
class CachedSpec:
    definition_id: int
    deployment_id: int
    process_id: str
    spec: Any
    subprocess_specs: dict[str, Any]
    #: (process id, user task id) -> form file, for the process and everything it calls
    forms: dict[tuple[str, str], str] = field(default_factory=dict)


class SpecCache:
    def __init__(self) -> None:
        self._items: dict[int, CachedSpec] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, definition_id: int) -> CachedSpec:
        cached = self._items.get(definition_id)
        if cached is not None:
            return cached
        definition = session.get(ProcessDefinition, definition_id)
        if definition is None:
            raise NotFound(f"process definition {definition_id} does not exist")
        spec, subprocess_specs = load_spec(definition.spec_json)
        forms: dict[tuple[str, str], str] = {}
        siblings = session.scalars(select(ProcessDefinition).where(
            ProcessDefinition.deployment_id == definition.deployment_id)).all()
        for sibling in siblings:
            for task_id, form in sibling.forms.items():
                forms[(sibling.process_id, task_id)] = form
        cached = CachedSpec(definition.id, definition.deployment_id, definition.process_id,
                            spec, subprocess_specs, forms)
        with self._lock:
            self._items[definition_id] = cached
        return cached
