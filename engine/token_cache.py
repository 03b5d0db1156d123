"""Bearer tokens a process has already looked up, kept while no credential changed.

Every API call names its token, and looking it up (token, user, organisation) was a fourth of a
task completion's round trips on PostgreSQL. An answer is kept under the generation of the
token, user and organisation tables (``engine.change_notices``) and used while that
generation stands: a revocation, a deactivation, a user moved to another organisation or role
empties it in every process the moment its notice arrives, and at once in the process that
wrote it. Unknown and revoked tokens are never kept: a new token works at once, a wrong one
costs a query each time. An entry is asked again after ``ttl_seconds`` whatever happened (a
notice lost without an error). Where nothing listens (SQLite) every token is looked up.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from engine.access import Actor
from engine.change_notices import ChangeNotices

#: The tables whose rows decide what a token may do.
CREDENTIAL_TABLES = ("api_token", "app_user", "organisation")

class TokenCache:
    """Token hash → the actor it acts as; see the module's docstring."""

    def __init__(self, notices: ChangeNotices, ttl_seconds: float = 60.0,
                 max_entries: int = 4096) -> None:
        self.notices = notices
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        #: token hash -> (actor, the generation it was read under, when to ask again)
        self._entries: OrderedDict[str, tuple[Actor, int, float]] = OrderedDict()
        self._lock = threading.Lock()

    def actor(self, token_hash: str, look_up: Callable[[], Actor | None]) -> Actor | None:
        """The actor for ``token_hash``: kept while no credential changed since it was looked
        up, else from ``look_up`` (kept when the token is valid)."""
        generation = self.notices.generation(CREDENTIAL_TABLES)
        if generation is None:
            return look_up()
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(token_hash)
        if found is not None and found[1] == generation and found[2] > now:
            return found[0]
        # Read under the generation asked before it: a change during the look-up leaves an
        # entry the next request will not use.
        actor = look_up()
        with self._lock:
            if actor is None:
                self._entries.pop(token_hash, None)
                return None
            self._entries[token_hash] = (actor, generation, now + self.ttl_seconds)
            self._entries.move_to_end(token_hash)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return actor
