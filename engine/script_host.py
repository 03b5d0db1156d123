"""The sandbox process that runs diagram scripts.

Started by ``scripting.ScriptHost`` as ``python -m engine.script_host <memory-MiB>``. It reads
length-prefixed requests on stdin and answers on stdout; it never touches the database or the
network. Its address space is capped, and the parent kills it when an answer is late, so an
endless loop or a huge allocation costs one sandbox process, never the server.
"""

from __future__ import annotations

import resource
import struct
import sys
from datetime import datetime
from typing import IO, Any

from engine.script_runtime import (
    compile_source,
    data_keys_only,
    dumps,
    loads,
    make_globals,
)

HEADER = struct.Struct("!I")


def read_frame(stream: IO[bytes]) -> bytes | None:
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (length,) = HEADER.unpack(header)
    return stream.read(length)


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(HEADER.pack(len(payload)) + payload)
    stream.flush()


def handle(request: dict[str, Any]) -> dict[str, Any]:
    if request["op"] == "ping":
        return {"ok": True}
    moment = datetime.fromisoformat(request["now"])
    globals_ = make_globals(moment)
    context: dict[str, Any] = request["context"]
    source: str = request["source"]
    try:
        if request["op"] == "eval":
            code = compile_source(source, "eval")
            # As everywhere: the helpers and guards win over task data of the same name.
            value = eval(code, {**context, **globals_})  # noqa: S307 - restricted code
            return {"ok": True, "value": value}
        code = compile_source(source, "exec")
        namespace = {**context, **globals_}
        exec(code, namespace)  # noqa: S102 - restricted code
        return {"ok": True, "context": data_keys_only(namespace, globals_)}
    except SyntaxError as error:
        return {"ok": False, "type": "SyntaxError", "message": str(error.msg),
                "line": error.lineno or 1}
    except MemoryError:
        return {"ok": False, "type": "MemoryError",
                "message": "script used more memory than allowed", "line": _line()}
    except Exception as error:  # a script's own failure is data for the caller
        return {"ok": False, "type": type(error).__name__, "message": str(error),
                "line": _line()}


def _line() -> int:
    tb = sys.exc_info()[2]
    line = 0
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<script>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def main() -> None:
    limit_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 512
    limit = limit_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        frame = read_frame(stdin)
        if frame is None:
            return
        try:
            reply = handle(loads(frame))
            payload = dumps(reply)
        except TypeError as error:  # a result that is not plain data
            payload = dumps({"ok": False, "type": "TypeError", "message": str(error), "line": 0})
        except MemoryError:
            payload = dumps({"ok": False, "type": "MemoryError",
                             "message": "script used more memory than allowed", "line": 0})
        write_frame(stdout, payload)


if __name__ == "__main__":
    main()
