"""Restored workflows kept between steps, so a case worked on in this process is not
deserialized again at every step.

An entry is reused only when the state stored in the database is exactly the state the entry
was saved as. The entry is taken out while a step runs and put back only after that step saved
it, so a step that failed, or a transaction that rolled back, can never leave a half-changed
workflow behind to be reused.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any


class WorkflowCache:
    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[int, tuple[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, instance_id: int, state: str) -> Any | None:
        """The cached workflow of ``instance_id`` if it was saved as ``state``; removes it."""
        if self.size <= 0:
            return None
        with self._lock:
            entry = self._items.pop(instance_id, None)
        if entry is None:
            return None
        saved_state, workflow = entry
        return workflow if saved_state is state or saved_state == state else None

    def put(self, instance_id: int, state: str, workflow: Any) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[instance_id] = (state, workflow)
            self._items.move_to_end(instance_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
