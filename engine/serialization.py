"""The one configured SpiffWorkflow serializer.

Instances are stored without their spec (the spec is stored once per process definition and
cached), which makes a blob about three times smaller and loading several times faster. Task
data may hold JSON values plus ``date``, ``datetime`` and ``Decimal``; the serializer version of
every blob is checked against an allow-list before anything is restored.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from importlib.metadata import version as package_version
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.errors import InstanceStateInvalid

#: Versions whose blobs we load; SpiffWorkflow migrates the older ones on load.
ALLOWED_VERSIONS = frozenset({"1.0", "1.1", "1.2", "1.3", "1.4", "1.5"})
LIBRARY_VERSION = package_version("SpiffWorkflow")


class SpecFreeWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """Writes a workflow without its spec; restores it onto a spec passed in by the caller."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None,
                  subprocess_specs: dict[str, Any] | None = None) -> BpmnWorkflow:
        if spec is None:
            raise InstanceStateInvalid("workflow state restored without its spec")
        workflow = self.target_class(spec, subprocess_specs or {}, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _build_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = SpecFreeWorkflowConverter
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(date, lambda v: {"value": v.isoformat()},
                      lambda v: date.fromisoformat(v["value"]))
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    return BpmnWorkflowSerializer(registry)


_SERIALIZER = _build_serializer()
CURRENT_VERSION: str = _SERIALIZER.VERSION


def dump_workflow(workflow: BpmnWorkflow) -> str:
    """The workflow's state as JSON, without its spec."""
    result: str = _SERIALIZER.serialize_json(workflow)
    return result


def load_workflow(blob: str, spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
    """Restore a workflow onto its cached spec.

    :raise InstanceStateInvalid: unknown or missing serializer version, or corrupt JSON.
    """
    try:
        dct = json.loads(blob)
    except ValueError as error:
        raise InstanceStateInvalid(f"stored workflow state is not JSON: {error}") from None
    found = dct.get(BpmnWorkflowSerializer.VERSION_KEY)
    if found not in ALLOWED_VERSIONS:
        raise InstanceStateInvalid(
            f"serializer version {found!r} is not allowed (allowed: "
            f"{', '.join(sorted(ALLOWED_VERSIONS))})")
    _SERIALIZER.migrate(dct)
    workflow: BpmnWorkflow = _SERIALIZER.registry.restore(dct, spec=spec,
                                                          subprocess_specs=subprocess_specs)
    return workflow


def dump_spec(spec: Any, subprocess_specs: dict[str, Any]) -> str:
    registry = _SERIALIZER.registry
    return json.dumps({"spec": registry.convert(spec),
                       "subprocess_specs": {k: registry.convert(v)
                                            for k, v in subprocess_specs.items()}})


def load_spec(blob: str) -> tuple[Any, dict[str, Any]]:
    registry = _SERIALIZER.registry
    dct = json.loads(blob)
    return (registry.restore(dct["spec"]),
            {k: registry.restore(v) for k, v in dct["subprocess_specs"].items()})
