"""The one configured SpiffWorkflow serializer.

Instances are stored without their spec (the spec is stored once per process definition and
cached), which makes a blob about three times smaller and loading several times faster. Task
data may hold JSON values plus ``date``, ``datetime`` and ``Decimal``; the serializer version of
every blob is checked against an allow-list before anything is restored.

The allow-list holds only versions proven by frozen stored states
(``tests/engine/fixtures/stored_states``): real blobs of the chain, written by this code and
loaded and run on by a test with every change. SpiffWorkflow's migrations of older versions
expect the spec inside the blob, which ours never carry, so an unproven version is refused
rather than tried. A blob that does not fit its label (missing or mistyped keys) is refused the
same way: ``InstanceStateInvalid``, never a ``KeyError``.
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
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.errors import InstanceStateInvalid

#: Versions whose blobs we load: each one is proven by a frozen stored state (see above).
ALLOWED_VERSIONS = frozenset({"1.5"})
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


def spec_registry() -> Any:
    """The serializer's converter registry (SpiffWorkflow's diff compares specs through it)."""
    return _SERIALIZER.registry


def dump_workflow(workflow: BpmnWorkflow) -> str:
    """The workflow's state as JSON, without its spec."""
    result: str = _SERIALIZER.serialize_json(workflow)
    return result


def load_workflow(blob: str, spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
    """Restore a workflow onto its cached spec.

    :raise InstanceStateInvalid: unknown or missing serializer version, corrupt JSON, or
        content that does not fit its version.
    """
    try:
        dct = json.loads(blob)
    except ValueError as error:
        raise InstanceStateInvalid(f"stored workflow state is not JSON: {error}") from None
    if not isinstance(dct, dict):
        raise InstanceStateInvalid("stored workflow state is not a JSON object")
    found = dct.get(BpmnWorkflowSerializer.VERSION_KEY)
    if not isinstance(found, str) or found not in ALLOWED_VERSIONS:
        raise InstanceStateInvalid(
            f"serializer version {found!r} is not allowed (allowed: "
            f"{', '.join(sorted(ALLOWED_VERSIONS))})")
    try:
        _SERIALIZER.migrate(dct)
        workflow: BpmnWorkflow = _SERIALIZER.registry.restore(dct, spec=spec,
                                                              subprocess_specs=subprocess_specs)
    except InstanceStateInvalid:
        raise
    except Exception as error:  # whatever the blob lacks or mistypes, it is not a state
        raise InstanceStateInvalid(_misfit("workflow state", found, error)) from None
    return workflow


def _misfit(what: str, version: str | None, error: Exception) -> str:
    label = f"serializer version {version}" if version else "its format"
    detail = f"missing key {error}" if isinstance(error, KeyError) else \
        f"{type(error).__name__}: {str(error)[:200]}"
    return f"stored {what} does not fit {label} ({detail})"


def dump_spec(spec: Any, subprocess_specs: dict[str, Any]) -> str:
    registry = _SERIALIZER.registry
    return json.dumps({"spec": registry.convert(spec),
                       "subprocess_specs": {k: registry.convert(v)
                                            for k, v in subprocess_specs.items()}})


def load_spec(blob: str) -> tuple[Any, dict[str, Any]]:
    """Restore a process definition's spec and the specs it calls.

    :raise InstanceStateInvalid: the blob is not a spec written by ``dump_spec``.
    """
    registry = _SERIALIZER.registry
    try:
        dct = json.loads(blob)
        spec = registry.restore(dct["spec"])
        subprocess_specs = {k: registry.restore(v) for k, v in dct["subprocess_specs"].items()}
        for restored in (spec, *subprocess_specs.values()):
            if not isinstance(restored, BpmnProcessSpec):
                raise TypeError(f"{type(restored).__name__} is not a process spec")
    except Exception as error:  # a spec that does not restore is refused, never a 500
        raise InstanceStateInvalid(_misfit("process spec", None, error)) from None
    return spec, subprocess_specs
