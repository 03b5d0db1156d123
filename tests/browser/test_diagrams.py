"""Every process diagram in processes/ renders in the bpmn-js viewer, in a real browser.

The viewer bundle is the one `make install` copies into webui/static/vendor/; the page is built
with `set_content` and the bundle inlined, so nothing is fetched from the network. For each
diagram the import must succeed without warnings, every flow node and sequence flow must have a
rendered element, and a full-page screenshot at scale 1 is kept in test-artifacts/diagrams/.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, ROOT

VENDOR = ROOT / "webui" / "static" / "vendor"
VIEWER = VENDOR / "bpmn-viewer.production.min.js"
STYLES = [VENDOR / "diagram-js.css", VENDOR / "bpmn-js.css"]
DIAGRAMS = sorted((ROOT / "processes").glob("**/*.bpmn"))
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
# flow elements that are not flow nodes; anything else with an id inside a process is one
NOT_FLOW_NODES = {"laneSet", "lane", "dataObject", "dataObjectReference",
                  "dataStoreReference", "association", "textAnnotation", "group",
                  "documentation", "extensionElements", "ioSpecification", "property"}
MARGIN = 30

PAGE = """<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>diagram</title>
<style>html, body { margin: 0; padding: 0; background: #fff; }
#canvas { width: 1200px; height: 800px; }</style>
</head><body><div id="canvas"></div></body></html>"""

RENDER = """async ({xml, margin}) => {
  const viewer = new BpmnJS({container: '#canvas'});
  window.viewer = viewer;
  let warnings;
  try {
    warnings = (await viewer.importXML(xml)).warnings;
  } catch (err) {
    return {error: String(err && err.message || err),
            warnings: (err.warnings || []).map(w => String(w.message || w))};
  }
  const canvas = viewer.get('canvas');
  const inner = canvas.viewbox().inner;
  const width = Math.ceil(inner.width + 2 * margin);
  // 40px more at the bottom: room for the bpmn.io logo, which sits in the bottom right corner
  const height = Math.ceil(inner.height + 2 * margin + 40);
  const container = document.getElementById('canvas');
  container.style.width = width + 'px';
  container.style.height = height + 'px';
  canvas.resized();
  canvas.viewbox({x: inner.x - margin, y: inner.y - margin, width, height});
  const svg = container.querySelector('svg').getBoundingClientRect();
  return {error: null, warnings: warnings.map(w => String(w.message || w)),
          inner: {x: inner.x, y: inner.y, width: inner.width, height: inner.height},
          svg: {width: svg.width, height: svg.height}};
}"""

MISSING = """(ids) => {
  const registry = viewer.get('elementRegistry');
  return ids.filter(id => {
    const element = registry.get(id);
    if (!element || !registry.getGraphics(id)) return true;
    return element.waypoints !== undefined && element.waypoints.length < 2;
  });
}"""


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def expected_ids(path: Path) -> tuple[str, list[str], list[str]]:
    """The first process id, and the ids of all flow nodes and sequence flows in the file."""
    root = ET.parse(path).getroot()
    processes = root.findall(f"{BPMN}process")
    nodes: list[str] = []
    flows: list[str] = []

    def walk(container: ET.Element) -> None:
        for child in container:
            name, ident = local(child.tag), child.get("id")
            if not ident or name in NOT_FLOW_NODES:
                continue
            if name == "sequenceFlow":
                flows.append(ident)
            elif child.tag.startswith(BPMN):
                nodes.append(ident)
                if name in ("subProcess", "transaction", "adHocSubProcess"):
                    walk(child)

    for process in processes:
        walk(process)
    return processes[0].get("id", path.stem), nodes, flows


@pytest.fixture
def viewer_page(browser: Any) -> Iterator[Any]:
    if not VIEWER.exists():
        pytest.skip(f"bpmn-js viewer missing: {VIEWER.relative_to(ROOT)} (run `make install`)")
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    # no network at all: the page and its scripts are inlined
    context.route("**/*", lambda route: route.abort())
    page = context.new_page()
    yield page
    context.close()


def test_there_are_diagrams() -> None:
    assert DIAGRAMS, "no processes/**/*.bpmn found"


@pytest.mark.parametrize("path", DIAGRAMS, ids=[p.stem for p in DIAGRAMS])
def test_diagram_renders(path: Path, viewer_page: Any) -> None:
    page = viewer_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_content(PAGE)
    for style in STYLES:
        page.add_style_tag(path=str(style))
    page.add_script_tag(path=str(VIEWER))

    result = page.evaluate(RENDER, {"xml": path.read_text(encoding="utf-8"), "margin": MARGIN})
    assert result["error"] is None, f"{path.name}: import failed: {result}"
    assert result["warnings"] == [], f"{path.name}: import warnings"
    process_id, nodes, flows = expected_ids(path)
    assert nodes and flows, f"{path.name}: no flow nodes or sequence flows found"
    missing = page.evaluate(MISSING, nodes + flows)
    assert missing == [], f"{path.name}: not rendered: {missing}"
    assert result["inner"]["width"] > 0 and result["inner"]["height"] > 0, result
    assert result["svg"]["width"] > 0 and result["svg"]["height"] > 0, result
    assert errors == [], f"{path.name}: browser errors: {errors}"

    out = ARTIFACTS / "diagrams"
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / f"{process_id}.png"), full_page=True)
