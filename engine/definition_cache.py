"""The newest deployed definition of each process, kept while no deployment changed.

Starting a process asked the database for its newest definition every time: a join and a
sort, loaded as an ORM object, about 5 % of a whole case's CPU through the API on PostgreSQL.
The answer changes only when a deployment is made (or removed), so it is kept under the
generation of the deployment tables (``engine.change_notices``): a deployment from any process
(the CLI, the process owners' workspace in another worker) empties it as its notice arrives,
one from this process at once. Where nothing listens (SQLite) it is looked up every time.

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
    """Process id → its newest definition (a detached copy); see the module's docstring."""

    def __init__(self, notices: ChangeNotices) -> None:
        self._kept: Kept[str, ProcessDefinition] = Kept(notices, DEFINITION_TABLES)

    def get(self, process_id: str,
            look_up: Callable[[], ProcessDefinition]) -> ProcessDefinition:
        """The newest definition of ``process_id``: kept while no deployment changed, else from
        ``look_up`` (whose NotFound passes through, nothing kept)."""
        return self._kept.get(process_id, lambda: _detached_copy(look_up()))


def _detached_copy(definition: ProcessDefinition) -> ProcessDefinition:
    """The row's loaded columns in a new object that belongs to no session (the deferred
    spec is left out: ``SpecCache`` reads it by id)."""
    loaded = inspect(definition).dict
    return ProcessDefinition(**{column.key: loaded[column.key]
                                for column in inspect(ProcessDefinition).column_attrs
                                if column.key in loaded})
