"""Together the scenarios take every flow node and every sequence flow of processes/*.bpmn.

Every scenario is data (processes/scenarios/), run by ``engine.scenarios.run_all``, and the
coverage is the one that run measures (``engine.scenario_coverage``, from the runs' events;
how events map onto nodes and flows is explained there): the same figure the publish gate
shows.

Run with ``-s`` to see the printout.
"""

from __future__ import annotations

from engine import scenario_coverage, scenarios
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.deployments import read_folder
from tests.processes.chain import deploy_chain
from tests.processes.scenarios import PROCESSES_DIR


def test_every_node_and_flow_is_taken(ctx: EngineContext, clock: ManualClock) -> None:
    files = read_folder(PROCESSES_DIR)
    model = scenario_coverage.load_model(files)
    assert model.unknown == []
    for process, nodes in model.nodes.items():
        for node, kind in nodes.items():
            if kind == "userTask":
                assert len(model.incoming(process, node)) == 1, (process, node)
    deploy_chain(ctx)
    suite = scenarios.run_all(ctx, clock, scenarios.load(files), files, prefix="CD")
    assert [f"{r.name}: {r.failure}" for r in suite.results if not r.passed] == []
    events = [e for r in suite.results for e in r.events]
    cover = scenario_coverage.taken(model, events)
    for process, flow in cover.flows:  # a taken flow joins two visited nodes
        source, target = model.flows[process][flow]
        assert {(process, source), (process, target)} <= cover.nodes, (process, flow)
    total = suite.coverage
    print(f"\ncoverage over {len(suite.results)} data scenarios: {total.summary()}")
    for process, (n, nt, f, ft) in total.per_process.items():
        print(f"  {process:26} nodes {n:2}/{nt:2}  flows {f:2}/{ft:2}")
    for line in total.missing_nodes:
        print(f"  missing node {line}")
    for line in total.missing_flows:
        print(f"  missing flow {line}")
    for line in total.unexplained:
        print(f"  unexplained: {line}")
    assert total.unexplained == []
    assert total.missing_nodes == [] and total.missing_flows == []
