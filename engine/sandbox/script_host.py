"""The sandbox process that runs diagram scripts.

Started by ``scripting.ScriptHost`` as ``python -m engine.sandbox.script_host <memory-MiB>
<max-data-bytes>``. It reads length-prefixed requests on stdin and answers on stdout; it never
touches the database or the network. Its address space is capped, and the parent kills it when
an answer is late, so an endless loop or a huge allocation costs one sandbox process, never the
server. What a script leaves behind is measured here, before it is sent: a result over the
task-data cap is answered as an error, so the giant value never reaches the server's memory.
"""

from __future__ import annotations

import resource
import struct
import sys
from datetime import datetime
from typing import IO, Any

from engine.sandbox.script_runtime import (
    DEFAULT_MAX_DATA_BYTES,
    DataTooLarge,
    compile_source,
    data_keys_only,
    dumps,
    dumps_data,
    dumps_value,
    install_helpers,
    loads,
    make_globals,
)

HEADER = struct.Struct("!I")
#: An error message longer than this is cut: ``raise ValueError(huge)`` must not smuggle a
#: giant value out as the message.
MAX_MESSAGE_CHARS = 1000


class FrameTooLarge(Exception):
    """A frame announced more bytes than the reader accepts; nothing of it was read."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"frame of {length} bytes; at most {limit} accepted")
        self.length = length
        self.limit = limit


def read_frame(stream: IO[bytes], max_length: int | None = None) -> bytes | None:
    """The next frame, or None at end of stream.

    :raise FrameTooLarge: the header announces more than ``max_length`` bytes (the body is
        left unread, so the stream is unusable afterwards).
    """
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (length,) = HEADER.unpack(header)
    if max_length is not None and length > max_length:
        raise FrameTooLarge(length, max_length)
    return stream.read(length)


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(HEADER.pack(len(payload)) + payload)
    stream.flush()


def handle(request: dict[str, Any], max_data_bytes: int = DEFAULT_MAX_DATA_BYTES) -> bytes:
    """Run one request; the encoded reply, whose task data never exceeds ``max_data_bytes``."""
    if request["op"] == "ping":
        return dumps({"ok": True})
    moment = datetime.fromisoformat(request["now"])
    globals_ = make_globals(moment)
    context: dict[str, Any] = request["context"]
    source: str = request["source"]
    try:
        if request["op"] == "eval":
            code = compile_source(source, "eval")
            # As everywhere: the helpers and guards win over task data of the same name.
            value = eval(code, {**context, **globals_})  # noqa: S307 - restricted code
            return b'{"ok":true,"value":' + dumps_value(value, max_data_bytes) + b"}"
        code = compile_source(source, "exec")
        namespace = {**context, **globals_}
        exec(code, namespace)  # noqa: S102 - restricted code
        data = dumps_data(data_keys_only(namespace, globals_), max_data_bytes)
        return b'{"ok":true,"context":' + data + b"}"
    except SyntaxError as error:
        return _failure("SyntaxError", str(error.msg), error.lineno or 1)
    except MemoryError:
        return _failure("MemoryError", "script used more memory than allowed", _line())
    except DataTooLarge as error:
        return _failure("DataTooLarge", str(error), 0)
    except Exception as error:  # a script's own failure is data for the caller
        return _failure(type(error).__name__, str(error), _line())


def _failure(kind: str, message: str, line: int) -> bytes:
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[:MAX_MESSAGE_CHARS] + "…"
    return dumps({"ok": False, "type": kind, "message": message, "line": line})


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
    max_data_bytes = int(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_MAX_DATA_BYTES
    for module_name in filter(None, (sys.argv[3] if len(sys.argv) > 3 else "").split(",")):
        install_helpers(module_name)  # the domain's helpers, as the engine process has them
    limit = limit_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        frame = read_frame(stdin)
        if frame is None:
            return
        try:
            payload = handle(loads(frame), max_data_bytes)
        except MemoryError:
            payload = _failure("MemoryError", "script used more memory than allowed", 0)
        write_frame(stdout, payload)


if __name__ == "__main__":
    main()
