"""Element and flow coverage of scenario runs, read from the event history the engine writes
and mapped onto the BPMN XML of a bundle.

- A node was visited when an event names it (``element_completed``, ``gateway_decision``,
  ``message_caught``, ``timer_fired``, ``task_ready``/``task_completed`` for user tasks). A call
  activity was entered when the process it calls started (each process has one caller).
- An event's ``source`` is the bpmn id of the task before it, so ``source → element`` names a
  sequence flow. Element ids repeat across processes (``end_no_contact``, …): an event belongs
  to the process that holds that flow, or to the only process holding the element.
- SpiffWorkflow wraps an activity with boundary events in an unnamed split (before it, parent
  of the activity and of its boundary events) and an unnamed join (after it), and a
  sub-process starts under an unnamed root, so ``source`` is None there and a gateway's
  ``taken`` lists None for a wrapped target. Then: a node with one incoming flow can only have
  been entered through it; into a merge, None stands for the join after the one incoming
  activity that has boundary events; out of a gateway, None stands for the split before the
  one outgoing target that has boundary events (when several such targets are all user tasks,
  each one's own ``task_ready`` names the flow). User-task events carry no source: the one
  incoming flow of the task.
- The flows out of an event-based gateway are taken by the event that fires (its source is the
  gateway), not by the gateway's ``taken`` list, which names every event it waits for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.bundles import BundleFile

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
FLOW_NODES = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
              "boundaryEvent", "userTask", "scriptTask", "businessRuleTask", "serviceTask",
              "manualTask", "task", "sendTask", "receiveTask", "callActivity", "subProcess",
              "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway"}
NODE_EVENTS = ("element_completed", "gateway_decision", "message_caught", "timer_fired",
               "task_ready", "task_completed")


@dataclass(frozen=True)
class EventRecord:
    """What coverage reads of one event row."""

    kind: str
    element_id: str | None
    detail: dict[str, Any] | None


@dataclass
class Model:
    nodes: dict[str, dict[str, str]] = field(default_factory=dict)  # process -> id -> kind
    flows: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)  # id -> (s, t)
    wrapped: dict[str, set[str]] = field(default_factory=dict)  # activities with boundaries
    callers: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    #: elements of kinds coverage does not know (the coverage test refuses them)
    unknown: list[str] = field(default_factory=list)

    def processes_with(self, element: str) -> list[str]:
        return [p for p, nodes in self.nodes.items() if element in nodes]

    def flow(self, process: str, source: str, target: str) -> str | None:
        found = [f for f, pair in self.flows[process].items() if pair == (source, target)]
        return found[0] if len(found) == 1 else None

    def incoming(self, process: str, node: str) -> list[str]:
        return [f for f, (_s, t) in self.flows[process].items() if t == node]

    def outgoing(self, process: str, node: str) -> list[str]:
        return [f for f, (s, _t) in self.flows[process].items() if s == node]

    def all_nodes(self) -> set[tuple[str, str]]:
        return {(p, n) for p, nodes in self.nodes.items() for n in nodes}

    def all_flows(self) -> set[tuple[str, str]]:
        return {(p, f) for p, flows in self.flows.items() for f in flows}


NOT_FLOW = {"sequenceFlow", "laneSet", "documentation", "extensionElements", "dataObject",
            "dataObjectReference", "dataStoreReference", "textAnnotation", "association",
            "ioSpecification", "property"}


def load_model(files: Iterable[BundleFile]) -> Model:
    """The flow nodes and sequence flows of every process in the bundle's .bpmn files."""
    model = Model()
    for f in sorted(files, key=lambda f: f.name):
        if not f.name.endswith(".bpmn"):
            continue
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        root = etree.fromstring(f.content, parser)
        for process in root.iter(f"{{{BPMN_NS}}}process"):
            pid = process.get("id")
            nodes: dict[str, str] = {}
            flows: dict[str, tuple[str, str]] = {}
            wrapped: set[str] = set()
            for child in process:
                if not isinstance(child.tag, str):
                    continue
                kind = etree.QName(child).localname
                if kind == "sequenceFlow":
                    flows[child.get("id")] = (child.get("sourceRef"), child.get("targetRef"))
                elif kind in FLOW_NODES:
                    nodes[child.get("id")] = kind
                    if kind == "boundaryEvent":
                        wrapped.add(child.get("attachedToRef"))
                    if kind == "callActivity":
                        model.callers.setdefault(child.get("calledElement"), []).append(
                            (pid, child.get("id")))
                elif kind not in NOT_FLOW:
                    model.unknown.append(f"{f.name}: unexpected element <{kind}>")
            model.nodes[pid], model.flows[pid], model.wrapped[pid] = nodes, flows, wrapped
    return model


@dataclass
class Coverage:
    nodes: set[tuple[str, str]] = field(default_factory=set)
    flows: set[tuple[str, str]] = field(default_factory=set)
    unexplained: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CoverageReport:
    """Coverage of a bundle's processes by a set of runs."""

    nodes_taken: int
    nodes_total: int
    flows_taken: int
    flows_total: int
    missing_nodes: list[str]
    missing_flows: list[str]
    unexplained: list[str]
    per_process: dict[str, tuple[int, int, int, int]]

    @property
    def complete(self) -> bool:
        return not self.missing_nodes and not self.missing_flows

    def summary(self) -> str:
        return (f"nodes {self.nodes_taken}/{self.nodes_total}, "
                f"flows {self.flows_taken}/{self.flows_total}")


def _sole(candidates: list[str]) -> str | None:
    return candidates[0] if len(candidates) == 1 else None


def taken(model: Model, events: Iterable[EventRecord]) -> Coverage:
    cover = Coverage()
    for event in events:
        if event.kind not in NODE_EVENTS or not event.element_id:
            continue
        element = event.element_id
        detail: dict[str, Any] = event.detail or {}
        source = detail.get("source")
        candidates = model.processes_with(element)
        if len(candidates) > 1 and source:
            candidates = [p for p in candidates if model.flow(p, source, element)]
        if len(candidates) != 1:
            cover.unexplained.append(f"{event.kind} {element} (source {source}): process "
                                     f"is one of {candidates}")
            continue
        process = candidates[0]
        cover.nodes.add((process, element))
        kind = model.nodes[process][element]
        if kind == "startEvent":
            for caller in model.callers.get(process, []):
                if len(model.callers[process]) == 1:
                    cover.nodes.add(caller)
        incoming = model.incoming(process, element)
        entered: str | None = None
        if source and model.flow(process, source, element):
            entered = model.flow(process, source, element)
        elif incoming and (source is None or kind == "userTask"):
            entered = _sole(incoming) or _sole([
                f for f in incoming if model.flows[process][f][0] in model.wrapped[process]])
            if entered is None:
                cover.unexplained.append(f"{kind} {process}.{element}: entered from "
                                         f"{source!r}, which of {incoming}?")
        elif incoming:
            cover.unexplained.append(f"{kind} {process}.{element}: no flow from {source!r}")
        if entered:
            cover.flows.add((process, entered))
        if event.kind == "gateway_decision" and kind != "eventBasedGateway":
            _gateway(model, cover, process, element, detail)
    return cover


def _gateway(model: Model, cover: Coverage, process: str, element: str,
             detail: dict[str, Any]) -> None:
    for target in detail.get("taken") or []:
        out = model.outgoing(process, element)
        if target is None:
            wrapped = [f for f in out if model.flows[process][f][1] in model.wrapped[process]]
            if len(wrapped) > 1 and all(
                    model.nodes[process][model.flows[process][f][1]] == "userTask"
                    for f in wrapped):
                continue  # each user task names its one incoming flow when ready
            chosen = _sole(wrapped)
        else:
            chosen = model.flow(process, element, target)
        if chosen is None:
            cover.unexplained.append(f"gateway {process}.{element} took {target!r}, "
                                     f"which of {out}?")
        else:
            cover.flows.add((process, chosen))


def report(model: Model, events: Iterable[EventRecord]) -> CoverageReport:
    """What the runs that wrote ``events`` took of ``model``."""
    cover = taken(model, events)
    all_nodes, all_flows = model.all_nodes(), model.all_flows()
    per_process = {}
    for process in sorted(model.nodes):
        per_process[process] = (
            len({n for p, n in cover.nodes if p == process}), len(model.nodes[process]),
            len({f for p, f in cover.flows if p == process}), len(model.flows[process]))
    return CoverageReport(
        nodes_taken=len(cover.nodes & all_nodes), nodes_total=len(all_nodes),
        flows_taken=len(cover.flows & all_flows), flows_total=len(all_flows),
        missing_nodes=[f"{p}.{n}" for p, n in sorted(all_nodes - cover.nodes)],
        missing_flows=[f"{p}.{f} {model.flows[p][f]}" for p, f in sorted(all_flows - cover.flows)],
        unexplained=cover.unexplained, per_process=per_process)
