"""Restored workflows kept between steps, so a case worked on in this process is not
deserialized again at every step.

An entry is reused only when the state stored in the database is exactly the state the entry
was saved as. The entry is taken out while a step runs and put back only after that step saved
it, so a step that failed, or a transaction that rolled back, can never leave a half-changed
workflow behind to be reused.

The cache is bounded by count and by memory. A restored workflow's size is estimated from the
length of its stored state (``MEMORY_PER_STATE_CHAR`` bytes per character, measured on the
chain's cases): walking the object graph to weigh it would cost more than the step it saves.
The least recently used entries go first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

#: Estimated bytes of memory a restored workflow takes per character of its stored state: the
#: Python objects of the task tree are about three times the JSON they come from (measured
#: with tracemalloc on a case of the chain just after intake: 5.8 kB of state, 17.8 kB
#: restored), plus the state itself, kept beside it for the comparison.
MEMORY_PER_STATE_CHAR = 4


def estimated_bytes(state: str) -> int:
    """The memory an entry saved as ``state`` is reckoned to take."""
    return len(state) * MEMORY_PER_STATE_CHAR


class WorkflowCache:
    def __init__(self, size: int, max_bytes: int = 0) -> None:
        """At most ``size`` entries (0: no cache) and, when ``max_bytes`` is above 0, at most
        that many estimated bytes."""
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[int, tuple[str, Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def take(self, instance_id: int, state: str) -> Any | None:
        """The cached workflow of ``instance_id`` if it was saved as ``state``; removes it."""
        if self.size <= 0:
            return None
        with self._lock:
            entry = self._items.pop(instance_id, None)
            if entry is not None:
                self.bytes -= entry[2]
        if entry is None:
            return None
        saved_state, workflow, _ = entry
        return workflow if saved_state is state or saved_state == state else None

    def put(self, instance_id: int, state: str, workflow: Any) -> None:
        if self.size <= 0:
            return
        weight = estimated_bytes(state)
        if self.max_bytes > 0 and weight > self.max_bytes:
            self.take(instance_id, "")  # too large to keep at all; drop an older copy
            return
        with self._lock:
            old = self._items.pop(instance_id, None)
            if old is not None:
                self.bytes -= old[2]
            self._items[instance_id] = (state, workflow, weight)
            self.bytes += weight
            while len(self._items) > self.size or (self.max_bytes > 0
                                                   and self.bytes > self.max_bytes):
                _, (_, _, gone) = self._items.popitem(last=False)
                self.bytes -= gone
