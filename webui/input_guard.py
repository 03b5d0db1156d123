"""One input guard for every route, run before any view.

Text a database cannot store (NUL, lone surrogates, bytes that are not UTF-8), control
characters nobody types on purpose, and values longer than any field we keep are refused with a
422 that names where they were: the path, query parameter ``x``, form field ``y`` or the body
(problem+json on /api/, the error page elsewhere). JSON bodies are parsed once, here, with a
depth limit and without NaN/Infinity or numbers beyond 64 bits, so ``request.get_json`` (and
``g.body``) only ever give data that every later step can store and walk.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask, Request, request

from engine.errors import InvalidInput

#: The longest path, query value and form field accepted (characters). No identifier we keep is
#: longer than 200; a page's search box and ``next`` are far shorter than 2,000; a form's longest
#: field (a note) stays well under 100,000.
MAX_PATH = 2_000
MAX_QUERY_VALUE = 2_000
MAX_FORM_VALUE = 100_000
MAX_FIELD_NAME = 200
#: Deeper JSON than this is never a real form or signal, and would exhaust the call stack of
#: whatever walks it later (validation, serialization, scripts).
MAX_JSON_DEPTH = 32
#: Integers are stored in 64-bit columns (ids, amounts, counts) or JSON read by other systems.
MAX_INT = 2**63 - 1

#: Control characters refused in free text: all of C0 except tab, line feed and carriage
#: return, and the lone surrogates (half of a UTF-16 pair) that no encoding can store.
_TEXT_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
#: In a path or query value not even tab or a line break belongs.
_LINE_UNSAFE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
#: A quick look at raw JSON text: only an escape can put a control character or a surrogate in
#: a parsed string (the parser refuses them raw), so without one no string needs a look.
_JSON_ESCAPE = re.compile(r"\\u(?:00[01]|d[89a-f])", re.IGNORECASE)

_NOT_UTF8 = "is geen geldige UTF-8-tekst"


def _unsafe_message(found: str) -> str:
    if "\ud800" <= found <= "\udfff":
        return "bevat een ongeldig teken (een losse surrogaat) dat niet kan worden opgeslagen"
    if found == "\x00":
        return "bevat een NUL-teken (U+0000) dat niet kan worden opgeslagen"
    return f"bevat een besturingsteken (U+{ord(found):04X}) dat niet is toegestaan"


def _too_long(limit: int) -> str:
    return f"is te lang (hoogstens {limit:,} tekens)".replace(",", ".")


def _check_text(place: str, value: str, limit: int, pattern: re.Pattern[str] = _TEXT_UNSAFE
                ) -> None:
    found = pattern.search(value)
    if found is not None:
        raise InvalidInput({place: _unsafe_message(found.group())})
    if len(value) > limit:
        raise InvalidInput({place: _too_long(limit)})


def _shown(name: str) -> str:
    """A name fit to show in a message: unsafe characters as escapes, cut short."""
    return _LINE_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", name)[:MAX_FIELD_NAME]


# --- path and query -----------------------------------------------------------------------

def _check_path() -> None:
    """The path as the server passed it (bytes as latin-1, per WSGI) must be UTF-8; a server
    that decoded it already (werkzeug's) left U+FFFD where a byte was bad."""
    raw = request.environ.get("PATH_INFO", "")
    try:
        decoded = raw.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise InvalidInput({"path": _NOT_UTF8}) from None
    if "\ufffd" in decoded:
        raise InvalidInput({"path": _NOT_UTF8})
    _check_text("path", request.path, MAX_PATH, _LINE_UNSAFE)


def _query_pairs(query: bytes) -> Iterable[tuple[bytes, bytes]]:
    for part in query.split(b"&"):
        if part:
            name, _, value = part.partition(b"=")
            yield (unquote_to_bytes(name.replace(b"+", b" ")),
                   unquote_to_bytes(value.replace(b"+", b" ")))


def _check_pairs(kind: str, raw: bytes, limit: int, pattern: re.Pattern[str]) -> None:
    """Each ``name=value`` of a query string or form body, decoded strictly (werkzeug keeps
    bad bytes percent-encoded, which would hide them), named in the answer."""
    for raw_name, raw_value in _query_pairs(raw):
        try:
            name = raw_name.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput({kind: "een veldnaam " + _NOT_UTF8}) from None
        place = f"{kind}/{_shown(name)}"
        _check_text(place, name, MAX_FIELD_NAME, pattern)
        try:
            value = raw_value.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput({place: _NOT_UTF8}) from None
        _check_text(place, value, limit, pattern)


def _check_query() -> None:
    _check_pairs("query", request.query_string, MAX_QUERY_VALUE, _LINE_UNSAFE)


# --- bodies -------------------------------------------------------------------------------

class _Refused(ValueError):
    """A JSON value the parser refuses (NaN, Infinity, an integer beyond 64 bits)."""


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is geen getal in JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _Refused(f"getal {text[:20]} is te groot")
    return number


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 19:
        raise _Refused(f"getal {text[:20]}… is te groot (hoogstens 64 bits)")
    number = int(text)
    if not -MAX_INT - 1 <= number <= MAX_INT:
        raise _Refused(f"getal {text} is te groot (hoogstens 64 bits)")
    return number


def parse_json(data: bytes | str) -> Any:
    """JSON as every route sees it, or ``InvalidInput`` naming ``body`` (or the field within
    it): invalid or non-UTF-8 JSON, NaN/Infinity, integers beyond 64 bits, nesting deeper than
    ``MAX_JSON_DEPTH``, control characters or lone surrogates in a string or key."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise InvalidInput({"body": _NOT_UTF8}) from None
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float,
                           parse_int=_bounded_int)
    except _Refused as refused:
        raise InvalidInput({"body": str(refused)}) from None
    except json.JSONDecodeError as error:
        raise InvalidInput({"body": f"is geen geldige JSON ({error.msg}, regel {error.lineno}, "
                                    f"kolom {error.colno})"}) from None
    except RecursionError:
        raise InvalidInput({"body": _too_deep()}) from None
    except ValueError:
        raise InvalidInput({"body": "is geen geldige JSON"}) from None
    _check_json(value, check_text=_JSON_ESCAPE.search(text) is not None)
    return value


def _too_deep() -> str:
    return f"is te diep genest (hoogstens {MAX_JSON_DEPTH} niveaus)"


def _check_json(value: Any, check_text: bool) -> None:
    """Depth, key length and (when the raw text had an escape that could hide one) unsafe
    characters, walked with a stack rather than recursion. A place is kept as a tuple of keys
    and only written out for a refusal (a 10,000-row batch has a quarter million keys)."""
    stack: list[tuple[tuple[Any, ...], Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            if len(path) >= MAX_JSON_DEPTH:
                raise InvalidInput({_place(path): _too_deep()})
            for key, child in item.items():
                if len(key) > MAX_FIELD_NAME:
                    raise InvalidInput({_place((*path, key)): "veldnaam "
                                        + _too_long(MAX_FIELD_NAME)})
                if check_text and (found := _TEXT_UNSAFE.search(key)) is not None:
                    raise InvalidInput({_place((*path, key)): "veldnaam "
                                        + _unsafe_message(found.group())})
                if isinstance(child, dict | list) or check_text:
                    stack.append(((*path, key), child))
        elif isinstance(item, list):
            if len(path) >= MAX_JSON_DEPTH:
                raise InvalidInput({_place(path): _too_deep()})
            stack.extend(((*path, index), child) for index, child in enumerate(item)
                         if check_text or isinstance(child, dict | list))
        elif isinstance(item, str):
            found = _TEXT_UNSAFE.search(item)
            if found is not None:
                raise InvalidInput({_place(path): _unsafe_message(found.group())})


def _place(path: tuple[Any, ...]) -> str:
    return "/".join(["body", *(_shown(str(part)) for part in path)])


def _check_text_body(data: bytes) -> None:
    """A text body (a CSV batch): UTF-8, and no control character (named by line)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise InvalidInput({"body": f"regel {line} {_NOT_UTF8}"}) from None
    found = _TEXT_UNSAFE.search(text)
    if found is not None:
        line = text.count("\n", 0, found.start()) + 1
        raise InvalidInput({"body": f"regel {line} {_unsafe_message(found.group())}"})


def _check_multipart() -> None:
    for name, value in request.form.items(multi=True):
        place = f"form/{_shown(name)}"
        _check_text(place, name, MAX_FIELD_NAME)
        _check_text(place, value, MAX_FORM_VALUE)
    for name, file in request.files.items(multi=True):
        place = f"form/{_shown(name)}"
        _check_text(place, name, MAX_FIELD_NAME)
        _check_text(place, file.filename or "", MAX_FIELD_NAME)


def _check_body() -> None:
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    mimetype = request.mimetype
    if mimetype == "application/x-www-form-urlencoded":
        _check_pairs("form", request.get_data(cache=True), MAX_FORM_VALUE, _TEXT_UNSAFE)
    elif mimetype == "multipart/form-data":
        _check_multipart()
    elif request.is_json:
        if request.get_data(cache=True):
            request.get_json(silent=True)  # parsed by parse_json, cached for the view
    elif mimetype.startswith("text/"):
        _check_text_body(request.get_data(cache=True))


def json_body() -> Any:
    """The request's JSON body as ``parse_json`` gave it, or None when it sent no JSON."""
    return request.get_json(silent=True)


def check_request() -> None:
    """Refuse unsafe input before any view (or login, or CSRF check) sees it."""
    _check_path()
    _check_query()
    _check_body()


#: What ``GuardedRequest.get_json`` parses with: ``parse_json`` (never the plain parser).
_GUARDED_JSON = SimpleNamespace(loads=parse_json, dumps=json.dumps)


class GuardedRequest(Request):
    """Flask's request whose JSON body is always read by ``parse_json``. A refusal raises
    ``InvalidInput`` (a 422), even for ``get_json(silent=True)``."""

    @property
    def json_module(self) -> Any:
        return _GUARDED_JSON

    @json_module.setter
    def json_module(self, _value: Any) -> None:
        """Flask hands each request the app's plain JSON provider; bodies keep ours."""


def init_app(app: Flask) -> None:
    app.request_class = GuardedRequest
    app.before_request(check_request)
