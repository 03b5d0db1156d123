"""Together the scenarios take every flow node and every sequence flow of processes/*.bpmn.

What was taken is read from the event history the engine writes, mapped onto the BPMN XML:

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
  incoming flow of the task (every user task has exactly one; checked below).
- The flows out of an event-based gateway are taken by the event that fires (its source is the
  gateway), not by the gateway's ``taken`` list, which names every event it waits for.

Run with ``-s`` to see the printout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import select

from engine.access import Actor
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.models import Event
from tests.conftest import START
from tests.processes import legal_scenarios, scenarios
from tests.processes.chain import Chain, deploy_chain

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
FLOW_NODES = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
              "boundaryEvent", "userTask", "scriptTask", "businessRuleTask", "serviceTask",
              "manualTask", "task", "sendTask", "receiveTask", "callActivity", "subProcess",
              "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway"}
NOT_FLOW = {"sequenceFlow", "laneSet", "documentation", "extensionElements", "dataObject",
            "dataObjectReference", "dataStoreReference", "textAnnotation", "association",
            "ioSpecification", "property"}
NODE_EVENTS = ("element_completed", "gateway_decision", "message_caught", "timer_fired",
               "task_ready", "task_completed")


@dataclass
class Model:
    nodes: dict[str, dict[str, str]] = field(default_factory=dict)  # process -> id -> kind
    flows: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)  # id -> (s, t)
    wrapped: dict[str, set[str]] = field(default_factory=dict)  # activities with boundaries
    callers: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def processes_with(self, element: str) -> list[str]:
        return [p for p, nodes in self.nodes.items() if element in nodes]

    def flow(self, process: str, source: str, target: str) -> str | None:
        found = [f for f, pair in self.flows[process].items() if pair == (source, target)]
        return found[0] if len(found) == 1 else None

    def incoming(self, process: str, node: str) -> list[str]:
        return [f for f, (_s, t) in self.flows[process].items() if t == node]

    def outgoing(self, process: str, node: str) -> list[str]:
        return [f for f, (s, _t) in self.flows[process].items() if s == node]


def load_model() -> Model:
    model = Model()
    for path in sorted(PROCESSES.glob("*/*.bpmn")):
        tree = etree.parse(str(path))
        for process in tree.iter(f"{{{BPMN_NS}}}process"):
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
                else:
                    assert kind in NOT_FLOW, f"{path.name}: unexpected element <{kind}>"
            model.nodes[pid], model.flows[pid], model.wrapped[pid] = nodes, flows, wrapped
    return model


@dataclass
class Coverage:
    nodes: set[tuple[str, str]] = field(default_factory=set)
    flows: set[tuple[str, str]] = field(default_factory=set)
    unexplained: list[str] = field(default_factory=list)


def _sole(candidates: list[str]) -> str | None:
    return candidates[0] if len(candidates) == 1 else None


def taken(model: Model, events: list[Event]) -> Coverage:
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
            for target in detail.get("taken") or []:
                out = model.outgoing(process, element)
                if target is None:
                    wrapped = [f for f in out
                               if model.flows[process][f][1] in model.wrapped[process]]
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
    return cover


def run_all_scenarios(ctx: EngineContext, clock: ManualClock) -> list[Event]:
    deploy_chain(ctx)
    actors: dict[tuple[str, str], Actor] = {}
    for number, scenario in enumerate([*scenarios.ALL.values(),
                                       *legal_scenarios.LEGAL.values()], start=1):
        clock.set(START)
        scenario(Chain(ctx, clock, f"CV-{number:02d}", actors))
    with ctx.sessionmaker() as session:
        events = list(session.scalars(select(Event).order_by(Event.id)).all())
        session.expunge_all()
    return events


def test_every_node_and_flow_is_taken(ctx: EngineContext, clock: ManualClock) -> None:
    model = load_model()
    for process, nodes in model.nodes.items():
        for node, kind in nodes.items():
            if kind == "userTask":
                assert len(model.incoming(process, node)) == 1, (process, node)
    cover = taken(model, run_all_scenarios(ctx, clock))

    all_nodes = {(p, n) for p, nodes in model.nodes.items() for n in nodes}
    all_flows = {(p, f) for p, flows in model.flows.items() for f in flows}
    for process, flow in cover.flows:  # a taken flow joins two visited nodes
        source, target = model.flows[process][flow]
        assert {(process, source), (process, target)} <= cover.nodes, (process, flow)
    missing_nodes = sorted(all_nodes - cover.nodes)
    missing_flows = sorted(all_flows - cover.flows)
    print(f"\ncoverage over {len(scenarios.ALL) + len(legal_scenarios.LEGAL)} scenarios: "
          f"nodes {len(cover.nodes & all_nodes)}/{len(all_nodes)}, "
          f"flows {len(cover.flows & all_flows)}/{len(all_flows)}")
    for process in sorted(model.nodes):
        nodes = {n for p, n in cover.nodes if p == process}
        flows = {f for p, f in cover.flows if p == process}
        print(f"  {process:26} nodes {len(nodes):2}/{len(model.nodes[process]):2}  "
              f"flows {len(flows):2}/{len(model.flows[process]):2}")
    for process, node in missing_nodes:
        print(f"  missing node {process}.{node}")
    for process, flow in missing_flows:
        print(f"  missing flow {process}.{flow} {model.flows[process][flow]}")
    for line in cover.unexplained:
        print(f"  unexplained: {line}")
    assert cover.unexplained == []
    assert missing_nodes == [] and missing_flows == []
