"""Together the scenarios take every flow node and every sequence flow of processes/*.bpmn.

Coverage is measured by ``engine.scenario_coverage`` from the events of the runs (how events
map onto nodes and flows is explained there), the same measure the publish gate shows. The
data scenarios (processes/scenarios/) run through ``engine.scenarios.run_all``; the scenarios
still written in Python (``scenarios_outcomes``, ``legal_scenarios``) run on a ``Chain`` in the
same database, and their events count too.

Run with ``-s`` to see the printout.
"""

from __future__ import annotations

from sqlalchemy import select

from engine import scenario_coverage, scenarios
from engine.access import Actor
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.deployments import read_folder
from engine.models import Event
from tests.conftest import START
from tests.processes import legal_scenarios, scenarios_outcomes
from tests.processes.chain import Chain, deploy_chain
from tests.processes.scenarios import PROCESSES_DIR


def run_all_scenarios(ctx: EngineContext, clock: ManualClock,
                      ) -> tuple[scenarios.SuiteResult, list[scenario_coverage.EventRecord]]:
    """The data scenarios' suite result, and the events of every scenario (data and Python)."""
    deploy_chain(ctx)
    files = read_folder(PROCESSES_DIR)
    suite = scenarios.run_all(ctx, clock, scenarios.load(files), files, prefix="CD")
    with ctx.sessionmaker() as session:
        last = session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) or 0
    actors: dict[tuple[str, str], Actor] = {}
    for number, scenario in enumerate([*scenarios_outcomes.ALL.values(),
                                       *legal_scenarios.LEGAL.values()], start=1):
        clock.set(START)
        scenario(Chain(ctx, clock, f"CV-{number:02d}", actors))
    with ctx.sessionmaker() as session:
        python_events = [scenario_coverage.EventRecord(e.kind, e.element_id, e.detail)
                         for e in session.scalars(select(Event).where(Event.id > last)
                                                  .order_by(Event.id))]
    return suite, [e for r in suite.results for e in r.events] + python_events


def test_every_node_and_flow_is_taken(ctx: EngineContext, clock: ManualClock) -> None:
    model = scenario_coverage.load_model(read_folder(PROCESSES_DIR))
    assert model.unknown == []
    for process, nodes in model.nodes.items():
        for node, kind in nodes.items():
            if kind == "userTask":
                assert len(model.incoming(process, node)) == 1, (process, node)
    suite, events = run_all_scenarios(ctx, clock)
    assert [r.failure for r in suite.results if not r.passed] == []
    cover = scenario_coverage.taken(model, events)
    for process, flow in cover.flows:  # a taken flow joins two visited nodes
        source, target = model.flows[process][flow]
        assert {(process, source), (process, target)} <= cover.nodes, (process, flow)
    total = scenario_coverage.report(model, events)
    python = len(scenarios_outcomes.ALL) + len(legal_scenarios.LEGAL)
    print(f"\ncoverage over {len(suite.results)} data scenarios: {suite.coverage.summary()}")
    print(f"coverage over those and {python} Python scenarios: {total.summary()}")
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
