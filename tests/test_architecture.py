"""Import rules: the engine never imports the web layer or Flask and its family."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("flask", "werkzeug", "flask_login", "jinja2", "webui", "flask_babel")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_engine_never_imports_flask_or_the_web_layer() -> None:
    offenders = {str(p.relative_to(ROOT)): sorted(_imports(p).intersection(FORBIDDEN))
                 for p in (ROOT / "engine").rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_rule_itself_would_catch_an_offender(tmp_path: Path) -> None:
    offender = tmp_path / "bad.py"
    offender.write_text("from flask import Flask\nimport jinja2.ext\n")
    assert _imports(offender).intersection(FORBIDDEN) == {"flask", "jinja2"}


def test_only_the_spiffworkflow_boundary_imports_spiffworkflow() -> None:
    boundary = {"bundles.py", "serialization.py", "scripting.py", "runtime.py",
                "instances.py", "messages.py", "specs.py", "process_migration.py",
                "engine_steps.py"}
    users = {p.name for p in (ROOT / "engine").rglob("*.py") if "SpiffWorkflow" in _imports(p)}
    assert users <= boundary
    webui = [p for p in (ROOT / "webui").rglob("*.py") if "SpiffWorkflow" in _imports(p)]
    assert webui == []


# --- layering: the chain sits on the engine, never the other way round ----------------------

def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Ids of the import nodes inside ``if TYPE_CHECKING:`` blocks (never executed)."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            guarded.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return guarded


def _module_imports(name: str, path: Path, known: set[str],
                    type_only: bool) -> set[str]:
    """The modules of ``known`` that module ``name`` imports, at module level or inside a
    function alike (``from package import submodule`` counts as the submodule). With
    ``type_only`` False, imports under ``if TYPE_CHECKING:`` are left out."""
    tree = ast.parse(path.read_text(), filename=str(path))
    skip = set() if type_only else _type_checking_only(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    wanted: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            wanted.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                wanted.add(full if full in known else base)
    found = set()
    for target in wanted:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)
    return found


def import_graph(root: Path, package: str, type_only: bool = False) -> dict[str, set[str]]:
    """Module -> the modules of ``package`` (a folder under ``root``) it imports."""
    paths = {_module_name(root, p): p for p in (root / package).rglob("*.py")
             if "migrations" not in p.parts}
    known = set(paths)
    return {name: _module_imports(name, path, known, type_only) for name, path in paths.items()}


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other round a circle (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1 or module in graph.get(module, ()):
                circles.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return circles


def chain_imports_of_core(graph: dict[str, set[str]]) -> dict[str, list[str]]:
    """Core modules (``engine`` outside ``engine.chain``) that import the chain."""
    found = {module: sorted(t for t in targets if t == "engine.chain"
                            or t.startswith("engine.chain."))
             for module, targets in graph.items()
             if module != "engine.chain" and not module.startswith("engine.chain.")}
    return {module: targets for module, targets in found.items() if targets}


def test_no_import_circles_among_engine_modules() -> None:
    assert import_circles(import_graph(ROOT, "engine")) == []


def test_the_core_engine_never_imports_the_chain() -> None:
    # type-only imports count here: the core does not even name the chain's types
    assert chain_imports_of_core(import_graph(ROOT, "engine", type_only=True)) == {}


def test_the_web_layer_never_imports_the_models() -> None:
    offenders = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "webui").rglob("*.py")
                       if any(name == "engine.models" or name.startswith("engine.models.")
                              for name in _all_import_names(p)))
    assert offenders == []


def _all_import_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_layering_rules_catch_offenders(tmp_path: Path) -> None:
    engine = tmp_path / "engine"
    (engine / "chain").mkdir(parents=True)
    (engine / "__init__.py").write_text("")
    (engine / "chain" / "__init__.py").write_text("")
    # a circle through a function-level import, and a core module reaching into the chain
    (engine / "context.py").write_text("def build():\n    from engine.chain import cases\n")
    (engine / "chain" / "cases.py").write_text("from engine import messages\n")
    (engine / "messages.py").write_text("from engine.context import build\n")
    # a type-only import makes no circle but still counts as the core naming the chain
    (engine / "tasks.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    from engine.chain.cases import Case\n")
    graph = import_graph(tmp_path, "engine")
    assert import_circles(graph) == [["engine.chain.cases", "engine.context",
                                      "engine.messages"]]
    assert chain_imports_of_core(graph) == {"engine.context": ["engine.chain.cases"]}
    assert chain_imports_of_core(import_graph(tmp_path, "engine", type_only=True)) == {
        "engine.context": ["engine.chain.cases"], "engine.tasks": ["engine.chain.cases"]}
    webui = tmp_path / "webui.py"
    webui.write_text("def seeded():\n    from engine.models import Case\n")
    assert "engine.models" in _all_import_names(webui)


# --- what a web worker loads ------------------------------------------------------------------

#: Packages a web worker needs only for rare work and imports when it does it: Alembic (with
#: Mako and Pygments) migrates a schema, at ``ketenflow init`` and in the deploy gate's scratch
#: database; loaded with the app they cost each worker 9 MB of its 100 MB budget.
NOT_AT_START = ("alembic", "mako", "pygments")


def test_the_web_app_starts_without_the_packages_it_needs_only_for_rare_work(
        tmp_path: Path) -> None:
    probe = ("import sys\nfrom webui import create_app\ncreate_app()\n"
             f"print(sorted(set({NOT_AT_START!r}) & {{m.split('.')[0] for m in sys.modules}}))")
    env = {**os.environ, "KETENFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
           "KETENFLOW_EMBEDDED_WORKER": "false", "KETENFLOW_SECRET_KEY": "t" * 32,
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT,  # noqa: S603
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
