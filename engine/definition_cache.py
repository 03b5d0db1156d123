"""The deployed definitions the hot paths ask for, kept while no deployment changed: the
newest of each process, the one each start message starts, the ids of those in service.

Starting a process asked the database for its newest definition every time: a join and a
sort, loaded as an ORM object, about 5 % of a whole case's CPU through the API on PostgreSQL.
The answer changes only when a deployment is made (or removed), so it is kept under the
generation of the deployment tables (``engine.change_notices``): a deployment from any process
(the CLI, the process owners' workspace in another worker) empties it as its notice arrives,
one from this process at once. Where nothing listens (SQLite) it is looked up every time.
The same holds for intake (the definition a signal's start message starts, asked for every
signal) and the inbox (the definitions in service, whose user tasks make the type filter's
choices).

What is kept is a copy of the row outside any session: the loaded object would be expired by
a rollback of the request that read it, and then fail in the next one.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import inspect

from engine.change_notices import ChangeNotices, Kept
from engine.models import ProcessDefinition

#: The tables whose rows decide which definition is the newest.
DEFINITION_TABLES = ("deployment", "process_definition")


class LatestDefinitions:
    """What the deployments decide, kept per generation; see the module's docstring."""

    def __init__(self, notices: ChangeNotices) -> None:
        self._kept: Kept[str, ProcessDefinition] = Kept(notices, DEFINITION_TABLES)
        # Message names come from requests: a bounded store, so unknown names cannot grow it.
        self._starts: Kept[str, ProcessDefinition | None] = Kept(
            notices, DEFINITION_TABLES, max_entries=MAX_START_MESSAGES)
        self._live: Kept[str, tuple[int, ...]] = Kept(notices, DEFINITION_TABLES)

    def get(self, process_id: str,
            look_up: Callable[[], ProcessDefinition]) -> ProcessDefinition:
        """The newest definition of ``process_id``: kept while no deployment changed, else from
        ``look_up`` (whose NotFound passes through, nothing kept)."""
        return self._kept.get(process_id, lambda: _detached_copy(look_up()))

    def for_start_message(self, name: str, look_up: Callable[[], ProcessDefinition | None]
                          ) -> ProcessDefinition | None:
        """The live definition a message called ``name`` starts (None: none does), kept like
        ``get``'s answers."""
        return self._starts.get(name, lambda: _copy_or_none(look_up()))

    def live_ids(self, look_up: Callable[[], list[int]]) -> list[int]:
        """The ids of the definitions in service, kept like ``get``'s answers."""
        return list(self._live.get("live", lambda: tuple(look_up())))


#: Start-message names kept at most (the chain has a handful; the rest are mistakes).
MAX_START_MESSAGES = 256


def _copy_or_none(definition: ProcessDefinition | None) -> ProcessDefinition | None:
    return None if definition is None else _detached_copy(definition)


def _detached_copy(definition: ProcessDefinition) -> ProcessDefinition:
    """The row's loaded columns in a new object that belongs to no session (the deferred
    spec is left out: ``SpecCache`` reads it by id)."""
    loaded = inspect(definition).dict
    return ProcessDefinition(**{column.key: loaded[column.key]
                                for column in inspect(ProcessDefinition).column_attrs
                                if column.key in loaded})
