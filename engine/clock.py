"""The injectable clock.

Every "now" in the engine comes from a ``Clock``; tests pass a ``ManualClock`` and move it.
SpiffWorkflow's timer module reads ``datetime.now(timezone.utc)`` itself, so ``bind`` points
that module at the active clock for the duration of an engine step (see ``runtime``).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until moved; for tests and the demo seeder."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        self._now = self._now + delta
        return self._now


_active: contextvars.ContextVar[Clock | None] = contextvars.ContextVar("ketenflow_clock",
                                                                       default=None)


def current() -> Clock:
    """The clock bound to this context, else the system clock."""
    return _active.get() or _SYSTEM


@contextmanager
def bind(clock: Clock) -> Iterator[None]:
    """Make ``clock`` the clock of this context (this thread) while the block runs."""
    token = _active.set(clock)
    try:
        yield
    finally:
        _active.reset(token)


_SYSTEM = SystemClock()
