"""What a diagram script may use, and how its data crosses the sandbox boundary.

Shared by the in-process evaluator (``scripting``) and the sandbox process (``script_host``):
the allow-listed builtins and helpers (classes and functions only, never modules), the
RestrictedPython compile step, and a small tagged JSON encoding for task data (JSON plus
dates, datetimes and decimals — nothing else may live in task data).
"""

from __future__ import annotations

import builtins
import importlib
import json
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from types import CodeType
from typing import Any

from RestrictedPython.compile import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)

from engine import workdays

_BUILTIN_NAMES = (
    "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "filter", "float", "int",
    "isinstance", "len", "list", "map", "max", "min", "range", "reversed", "round", "set",
    "sorted", "str", "sum", "tuple", "zip", "ArithmeticError", "Exception", "KeyError",
    "IndexError", "LookupError", "TypeError", "ValueError", "ZeroDivisionError",
)

SAFE_BUILTINS: dict[str, Any] = {name: getattr(builtins, name) for name in _BUILTIN_NAMES}
SAFE_BUILTINS.update({"None": None, "True": True, "False": False})

#: Names a process owner may call besides the builtins; documented in processes/README.md.
BASE_HELPER_NAMES = ("now", "today", "add_working_days", "working_days_between",
                     "deadline_on", "deadline_after_working_days", "deadline_after_days",
                     "datetime", "date", "timedelta", "Decimal")

#: Helpers a domain adds (``install_helpers``), and the modules they came from: the sandbox
#: process imports the same modules by name, so both sides offer the same helpers.
_DOMAIN_HELPERS: dict[str, Callable[..., Any]] = {}
HELPER_MODULES: list[str] = []


def install_helpers(module_name: str) -> None:
    """Offer the ``SCRIPT_HELPERS`` (name -> pure function) of a domain module to scripts.

    The engine knows no domain: the chain calls this at start-up with its own module's name,
    and the sandbox process is started with the same names."""
    module = importlib.import_module(module_name)
    helpers: dict[str, Callable[..., Any]] = dict(module.SCRIPT_HELPERS)
    clash = set(helpers).intersection(BASE_HELPER_NAMES)
    if clash:
        raise ValueError(f"{module_name} redefines the helper(s) {sorted(clash)}")
    _DOMAIN_HELPERS.update(helpers)
    if module_name not in HELPER_MODULES:
        HELPER_MODULES.append(module_name)


def helper_names() -> tuple[str, ...]:
    """Every helper name a script may call: the engine's and the installed domain's."""
    return BASE_HELPER_NAMES + tuple(_DOMAIN_HELPERS)


class ScriptRejected(SyntaxError):
    """The restricted compiler refused the source; ``lineno`` is always an int."""


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    operations: dict[str, Callable[[Any, Any], Any]] = {
        "+=": lambda a, b: a + b, "-=": lambda a, b: a - b, "*=": lambda a, b: a * b,
        "/=": lambda a, b: a / b, "//=": lambda a, b: a // b, "%=": lambda a, b: a % b,
    }
    if op not in operations:
        raise NotImplementedError(f"augmented assignment {op} is not allowed")
    return operations[op](x, y)


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def make_globals(moment: datetime) -> dict[str, Any]:
    """The global namespace of one evaluation; ``moment`` is the engine clock's now."""

    def now() -> datetime:
        return moment

    def today() -> date:
        """The date in Amsterdam: at 23:30 UTC on 30 June it is already 1 July there."""
        return moment.astimezone(workdays.AMSTERDAM).date() if moment.tzinfo else moment.date()

    def add_working_days(start: date | datetime | str, n: int) -> date:
        return workdays.add_working_days(_as_date(start), n)

    def working_days_between(start: date | datetime | str, end: date | datetime | str) -> int:
        return workdays.working_days_between(_as_date(start), _as_date(end))

    # Deadlines as the ISO text a timer reads: 17:00 Amsterdam, offset of that date.
    def deadline_on(day: date | datetime | str) -> str:
        return workdays.deadline_at(_as_date(day)).isoformat()

    def deadline_after_working_days(start: date | datetime | str, n: int) -> str:
        """``n`` working days on the statutory calendar (Algemene termijnenwet art. 3)."""
        return workdays.deadline_at(workdays.add_working_days(_as_date(start), n)).isoformat()

    def deadline_after_days(start: date | datetime | str, days: int) -> str:
        """A calendar-day term; one ending on a weekend or holiday runs on (Atw art. 1)."""
        return workdays.deadline_at(workdays.term_end(_as_date(start), days)).isoformat()

    return {
        "__builtins__": SAFE_BUILTINS,
        "_getattr_": safer_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_write_": full_write_guard,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_inplacevar_": _inplacevar,
        "now": now,
        "today": today,
        "add_working_days": add_working_days,
        "working_days_between": working_days_between,
        "deadline_on": deadline_on,
        "deadline_after_working_days": deadline_after_working_days,
        "deadline_after_days": deadline_after_days,
        "datetime": datetime,
        "date": date,
        "timedelta": timedelta,
        "Decimal": Decimal,
        **_DOMAIN_HELPERS,
    }


_LINE = re.compile(r"Line (\d+)")


@lru_cache(maxsize=4096)
def compile_source(source: str, mode: str) -> CodeType:
    """Compile with RestrictedPython (cached); refusals raise ``ScriptRejected``."""
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(source, filename="<script>")
    if result.errors or result.code is None:
        message = "; ".join(result.errors) or "cannot compile"
        match = _LINE.search(message)
        error = ScriptRejected(message)
        error.lineno = int(match.group(1)) if match else 1
        raise error
    code: CodeType = result.code
    return code


# --- tagged JSON for task data ---------------------------------------------------------------

def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    raise TypeError(f"value of type {type(value).__name__} is not allowed in task data")


def _decode_object(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$datetime" in obj:
            return datetime.fromisoformat(obj["$datetime"])
        if "$date" in obj:
            return date.fromisoformat(obj["$date"])
        if "$decimal" in obj:
            return Decimal(obj["$decimal"])
    return obj


def dumps(value: Any) -> bytes:
    return json.dumps(value, default=_encode_value, separators=(",", ":")).encode()


def loads(raw: bytes) -> Any:
    return json.loads(raw, object_hook=_decode_object)


#: Default of ``EngineSettings.max_task_data_bytes``; the sandbox falls back on it too.
DEFAULT_MAX_DATA_BYTES = 1_000_000


class DataTooLarge(ValueError):
    """What a script or expression would leave in task data is larger than the cap."""


def _lower_bound(value: Any) -> int:
    """A cheap lower bound of ``value``'s JSON size, so a giant value is refused before it
    is encoded (encoding it would cost the same memory once more)."""
    if isinstance(value, str):
        return len(value) + 2
    if isinstance(value, list | tuple):
        return 2 * len(value) + 1
    if isinstance(value, dict):
        return 5 * len(value) + 1
    return 1


def dumps_data(data: dict[str, Any], limit: int) -> bytes:
    """Task data as tagged JSON, refused with ``DataTooLarge`` once it passes ``limit`` bytes
    (encoded one variable at a time; the first one over the limit is named)."""
    parts: list[bytes] = []
    size = 2  # the braces
    for key, value in data.items():
        prefix = (b"," if parts else b"") + dumps(key) + b":"
        parts.append(_capped(value, limit, f"variable '{key}' takes the task data to",
                             used=size, prefix=prefix))
        size += len(parts[-1])
    return b"{" + b"".join(parts) + b"}"


def dumps_value(value: Any, limit: int) -> bytes:
    """One expression result as tagged JSON, refused with ``DataTooLarge`` past ``limit``."""
    return _capped(value, limit, "the expression's result is")


def _capped(value: Any, limit: int, what: str, used: int = 0, prefix: bytes = b"") -> bytes:
    """``prefix`` and ``value`` encoded, refused once they take ``used`` bytes past ``limit``;
    by the value's lower bound first, so a giant value is refused before it is encoded."""
    bound = used + _lower_bound(value)
    if bound > limit:
        raise DataTooLarge(_too_much(what, bound, limit))
    encoded = prefix + dumps(value)
    if used + len(encoded) > limit:
        raise DataTooLarge(_too_much(what, used + len(encoded), limit))
    return encoded


def _too_much(what: str, size: int, limit: int) -> str:
    return (f"{what} at least {size} bytes; at most {limit} bytes may be left in task data "
            "(KETENFLOW_MAX_TASK_DATA_BYTES)")


def data_keys_only(context: dict[str, Any], globals_: dict[str, Any]) -> dict[str, Any]:
    """Task data after a script: without helpers, builtins and anything callable."""
    return {k: v for k, v in context.items()
            if k not in globals_ and k != "__builtins__" and not callable(v)}

