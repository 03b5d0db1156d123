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

from collections.abc import Callable

from engine.access import Actor
from engine.change_notices import ChangeNotices, Kept

#: The tables whose rows decide what a token may do.
CREDENTIAL_TABLES = ("api_token", "app_user", "organisation")


class TokenCache:
    """Token hash → the actor it acts as; see the module's docstring."""

    def __init__(self, notices: ChangeNotices, ttl_seconds: float = 60.0,
                 max_entries: int = 4096) -> None:
        self.notices = notices
        self._kept: Kept[str, Actor | None] = Kept(notices, CREDENTIAL_TABLES,
                                                   ttl_seconds=ttl_seconds,
                                                   max_entries=max_entries)

    def actor(self, token_hash: str, look_up: Callable[[], Actor | None]) -> Actor | None:
        """The actor for ``token_hash``: kept while no credential changed since it was looked
        up, else from ``look_up`` (kept when the token is valid)."""
        return self._kept.get(token_hash, look_up, keep=lambda actor: actor is not None)
