"""The restricted script environment set on every workflow, and the deploy-time checker.

Diagram code is untrusted: a process owner uploads it through the browser. Three layers:

1. ``check_source`` refuses at deploy time what is never allowed (imports, underscore names,
   ``str.format``, ``open``/``eval``/…, module names) and anything RestrictedPython refuses,
   naming the line.
2. At run time everything is compiled by RestrictedPython and runs with guarded attribute, item
   and iteration access, allow-listed builtins and helpers (classes and functions, no modules).
3. Scripts, and expressions that are not trivially bounded, run in a separate sandbox process
   (``script_host``) with a memory cap and a wall-clock limit: an endless loop or a huge
   allocation kills that process and puts the instance in ``error``; the server keeps serving.
   What a script or expression leaves in task data is capped (``max_task_data_bytes``): the
   sandbox measures it before sending it back and answers an error instead, and the engine
   refuses to read a longer answer, so a giant value never reaches the server's memory.
   Short plain comparisons and names (gateway conditions, timer values, DMN cells) are
   evaluated in process, because they cannot loop or allocate without bound; their result is
   held to the same cap.
"""

from __future__ import annotations

import ast
import os
import select
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine import clock as clock_module
from engine.sandbox.script_host import MAX_MESSAGE_CHARS, FrameTooLarge, read_frame, write_frame
from engine.sandbox.script_runtime import (
    DEFAULT_MAX_DATA_BYTES,
    HELPER_MODULES,
    DataTooLarge,
    ScriptRejected,
    compile_source,
    dumps,
    dumps_value,
    helper_names,
    loads,
    make_globals,
)

FORBIDDEN_NAMES = frozenset({
    "open", "exec", "eval", "compile", "getattr", "setattr", "delattr", "hasattr", "globals",
    "locals", "vars", "dir", "type", "object", "breakpoint", "input", "help", "memoryview",
    "super", "classmethod", "staticmethod", "property", "exit", "quit", "print", "id", "hash",
})
STARTUP_SECONDS = 15.0
#: Room for the reply's envelope and an error message on top of the task-data cap.
REPLY_OVERHEAD_BYTES = 4 * MAX_MESSAGE_CHARS + 1024
#: Larger expressions go to the sandbox: in process, a few dozen nodes can at most repeat
#: their inputs a few dozen times (``s + s + s …`` over thousands of terms could not).
MAX_BOUNDED_NODES = 40
FORBIDDEN_ATTRIBUTES = frozenset({"format", "format_map", "mro", "gi_frame", "f_globals"})


class ScriptError(Exception):
    """A script or expression failed in the sandbox; ``line`` is 0 when unknown."""

    def __init__(self, message: str, line: int = 0, kind: str = "Error") -> None:
        super().__init__(message)
        self.line = line
        self.kind = kind


class ScriptTimeout(ScriptError):
    pass


# --- deploy-time check -----------------------------------------------------------------------

def check_source(source: str, mode: str = "exec") -> list[tuple[str, int]]:
    """Every reason ``source`` may not run, as (message, line); empty when it may."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as error:
        return [(f"syntax error: {error.msg}", error.lineno or 1)]
    problems: list[tuple[str, int]] = []
    assigned = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
                and isinstance(n.ctx, ast.Store)}
    # A module name used as an object (``os.system``, ``sys.modules``) is refused; the same
    # name as a plain data variable (``signal["case_number"]``) is fine.
    module_uses = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                   and isinstance(n.value, ast.Name)}
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 1)
        if isinstance(node, ast.Import | ast.ImportFrom):
            problems.append(("import is not allowed in scripts", line))
        elif isinstance(node, ast.Name):
            if node.id.startswith("_"):
                problems.append((f"name '{node.id}' is not allowed (starts with '_')", line))
            elif node.id in FORBIDDEN_NAMES:
                problems.append((f"'{node.id}' is not available in scripts", line))
            elif (id(node) in module_uses and node.id in sys.stdlib_module_names
                  and node.id not in assigned and node.id not in helper_names()):
                problems.append((f"module '{node.id}' is not available: scripts get classes "
                                 "and functions, never modules", line))
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("_"):
                problems.append((f"attribute '{node.attr}' is not allowed (starts with '_')",
                                 line))
            elif node.attr in FORBIDDEN_ATTRIBUTES:
                problems.append((f"'.{node.attr}' is not allowed in scripts", line))
        elif isinstance(node, ast.ClassDef | ast.AsyncFunctionDef | ast.Lambda | ast.Global
                        | ast.Nonlocal):
            problems.append((f"{type(node).__name__} is not allowed in scripts", line))
    if not problems:
        try:
            compile_source(source, mode)
        except ScriptRejected as error:
            problems.append((str(error.msg), error.lineno or 1))
    return problems


# --- which expressions are safe to evaluate in process --------------------------------------

_BOUNDED_NODES = (
    ast.Expression, ast.Constant, ast.Name, ast.Load, ast.Compare, ast.BoolOp, ast.And,
    ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.IfExp, ast.List, ast.Tuple, ast.Set,
    ast.Subscript, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn,
    ast.Is, ast.IsNot, ast.BinOp, ast.Add, ast.Sub,
)


@lru_cache(maxsize=4096)
def is_bounded_expression(expression: str) -> bool:
    """True for short expressions made only of names, constants, comparisons and +/-: they
    cannot loop, call anything or allocate much more than their inputs, so they skip the
    sandbox hop."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        return False
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_BOUNDED_NODES:
        return False
    for node in nodes:
        if not isinstance(node, _BOUNDED_NODES):
            return False
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            return False
    return True


@lru_cache(maxsize=4096)
def names_in(source: str, mode: str) -> frozenset[str]:
    """Every plain name a script or expression mentions (read, written or deleted)."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError:
        return frozenset()
    return frozenset(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))


# --- the sandbox process, seen from the engine ----------------------------------------------

class ScriptHost:
    """One sandbox process per engine process, restarted after a timeout or a crash."""

    def __init__(self, timeout_seconds: float, memory_mb: int,
                 max_data_bytes: int = DEFAULT_MAX_DATA_BYTES) -> None:
        self.timeout_seconds = timeout_seconds
        self.memory_mb = memory_mb
        self.max_data_bytes = max_data_bytes
        self._process: subprocess.Popen[bytes] | None = None
        self._helper_modules: tuple[str, ...] = ()
        self._lock = threading.Lock()

    def _ensure(self) -> subprocess.Popen[bytes]:
        """The running sandbox; a new one is started and awaited (its imports take a moment,
        which must not count against the first script's time limit)."""
        if self._process is not None and self._process.poll() is None:
            if self._helper_modules == tuple(HELPER_MODULES):
                return self._process
            self._kill()  # a domain installed helpers since: start again with them
        package_root = str(Path(__file__).resolve().parents[2])
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": package_root,
               "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}
        process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            [sys.executable, "-m", "engine.sandbox.script_host", str(self.memory_mb),
             str(self.max_data_bytes), ",".join(HELPER_MODULES)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env, cwd=package_root)
        self._process = process
        self._helper_modules = tuple(HELPER_MODULES)
        assert process.stdin is not None and process.stdout is not None
        write_frame(process.stdin, dumps({"op": "ping"}))
        ready, _, _ = select.select([process.stdout], [], [], STARTUP_SECONDS)
        if not ready or read_frame(process.stdout) is None:
            self._kill()
            raise ScriptError("the script sandbox did not start")
        return process

    def _kill(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait()
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    stream.close()

    def close(self) -> None:
        with self._lock:
            self._kill()

    def run(self, op: str, source: str, context: dict[str, Any],
            moment: datetime) -> dict[str, Any]:
        """Run one evaluation; raises ``ScriptError`` or ``ScriptTimeout``."""
        try:
            request = dumps({"op": op, "source": source, "context": context,
                             "now": moment.isoformat()})
        except TypeError as error:
            raise ScriptError(str(error), kind="TypeError") from None
        with self._lock:
            process = self._ensure()
            assert process.stdin is not None and process.stdout is not None
            try:
                write_frame(process.stdin, request)
            except BrokenPipeError:
                self._kill()
                raise ScriptError("the script sandbox stopped unexpectedly") from None
            ready, _, _ = select.select([process.stdout], [], [], self.timeout_seconds)
            if not ready:
                self._kill()
                raise ScriptTimeout(
                    f"script ran longer than {self.timeout_seconds:g} s and was stopped",
                    kind="Timeout")
            try:
                frame = read_frame(process.stdout,
                                   self.max_data_bytes + REPLY_OVERHEAD_BYTES)
            except FrameTooLarge as error:
                # The sandbox measures results itself; this is the second lock. The unread
                # answer makes the pipe unusable, so that sandbox goes.
                self._kill()
                raise ScriptError(
                    f"the script's result is {error.length} bytes; at most "
                    f"{self.max_data_bytes} bytes may be left in task data "
                    "(KETENFLOW_MAX_TASK_DATA_BYTES)", kind="DataTooLarge") from None
            if frame is None:
                self._kill()
                raise ScriptError("the script sandbox stopped (memory limit reached?)",
                                  kind="MemoryError")
        reply: dict[str, Any] = loads(frame)
        if not reply.get("ok"):
            raise ScriptError(str(reply.get("message")), int(reply.get("line") or 0),
                              str(reply.get("type")))
        return reply



# --- the environment SpiffWorkflow calls -----------------------------------------------------

class SandboxEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """Runs every script and expression restricted; see the module docstring."""

    def __init__(self, host: ScriptHost, now: Callable[[], datetime] | None = None) -> None:
        super().__init__({})
        self.host = host
        self._now = now or (lambda: clock_module.current().now())

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: dict[str, Any] | None = None) -> Any:
        merged = {**(external_context or {}), **context}
        moment = self._now()
        if is_bounded_expression(expression):
            code = compile_source(expression.strip(), "eval")
            value = eval(code, {**merged, **make_globals(moment)})  # noqa: S307 - restricted
            self._check_size(value)
            return value
        sent = {k: merged[k] for k in names_in(expression.strip(), "eval") if k in merged}
        return self.host.run("eval", expression.strip(), sent, moment)["value"]

    def _check_size(self, value: Any) -> None:
        """Hold an in-process result to the task-data cap (scalars are always small)."""
        if value is None or isinstance(value, bool | int | float):
            return
        try:
            dumps_value(value, self.host.max_data_bytes)
        except DataTooLarge as error:
            raise ScriptError(str(error), kind="DataTooLarge") from None
        except TypeError:
            return  # not task data (a set in ``x in {…}``); storing it would fail anyway

    def execute(self, script: str, context: dict[str, Any],
                external_context: dict[str, Any] | None = None) -> bool:
        clash = set(helper_names()).intersection(context)
        if clash:
            raise ScriptError(f"task data overwrites the helper(s) {sorted(clash)}; rename "
                              "those fields")
        external = external_context or {}
        # A script can reach task data only by name (no globals(), vars() or dunders), so only
        # the variables it names cross to the sandbox and back.
        names = names_in(script, "exec")
        merged = {**context, **external}
        sent = {k: merged[k] for k in names if k in merged}
        reply = self.host.run("exec", script, sent, self._now())
        result: dict[str, Any] = reply["context"]
        for key in external:
            result.pop(key, None)
        for key in sent:
            if key not in result and key in context:
                del context[key]  # the script deleted it
        context.update(result)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise ScriptError("service tasks are not enabled in this deployment")


class SandboxScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """PythonScriptEngine whose errors carry the sandbox's line numbers."""

    def create_task_exec_exception(self, task: Any, script: str, err: Exception) -> Any:
        if isinstance(err, ScriptError):
            lines = script.splitlines()
            line = err.line if 0 < err.line <= len(lines) else 0
            return WorkflowTaskException(f"{err.kind}: {err}", task=task, exception=err,
                                         line_number=line,
                                         error_line=lines[line - 1] if line else "")
        return super().create_task_exec_exception(task, script, err)

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        try:
            return self.environment.call_service(task.data, **kwargs)
        except Exception as err:
            raise WorkflowTaskException(str(err), task=task, exception=err) from err
