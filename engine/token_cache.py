"""Bearer tokens a web worker has already looked up, forgotten the moment a credential changes.

Every API call names its token, and looking it up (token, user, organisation) was a fourth of a
task completion's round trips on PostgreSQL. A process keeps what it found, but only while it
can hear every change that could make the answer wrong:

- the database announces each change of a token, a user or an organisation on the channel
  ``ketenflow_credentials`` (statement triggers, migration 0020), and every process holding a
  cache listens on a connection of its own; before it answers from the cache it reads what
  arrived (no round trip: the notices wait in the socket);
- a change written by this process empties its cache at once (a watch on its own statements),
  so the request after a revocation in the same worker is refused without waiting for the
  notice;
- a listening connection that fails empties the cache and turns it off until a new one
  listens; an entry is also asked again after ``ttl_seconds`` (a notice lost without an error).

What is left: a request that reaches another worker within the notice's delivery (well under a
millisecond on one machine) after the revoking transaction committed is still let in, as it
would have been a moment earlier. Unknown and revoked tokens are never kept: a new token works
at once, and a wrong one costs a query each time. On SQLite, which has no such notices, nothing
is cached: its look-up is a local read anyway.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from engine.access import Actor

log = logging.getLogger(__name__)

CHANNEL = "ketenflow_credentials"
#: The tables whose rows decide what a token may do.
CREDENTIAL_TABLES = ("api_token", "app_user", "organisation")
_TABLES = "|".join(CREDENTIAL_TABLES)
#: A statement of this process that changes one of them (SQLAlchemy writes them this way).
_CREDENTIAL_WRITE = re.compile(
    rf'^\s*(?:(?:UPDATE|DELETE\s+FROM)\s+"?(?:{_TABLES})\b|TRUNCATE\b.*\b(?:{_TABLES})\b)',
    re.IGNORECASE | re.DOTALL)


_CACHES: weakref.WeakKeyDictionary[Engine, TokenCache] = weakref.WeakKeyDictionary()


def token_cache(db: Engine) -> TokenCache:
    """The one cache of ``db``: contexts that share a database engine (tests, the bench) share
    its cache, its watch on statements and its listening connection."""
    found = _CACHES.get(db)
    if found is None:
        found = _CACHES[db] = TokenCache(db)
    return found


class TokenCache:
    """Token hash → the actor it acts as, for one process; see the module's docstring."""

    def __init__(self, db: Engine, ttl_seconds: float = 60.0, max_entries: int = 4096) -> None:
        self.db = db
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.enabled = db.dialect.name == "postgresql"
        self._entries: OrderedDict[str, tuple[Actor, float]] = OrderedDict()
        self._lock = threading.RLock()
        self._listener: Any = None      # the psycopg connection that LISTENs
        self._listener_pid = 0          # the process that opened it (a fork must not share it)
        self._listener_told: list[str] = []   # what the server said on it unasked (its end)
        self._retry_at = 0.0            # after a failed LISTEN, when to try again
        #: counts the emptyings: a look-up that overlapped one may be older than the change
        self._generation = 0
        if self.enabled:
            event.listen(db, "after_cursor_execute", self._watch_own_writes)

    def actor(self, token_hash: str, look_up: Callable[[], Actor | None]) -> Actor | None:
        """The actor for ``token_hash``: from the cache while no credential changed since it
        was looked up, else from ``look_up`` (kept when the token is valid)."""
        if not self.enabled:
            return look_up()
        now = time.monotonic()
        with self._lock:
            if self._heard_everything(now):
                found = self._entries.get(token_hash)
                if found is not None and found[1] > now:
                    return found[0]
                listening = True
            else:
                listening = False
            generation = self._generation
        actor = look_up()
        if actor is not None and listening:
            with self._lock:
                if generation != self._generation:
                    return actor          # a change was heard meanwhile: answer, keep nothing
                self._entries[token_hash] = (actor, now + self.ttl_seconds)
                self._entries.move_to_end(token_hash)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return actor

    def forget_all(self) -> None:
        with self._lock:
            self._forget()

    def _forget(self) -> None:
        self._entries.clear()
        self._generation += 1

    def close(self) -> None:
        with self._lock:
            self._drop_listener()

    # --- listening ---------------------------------------------------------------------------

    def _heard_everything(self, now: float) -> bool:
        """Read the notices that arrived; False (and the cache emptied) when no connection
        listens, so nothing may be answered from the cache."""
        if self._listener is not None and self._listener_pid != os.getpid():
            self._listener = None           # the parent's connection: leave it to the parent
            self._forget()
        if self._listener is None and not self._listen(now):
            return False
        try:
            pgconn = self._listener.pgconn
            pgconn.consume_input()
            heard = False
            while pgconn.notifies() is not None:
                heard = True
            if self._listener_told:
                # An idle connection hears nothing unasked but its end ("terminating
                # connection due to administrator command"); the close follows it.
                raise ConnectionError(self._listener_told[0])
        except Exception:  # noqa: BLE001 - any failure of the listening connection
            log.warning("token cache: the listening connection failed; asking the database "
                        "for every token until it listens again", exc_info=True)
            self._drop_listener()
            return False
        if heard:
            self._forget()
        return True

    def _listen(self, now: float) -> bool:
        if now < self._retry_at:
            return False
        connection: Any = None
        told: list[str] = []
        try:
            pooled = self.db.raw_connection()
            pooled.detach()                 # its own connection, never handed to a request
            connection = pooled.dbapi_connection
            connection.autocommit = True
            connection.execute(f"LISTEN {CHANNEL}")
            connection.add_notice_handler(
                lambda notice: told.append(f"{notice.severity}: {notice.message_primary}"))
        except Exception:  # noqa: BLE001 - no cache is a slower answer, not a wrong one
            log.warning("token cache: cannot LISTEN on %s; tokens are looked up every time",
                        CHANNEL, exc_info=True)
            self._retry_at = now + 30.0
            if connection is not None:
                connection.close()
            return False
        self._listener, self._listener_pid = connection, os.getpid()
        self._listener_told = told
        self._forget()                      # what changed before it listened went unheard
        return True

    def _drop_listener(self) -> None:
        listener, self._listener = self._listener, None
        self._forget()
        if listener is not None and self._listener_pid == os.getpid():
            try:
                listener.close()
            except Exception:  # noqa: BLE001, S110 - it is being thrown away
                pass

    def _watch_own_writes(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if _CREDENTIAL_WRITE.match(statement):
            self.forget_all()
