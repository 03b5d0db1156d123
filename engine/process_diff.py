"""What changed in a process between two versions: diagram elements, DMN rules, form fields.

Computed from the files, not from the parsed specs: a process owner thinks in the elements of
the diagram (ids, names, lanes, the text they typed), and the engine's spec has internal tasks
and loses what it does not run. Elements are matched by id; an element's properties are every
attribute and every piece of text below it that the engine reads (scripts, conditions, timer
expressions, messages, called elements, decision ids, form files, extension properties), plus
the lane it sits in. Sequence-flow wiring (incoming/outgoing) shows as the flows' own
``sourceRef``/``targetRef``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from lxml import etree

from engine.bundles import BPMN_NS, SPIFF_NS
from engine.process_catalogue import (
    ProcessFiles,
    decision_tables,
    form_fields,
    process_element,
)

#: Children that only restate the wiring (kept once, on the sequence flows).
_WIRING = {"incoming", "outgoing", "flowNodeRef"}
#: Direct children of a process that are not diagram elements of their own.
_NOT_ELEMENTS = {"laneSet", "extensionElements", "documentation", "ioSpecification",
                 "property", "dataInputAssociation", "dataOutputAssociation"}
#: Elements whose children are elements of the diagram too.
_CONTAINERS = {"subProcess", "transaction", "adHocSubProcess"}
#: The kind of a property by the local name it ends in: the lists the compare page shows.
_KINDS = {"script": "script", "preScript": "script", "postScript": "script",
          "timeDuration": "timer", "timeDate": "timer", "timeCycle": "timer",
          "conditionExpression": "condition", "condition": "condition",
          "messageRef": "message", "messageVariable": "message", "messagePayload": "message",
          "correlationKey": "message", "formalExpression": "message",
          "calledElement": "call", "calledDecisionId": "decision",
          "property formJsonSchemaFilename": "form", "lane": "lane", "name": "name"}


@dataclass(frozen=True)
class PropertyChange:
    key: str
    kind: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class ElementDiff:
    element_id: str
    type: str
    name: str
    status: str  # added, removed, changed
    changes: list[PropertyChange] = field(default_factory=list)


@dataclass(frozen=True)
class RuleDiff:
    decision_id: str
    rule_id: str
    status: str
    old: list[str] | None
    new: list[str] | None
    #: For a changed rule: each changed cell by its column's label (and the rule's
    #: description), old and new; what a process owner reads instead of two rows of cells.
    cells: list[PropertyChange] = field(default_factory=list)


@dataclass(frozen=True)
class FieldDiff:
    form: str
    field: str
    status: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class ProcessDiff:
    elements: list[ElementDiff]
    rules: list[RuleDiff]
    fields: list[FieldDiff]

    def markers(self) -> dict[str, str]:
        """Element id -> ``added``/``removed``/``changed``, for colouring the diagrams."""
        return {e.element_id: e.status for e in self.elements}

    def changes_of(self, kind: str) -> list[tuple[ElementDiff, PropertyChange]]:
        """Every property change of one kind (``script``, ``timer``...), added and removed
        elements included (their property against nothing)."""
        return [(e, c) for e in self.elements for c in e.changes if c.kind == kind]

    @property
    def empty(self) -> bool:
        return not (self.elements or self.rules or self.fields)


# --- elements ---------------------------------------------------------------------------------

def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _is_element(node: etree._Element) -> bool:
    return isinstance(node.tag, str) and bool(node.get("id")) and \
        _local(node.tag) not in _NOT_ELEMENTS


def _elements(proc: etree._Element) -> dict[str, etree._Element]:
    """Every diagram element of the process (nested sub-process content and lanes too)."""
    found: dict[str, etree._Element] = {}

    def walk(container: etree._Element) -> None:
        for child in container:
            if not isinstance(child.tag, str):
                continue
            if _local(child.tag) == "laneSet":
                for lane in child.iter(f"{{{BPMN_NS}}}lane"):
                    found[lane.get("id", "")] = lane
            elif _is_element(child):
                found[child.get("id", "")] = child
                if _local(child.tag) in _CONTAINERS:
                    walk(child)

    walk(proc)
    return found


def _lanes(proc: etree._Element) -> dict[str, str]:
    lanes: dict[str, str] = {}
    for lane in proc.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef"):
            lanes[(ref.text or "").strip()] = lane.get("name") or lane.get("id", "")
    return lanes


#: BPMN's default values (BPMN 2.0, the XML schema's defaults): written or left out, an
#: attribute with its default means the same, and modelers differ in which they write (bpmn-js
#: leaves ``cancelActivity="true"`` out), so a diagram saved by another tool shows no change.
_DEFAULTS = {"cancelActivity": "true", "isInterrupting": "true", "parallelMultiple": "false",
             "isForCompensation": "false", "startQuantity": "1", "completionQuantity": "1",
             "triggeredByEvent": "false", "instantiate": "false",
             "gatewayDirection": "Unspecified", "isSequential": "false",
             "isImmediate": "true"}


def _meaningful(name: str, value: str) -> bool:
    return name != "id" and _DEFAULTS.get(name) != value


def _properties(element: etree._Element, lanes: dict[str, str],
                messages: dict[str, str]) -> dict[str, str]:
    """Everything the engine reads of one element, as flat key -> text."""
    props: dict[str, str] = {}
    own_id = element.get("id", "")
    for attr, value in element.attrib.items():
        name = _local(attr)
        if _meaningful(name, value):
            props[name] = messages.get(value, value) if name == "messageRef" else value
    if own_id in lanes:
        props["lane"] = lanes[own_id]

    def walk(node: etree._Element, path: str) -> None:
        for child in node:
            if not isinstance(child.tag, str):
                continue
            tag = _local(child.tag)
            if tag in _WIRING or (_is_element(child) and tag not in _DEFINITION_TAGS
                                  and not tag.endswith("EventDefinition")):
                continue  # wiring, or a nested element with its own entry
            if child.tag == f"{{{SPIFF_NS}}}property":
                props[f"property {child.get('name', '')}"] = child.get("value", "")
                continue
            key = f"{path}/{tag}" if path else tag
            text = (child.text or "").strip()
            if text or not len(child):
                props[key] = text
            for attr, value in child.attrib.items():
                name = _local(attr)
                if _meaningful(name, value):
                    props[f"{key}@{name}"] = (messages.get(value, value)
                                              if name == "messageRef" else value)
            walk(child, key)

    walk(element, "")
    return props


#: Children with an id that belong to their parent element (not elements of their own).
_DEFINITION_TAGS = {"multiInstanceLoopCharacteristics", "standardLoopCharacteristics",
                    "conditionExpression", "timeDuration", "timeDate", "timeCycle"}


def _kind(key: str) -> str:
    last = key.rsplit("/", 1)[-1].split("@")[-1]
    return _KINDS.get(key) or _KINDS.get(last) or "other"


def _messages(proc: etree._Element) -> dict[str, str]:
    root = proc.getroottree().getroot()
    return {m.get("id", ""): m.get("name") or m.get("id", "")
            for m in root.iter(f"{{{BPMN_NS}}}message")}


def _describe(proc: etree._Element) -> dict[str, tuple[str, str, dict[str, str]]]:
    lanes, messages = _lanes(proc), _messages(proc)
    return {element_id: (_local(element.tag), element.get("name") or "",
                         _properties(element, lanes, messages))
            for element_id, element in _elements(proc).items()}


def diff_elements(old_bpmn: bytes, new_bpmn: bytes, process_id: str) -> list[ElementDiff]:
    old = _describe(process_element(old_bpmn, process_id))
    new = _describe(process_element(new_bpmn, process_id))
    result: list[ElementDiff] = []
    for element_id in sorted(old.keys() | new.keys()):
        before, after = old.get(element_id), new.get(element_id)
        if before is None and after is not None:
            kind, name, props = after
            result.append(ElementDiff(element_id, kind, name, "added",
                                      [PropertyChange(k, _kind(k), None, v)
                                       for k, v in sorted(props.items())]))
        elif after is None and before is not None:
            kind, name, props = before
            result.append(ElementDiff(element_id, kind, name, "removed",
                                      [PropertyChange(k, _kind(k), v, None)
                                       for k, v in sorted(props.items())]))
        elif before is not None and after is not None:
            changes = []
            if before[0] != after[0]:
                changes.append(PropertyChange("type", "type", before[0], after[0]))
            for key in sorted(before[2].keys() | after[2].keys()):
                if before[2].get(key) != after[2].get(key):
                    changes.append(PropertyChange(key, _kind(key), before[2].get(key),
                                                  after[2].get(key)))
            if changes:
                result.append(ElementDiff(element_id, after[0], after[1] or before[1],
                                          "changed", changes))
    return result


# --- decision tables and forms ----------------------------------------------------------------

#: The label of a rule's description in the list of changed cells.
DESCRIPTION = "toelichting"


def _rules(files: ProcessFiles) -> tuple[dict[tuple[str, str], list[str]],
                                         dict[tuple[str, str], str], dict[str, list[str]]]:
    """Each rule's cells (and the column row), each rule's description, each table's column
    labels (inputs, then outputs)."""
    rules: dict[tuple[str, str], list[str]] = {}
    descriptions: dict[tuple[str, str], str] = {}
    columns: dict[str, list[str]] = {}
    for name, content in files.dmn.items():
        for table in decision_tables(name, content):
            rules[(table.decision_id, "(kolommen)")] = [*table.inputs, "→", *table.outputs,
                                                        table.hit_policy]
            columns[table.decision_id] = [*table.inputs, "→", *table.outputs]
            for rule in table.rules:
                rules[(table.decision_id, rule.rule_id)] = [*rule.inputs, "→", *rule.outputs]
                descriptions[(table.decision_id, rule.rule_id)] = rule.description
    return rules, descriptions, columns


V = TypeVar("V")


def _keyed_changes(before: Mapping[tuple[str, str], V], after: Mapping[tuple[str, str], V],
                   ) -> Iterator[tuple[tuple[str, str], str, V | None, V | None]]:
    """Each key whose value differs between two versions: (key, added/removed/changed,
    before, after), in key order."""
    for key in sorted(before.keys() | after.keys()):
        b, a = before.get(key), after.get(key)
        if b != a:
            yield key, "added" if b is None else "removed" if a is None else "changed", b, a


def diff_rules(old: ProcessFiles, new: ProcessFiles) -> list[RuleDiff]:
    before, notes_before, columns_before = _rules(old)
    after, notes_after, columns_after = _rules(new)
    result: list[RuleDiff] = []
    for key in sorted(before.keys() | after.keys()):
        b, a = before.get(key), after.get(key)
        note_b, note_a = notes_before.get(key), notes_after.get(key)
        if b != a or note_b != note_a:
            status = "added" if b is None else "removed" if a is None else "changed"
            cells: list[PropertyChange] = []
            labels = columns_after.get(key[0]) or columns_before.get(key[0]) or []
            if b is not None and a is not None and len(b) == len(a) == len(labels):
                cells = [PropertyChange(label, "decision", old_cell, new_cell)
                         for label, old_cell, new_cell in zip(labels, b, a, strict=True)
                         if old_cell != new_cell]
            if status == "changed" and note_b != note_a:
                cells.append(PropertyChange(DESCRIPTION, "decision", note_b, note_a))
            result.append(RuleDiff(key[0], key[1], status, b, a, cells))
    return result


def _fields(files: ProcessFiles) -> dict[tuple[str, str], str]:
    fields: dict[tuple[str, str], str] = {}
    for name, content in files.forms.items():
        try:
            schema = json.loads(content)
        except ValueError:
            continue
        for f in form_fields(schema):
            shown = f"{f.title} · {f.type}" + (" · verplicht" if f.required else "")
            if f.choices:
                shown += " · " + ", ".join(f.choices)
            fields[(name, f.name)] = shown
    return fields


def diff_fields(old: ProcessFiles, new: ProcessFiles) -> list[FieldDiff]:
    return [FieldDiff(key[0], key[1], status, b, a)
            for key, status, b, a in _keyed_changes(_fields(old), _fields(new))]


def diff_process(old: ProcessFiles, new: ProcessFiles, process_id: str) -> ProcessDiff:
    """The differences between two versions of one process (old -> new)."""
    return ProcessDiff(diff_elements(old.bpmn, new.bpmn, process_id), diff_rules(old, new),
                       diff_fields(old, new))
