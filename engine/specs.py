"""Parsed process specs, cached per process definition.

A definition's spec is stored once (``ProcessDefinition.spec_json``) and restored at most once
per process; every instance of it shares the restored objects.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.models import Deployment, DeploymentFile, ProcessDefinition
from engine.serialization import load_spec


@dataclass(frozen=True)
class CachedSpec:
    definition_id: int
    deployment_id: int
    deployment_version: int
    process_id: str
    spec: Any
    subprocess_specs: dict[str, Any]
    #: (process id, user task id) -> form file, for the process and everything it calls
    forms: dict[tuple[str, str], str] = field(default_factory=dict)
    #: (bpmn id, name, lane) of every task a person does, in the process and its subprocesses
    user_tasks: tuple[tuple[str, str, str | None], ...] = ()


class SpecCache:
    """Restored specs and compiled form validators of this engine context."""

    def __init__(self) -> None:
        self._items: dict[int, CachedSpec] = {}
        self._forms: dict[tuple[int, str], tuple[dict[str, Any], Draft202012Validator]] = {}
        self._lock = threading.Lock()

    def form(self, session: Session, deployment_id: int,
             name: str) -> tuple[dict[str, Any], Draft202012Validator]:
        """A form's JSON Schema and its validator (with format checks), cached."""
        key = (deployment_id, name)
        found = self._forms.get(key)
        if found is None:
            content = session.scalar(select(DeploymentFile.content).where(
                DeploymentFile.deployment_id == deployment_id, DeploymentFile.name == name))
            if content is None:
                raise NotFound(f"form {name} is not in deployment {deployment_id}")
            schema = json.loads(content)
            found = (schema, Draft202012Validator(schema, format_checker=FormatChecker()))
            with self._lock:
                self._forms[key] = found
        return found

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
        version = session.scalar(select(Deployment.version).where(
            Deployment.id == definition.deployment_id))
        cached = CachedSpec(definition.id, definition.deployment_id, version or 0,
                            definition.process_id, spec, subprocess_specs, forms,
                            _user_tasks(spec, subprocess_specs))
        with self._lock:
            self._items[definition_id] = cached
        return cached


def _user_tasks(spec: Any, subprocess_specs: dict[str, Any]
                ) -> tuple[tuple[str, str, str | None], ...]:
    """The tasks of ``spec`` and its subprocesses that a person does (they become
    ``human_task`` rows): bpmn id, name (the id when unnamed) and lane."""
    return tuple((task.bpmn_id, task.bpmn_name or task.bpmn_id, task.lane)
                 for process in (spec, *subprocess_specs.values())
                 for task in process.task_specs.values()
                 if task.manual and getattr(task, "bpmn_id", None))
