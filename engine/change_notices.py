"""Notices of changed rows, so a process may keep what it read from a few rarely written
tables (tokens and users, deployed definitions) and still never answer from a stale copy.

On PostgreSQL, triggers (migration 0020) send ``NOTIFY ketenflow_changes`` with the table's
name when rows that a cache depends on change; the notice is delivered when the change commits.
Each process listens on a connection of its own and reads what arrived before a cache answers
(no round trip: the notices wait in the socket). A change this process writes itself counts at
once (a watch on its own statements), without waiting for its notice.

A cache (``Kept``) asks ``generation(tables)``: a number that grows with every change to those
tables, or None while no connection listens (a failed LISTEN, a connection that died): then
nothing may be answered from a cache. An entry is good while the generation it was read under
is the current one. What is left: a request that reaches another process within a notice's delivery
(well under a millisecond on one machine) after the change committed reads the old rows, as it
would have a moment earlier. SQLite has no notices: there every call answers None.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import weakref
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

CHANNEL = "ketenflow_changes"
#: The tables whose changes are announced (migration 0020 puts the triggers on them).
ANNOUNCED = ("api_token", "app_user", "organisation", "deployment", "process_definition")
#: A statement of this process that may change one of them (as SQLAlchemy writes them).
_OWN_WRITE = re.compile(
    r'^\s*(?:(?:UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+"?(\w+)|TRUNCATE\b(.*))',
    re.IGNORECASE | re.DOTALL)
#: How long after a failed LISTEN the next one is tried.
RETRY_SECONDS = 30.0

_NOTICES: weakref.WeakKeyDictionary[Engine, ChangeNotices] = weakref.WeakKeyDictionary()


def change_notices(db: Engine) -> ChangeNotices:
    """The one listener of ``db`` in this process: contexts sharing a database engine (tests,
    the bench) share its connection and its watch on statements."""
    found = _NOTICES.get(db)
    if found is None:
        found = _NOTICES[db] = ChangeNotices(db)
    return found


class ChangeNotices:
    """The changes this process has heard of, per table; see the module's docstring."""

    def __init__(self, db: Engine) -> None:
        # Held weakly: ``change_notices`` keys its registry by the engine, and a value that
        # held its key would keep every engine ever made (tests make many) alive.
        self._db = weakref.ref(db)
        self.enabled = db.dialect.name == "postgresql"
        self._changes: Counter[str] = Counter()
        self._epoch = 0                 # grows whenever listening stops or starts
        self._lock = threading.RLock()
        self._listener: Any = None      # the psycopg connection that LISTENs
        self._listener_pid = 0          # the process that opened it (a fork must not share it)
        self._listener_told: list[str] = []   # what the server said on it unasked (its end)
        self._retry_at = 0.0
        if self.enabled:
            event.listen(db, "after_cursor_execute", self._watch_own_writes)

    def generation(self, tables: tuple[str, ...]) -> int | None:
        """How often ``tables`` changed as far as this process knows (every notice that arrived
        read first), or None when no connection listens and nothing may be cached."""
        if not self.enabled:
            return None
        with self._lock:
            if not self._heard_everything():
                return None
            return self._epoch + sum(self._changes[table] for table in tables)

    def close(self) -> None:
        with self._lock:
            self._drop_listener()

    # --- listening ---------------------------------------------------------------------------

    def _heard_everything(self) -> bool:
        if self._listener is not None and self._listener_pid != os.getpid():
            self._listener = None           # the parent's connection: leave it to the parent
            self._epoch += 1
        if self._listener is None and not self._listen():
            return False
        try:
            pgconn = self._listener.pgconn
            pgconn.consume_input()
            while (notice := pgconn.notifies()) is not None:
                self._changes[notice.extra.decode()] += 1
            if self._listener_told:
                # An idle connection hears nothing unasked but its end ("terminating
                # connection due to administrator command"); the close follows it.
                raise ConnectionError(self._listener_told[0])
        except Exception:  # noqa: BLE001 - any failure of the listening connection
            log.warning("change notices: the listening connection failed; caches ask the "
                        "database every time until it listens again", exc_info=True)
            self._drop_listener()
            return False
        return True

    def _listen(self) -> bool:
        now = time.monotonic()
        if now < self._retry_at:
            return False
        db = self._db()
        if db is None:
            return False
        connection: Any = None
        told: list[str] = []
        try:
            pooled = db.raw_connection()
            pooled.detach()                 # its own connection, never handed to a request
            connection = pooled.dbapi_connection
            connection.autocommit = True
            connection.execute(f"LISTEN {CHANNEL}")
            connection.add_notice_handler(
                lambda notice: told.append(f"{notice.severity}: {notice.message_primary}"))
        except Exception:  # noqa: BLE001 - no cache is a slower answer, not a wrong one
            log.warning("change notices: cannot LISTEN on %s; caches ask the database every "
                        "time", CHANNEL, exc_info=True)
            self._retry_at = now + RETRY_SECONDS
            if connection is not None:
                connection.close()
            return False
        self._listener, self._listener_pid, self._listener_told = connection, os.getpid(), told
        self._epoch += 1                    # what changed before it listened went unheard
        return True

    def _drop_listener(self) -> None:
        listener, self._listener = self._listener, None
        self._epoch += 1
        if listener is not None and self._listener_pid == os.getpid():
            try:
                listener.close()
            except Exception:  # noqa: BLE001, S110 - it is being thrown away
                pass

    def _watch_own_writes(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        found = _OWN_WRITE.match(statement)
        if found is None:
            return
        table, truncated = found.groups()
        named = [t for t in ANNOUNCED
                 if t == table or (truncated and re.search(rf"\b{t}\b", truncated))]
        if named:
            with self._lock:
                self._changes.update(named)


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Kept(Generic[K, V]):
    """Answers read from ``tables``, each kept while their generation stands (and, with
    ``ttl_seconds``, no longer than that; with ``max_entries``, the least recently used go
    first). Where nothing listens, every answer is read."""

    def __init__(self, notices: ChangeNotices, tables: tuple[str, ...], *,
                 ttl_seconds: float | None = None, max_entries: int | None = None) -> None:
        self.notices = notices
        self.tables = tables
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        #: key -> (answer, the generation it was read under, when to read it again)
        self._entries: OrderedDict[K, tuple[V, int, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, read: Callable[[], V],
            keep: Callable[[V], bool] = lambda _answer: True) -> V:
        """The answer for ``key``: the kept one while it is good, else ``read()`` (kept when
        ``keep`` says so; an answer not kept also drops an older one)."""
        generation = self.notices.generation(self.tables)
        if generation is None:
            return read()
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(key)
        if found is not None and found[1] == generation and found[2] > now:
            return found[0]
        # Read under the generation asked before it: a change during the read leaves an entry
        # the next call will not use.
        answer = read()
        with self._lock:
            if not keep(answer):
                self._entries.pop(key, None)
                return answer
            expires = now + self.ttl_seconds if self.ttl_seconds is not None else float("inf")
            self._entries[key] = (answer, generation, expires)
            self._entries.move_to_end(key)
            while self.max_entries is not None and len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return answer
