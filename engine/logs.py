"""Logs as JSON lines, each carrying the request id of the request it belongs to.

One object per line (time, level, logger, message, request_id, and any ``extra`` fields) is
what a log collector parses without guessing. The web app sets the request id
(``webui.request_log``) in a context variable, so a line logged deep in the engine during a
request carries it too; the worker's lines have none.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id: ContextVar[str | None] = ContextVar("ketenflow_request_id", default=None)

#: Attributes every LogRecord has; anything else was passed as ``extra`` and is written too.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """A LogRecord as one JSON object on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        current = request_id.get()
        if current is not None:
            line["request_id"] = current
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(level: int = logging.INFO) -> None:
    """Send every log line to standard error as JSON (``ketenflow serve`` and ``worker``)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, quieter in QUIET.items():
        logging.getLogger(name).setLevel(quieter)


#: SpiffWorkflow logs every task state change at INFO (and task data at DEBUG, which may be a
#: household's): only its warnings reach our logs.
QUIET = {"spiff": logging.WARNING}
