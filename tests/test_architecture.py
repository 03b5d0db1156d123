"""Import rules: the engine never imports the web layer or Flask and its family."""

from __future__ import annotations

import ast
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
                "instances.py", "messages.py", "specs.py"}
    users = {p.name for p in (ROOT / "engine").rglob("*.py") if "SpiffWorkflow" in _imports(p)}
    assert users <= boundary
    webui = [p for p in (ROOT / "webui").rglob("*.py") if "SpiffWorkflow" in _imports(p)]
    assert webui == []
