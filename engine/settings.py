"""Engine settings: defaults in code, overrides from ``KETENFLOW_*`` environment variables.

The engine never reads Flask's config; every entry point builds one ``EngineSettings`` and
passes it in. Each field carries its help text, and the README documents every key (a test
checks that).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import InvalidInput
from engine.sandbox.script_runtime import DEFAULT_MAX_DATA_BYTES

PREFIX = "KETENFLOW_"


def _default_database_url() -> str:
    return f"sqlite:///{Path('instance').absolute() / 'ketenflow.db'}"


@dataclass(frozen=True)
class EngineSettings:
    """Everything the engine needs to know about its surroundings."""

    database_url: str = field(
        default_factory=_default_database_url,
        metadata={"help": "SQLAlchemy URL of the database (default: SQLite file under instance/)."},
    )
    processes_dir: str = field(
        default="processes",
        metadata={"help": "Folder deployed by `ketenflow init` and `make run`."},
    )
    script_timeout_seconds: float = field(
        default=1.0,
        metadata={"help": "Wall-clock limit for one script or expression; past it the instance "
                  "goes to `error`."},
    )
    script_memory_mb: int = field(
        default=512,
        metadata={"help": "Address-space limit of the script sandbox process, in MiB."},
    )
    max_task_data_bytes: int = field(
        default=DEFAULT_MAX_DATA_BYTES,
        metadata={"help": "Largest task data, in bytes of JSON, that one script or expression "
                  "may leave behind (the variables it names or sets); past it the instance goes "
                  "to `error`, naming the element and the size."},
    )
    max_task_depth: int = field(
        default=800,
        metadata={"help": "Task-tree depth past which an instance is stopped with an error "
                  "(the library silently loses tasks deeper than 1000)."},
    )
    workflow_cache_size: int = field(
        default=32,
        metadata={"help": "Restored workflows each process keeps between steps (0 turns the "
                  "cache off; every step then deserializes from the database)."},
    )
    workflow_cache_mb: float = field(
        default=24.0,
        metadata={"help": "Memory the restored workflows of one process may take, in MiB, "
                  "estimated from the length of their stored state; the least recently used "
                  "go first past it (0: bounded by count only)."},
    )
    max_file_bytes: int = field(
        default=2_000_000,
        metadata={"help": "Largest file accepted in a deployment bundle, in bytes."},
    )
    worker_interval_seconds: float = field(
        default=5.0,
        metadata={"help": "How often the timer loop looks for due timers."},
    )
    worker_batch_size: int = field(
        default=50,
        metadata={"help": "How many due instances the timer loop fires per round."},
    )
    embedded_worker: bool = field(
        default=True,
        metadata={"help": "Run the timer loop inside `ketenflow serve` on SQLite (turn off when "
                  "a separate `ketenflow worker` runs); on PostgreSQL the loop runs only in "
                  "`ketenflow worker`, as many side by side as wanted."},
    )
    municipalities: str = field(
        default="dordrecht,zwijndrecht,papendrecht,hendrik-ido-ambacht,sliedrecht,alblasserdam",
        metadata={"help": "Comma-separated slugs of the member municipalities."},
    )
    retention_days: int = field(
        default=730,
        metadata={"help": "Days after closure before a case's personal data is erased."},
    )
    publish_approval: bool = field(
        default=True,
        metadata={"help": "Publishing a draft needs a second process owner's approval (set "
                  "0 for a one-person team); the author never approves their own draft."},
    )
    break_glass_hours: int = field(
        default=24,
        metadata={"help": "How long a caseworker's break-glass access to a case outside their "
                  "scope lasts, in hours."},
    )
    access_burst_cases: int = field(
        default=20,
        metadata={"help": "Cases one person opens within `access_burst_minutes` that the "
                  "privacy officer's pages flag as unusual."},
    )
    access_burst_minutes: int = field(
        default=60,
        metadata={"help": "The window of `access_burst_cases`, in minutes."},
    )
    ddas_supplier_code: str = field(
        default="KETENFLOW",
        metadata={"help": "`codeGegevensleverancier` of the national DDAS delivery "
                  "(`ketenflow export ddas`): the code CBS gave the party that delivers."},
    )

    base_url: str = field(
        default="http://localhost:5000",
        metadata={"help": "The address people open Ketenflow at; the links in notification "
                  "mails start with it."},
    )
    smtp_host: str = field(
        default="",
        metadata={"help": "SMTP server the worker sends notification mails through (empty: "
                  "no mail is sent; mails wait in the outbox)."},
    )
    smtp_port: int = field(
        default=25,
        metadata={"help": "Port of the SMTP server (587 with `KETENFLOW_SMTP_STARTTLS`)."},
    )
    smtp_user: str = field(
        default="",
        metadata={"help": "User name to log in to the SMTP server with (empty: no login)."},
    )
    smtp_password: str = field(
        default="",
        metadata={"help": "Password for `KETENFLOW_SMTP_USER`."},
    )
    smtp_from: str = field(
        default="ketenflow@localhost",
        metadata={"help": "Sender address of notification mails; its domain also ends each "
                  "mail's Message-ID."},
    )
    smtp_starttls: bool = field(
        default=False,
        metadata={"help": "Switch the SMTP connection to TLS (STARTTLS) before logging in."},
    )

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> EngineSettings:
        """Read ``KETENFLOW_<FIELD>`` variables; explicit overrides win.

        :raise InvalidInput: when a variable does not parse as the field's type.
        """
        source = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = source.get(PREFIX + f.name.upper())
            if raw is None:
                continue
            values[f.name] = _parse(f.name, f.type, raw)
        values.update(overrides)
        return cls(**values)

    def runs_embedded_worker(self) -> bool:
        """Whether ``ketenflow serve`` runs the timer loop in its web workers: only for the
        SQLite default (one machine, one writer); on PostgreSQL the dedicated
        ``ketenflow worker`` processes claim the due timers (``SKIP LOCKED``)."""
        return self.embedded_worker and self.database_url.startswith("sqlite")

    def municipality_slugs(self) -> list[str]:
        return [s.strip() for s in self.municipalities.split(",") if s.strip()]


def _parse(name: str, type_name: Any, raw: str) -> Any:
    key = PREFIX + name.upper()
    try:
        if type_name in ("int", int):
            return int(raw)
        if type_name in ("float", float):
            return float(raw)
        if type_name in ("bool", bool):
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
    except ValueError:
        raise InvalidInput({key: f"not a valid {type_name}: {raw!r}"}) from None
    return raw
