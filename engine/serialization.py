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

import orjson
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
    """The workflow's state as JSON, without its spec (the dictionary of ``workflow_to_dict``).

    orjson writes it, about three times faster than ``json``; values it does not know
    natively (dates, decimals, sets) go through the library's registry exactly as its own
    encoder sends them. What orjson refuses (an integer beyond 64 bits) is written by
    ``json`` with the library's encoder, so every state the library could write is written.
    """
    dct = workflow_to_dict(workflow)
    dct[BpmnWorkflowSerializer.VERSION_KEY] = CURRENT_VERSION
    try:
        return orjson.dumps(dct, default=_encode_other, option=_ORJSON_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(dct, cls=_SERIALIZER._encoder_cls)


#: Dates and datetimes go to the library's encoder (the registry's typed form, not orjson's
#: RFC 3339 strings); dictionary keys that are not strings are written as ``json`` writes them.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
#: What the library's JSON encoder does with a value JSON has no type for (its ``default``).
_encode_other = _SERIALIZER._encoder_cls().default


def workflow_to_dict(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The dictionary SpiffWorkflow's converters write for a workflow (spec left out), built
    in one pass.

    Every step of every case writes its state, and the library's converters spend most of
    that time in generic dispatch: per task a registry look-up, a dictionary comparison key
    by key and three renderings of the same id. This builds the same dictionary directly;
    ``tests/engine/test_serialization__fast_path.py`` holds it equal to the library's for
    the chain's real states.
    """
    registry = _SERIALIZER.registry
    registry._encoder_mode = True  # data values are left to the JSON encoder, as the library does
    try:
        dct = _workflow_fields(workflow, registry)
        dct["subprocesses"] = {
            str(task_id): {**_workflow_fields(sub, registry),
                           "parent_task_id": str(sub.parent_task_id),
                           "spec": sub.spec.name, "typename": "BpmnSubWorkflow"}
            for task_id, sub in workflow.subprocesses.items()}
        dct["bpmn_events"] = registry.convert(workflow.bpmn_events)
        dct["typename"] = "BpmnWorkflow"
    finally:
        registry._encoder_mode = False
    return dct


def _workflow_fields(workflow: Any, registry: Any) -> dict[str, Any]:
    """The fields SpiffWorkflow's ``WorkflowConverter`` writes, its tasks by ``_task_dict``."""
    tasks = workflow.tasks
    names = {task_id: str(task_id) for task_id in tasks}
    return {
        "data": registry.convert(registry.clean(workflow.data)),
        "correlations": workflow.correlations,
        "last_task": names.get(workflow.last_task.id) or str(workflow.last_task.id)
        if workflow.last_task is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "tasks": {names[task_id]: _task_dict(task, tasks, names, registry)
                  for task_id, task in tasks.items()},
        "root": names.get(workflow.task_tree.id) or str(workflow.task_tree.id),
    }


def _task_dict(task: Any, tasks: dict[UUID, Any], names: dict[UUID, str],
               registry: Any) -> dict[str, Any]:
    """One task as SpiffWorkflow's ``TaskConverter`` writes it: its data as the change
    against its parent's (equal data, the common case, is settled by one comparison)."""
    parent_id = task._parent
    parent = tasks.get(parent_id) if parent_id is not None else None
    delta: dict[str, Any]
    if parent is None:
        data, delta = task.data, {}
    else:
        data, own, inherited = {}, task.data, parent.data
        if own == inherited:
            delta = {"updates": {}, "deletions": []}
        else:
            delta = {"updates": {key: value for key, value in own.items()
                                 if key not in inherited or value != inherited[key]},
                     "deletions": [key for key in inherited if key not in own]}
    internal = task.internal_data
    return {
        "id": names[task.id],
        "parent": (names.get(parent_id) or str(parent_id)) if parent is not None else None,
        "children": [names.get(child) or str(child) for child in task._children],
        "last_state_change": task.last_state_change,
        "state": task.state,
        "task_spec": task.task_spec.name,
        "triggered": task.triggered,
        "internal_data": registry.convert(internal) if internal else {},
        "data": data,
        "delta": delta,
        "typename": "Task",
    }


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
